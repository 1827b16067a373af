//! Cursor pagination, the one mechanism behind every list (bookings, event types,
//! schedules, webhooks, webhook deliveries) and every transport.
//!
//! Pages are keyset pages: a cursor names the last row of the previous page (its id, or
//! for bookings its start and id), never an offset, so rows written between requests
//! neither repeat nor vanish from a walk. Cursors are opaque to clients, who only hand
//! back a `nextCursor` we gave them; a cursor that does not decode is a field error.

use super::input::Issues;
use super::{AppError, Result};
use crate::domain::validate::FieldIssue;
use crate::store::Keyset;

/// The page size when a request names none.
pub const DEFAULT_LIMIT: i64 = 50;
/// The largest page a request may ask for: big enough for a dashboard, small enough
/// that one request never loads a whole table.
pub const MAX_LIMIT: i64 = 250;

/// What a client asks of a list, as sent: unchecked until a use case checks it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// The `nextCursor` of the previous page; `None` for the first page.
    pub cursor: Option<String>,
    /// How many items, 1–250 (default 50).
    pub limit: Option<i64>,
}

/// A list's position key, written into and read back from cursors.
pub trait Cursor: Sized {
    /// The cursor naming this position.
    fn encode(&self) -> String;
    /// The position a cursor names; `None` when the cursor is not one of ours.
    fn decode(cursor: &str) -> Option<Self>;
}

/// Lists ordered by row id continue after the last id they showed.
impl Cursor for i64 {
    fn encode(&self) -> String {
        self.to_string()
    }

    fn decode(cursor: &str) -> Option<i64> {
        cursor.parse().ok().filter(|id: &i64| *id >= 0)
    }
}

/// Lists ordered by a number many rows may share continue after that number and,
/// among rows sharing it, the last id; written `{key}_{id}`.
impl Cursor for (i64, i64) {
    fn encode(&self) -> String {
        format!("{}_{}", self.0, self.1)
    }

    fn decode(cursor: &str) -> Option<(i64, i64)> {
        let (key, id) = cursor.split_once('_')?;
        Some((key.parse().ok()?, id.parse().ok()?))
    }
}

impl PageRequest {
    /// The keyset this request names, or every problem with it (field `limit`, `cursor`).
    pub(super) fn check<C: Cursor>(&self) -> Result<Keyset<C>, Vec<FieldIssue>> {
        let mut issues = Issues::default();
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        issues.require(
            (1..=MAX_LIMIT).contains(&limit),
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        );
        let after = self.cursor.as_deref().and_then(|cursor| {
            let decoded = C::decode(cursor);
            issues.require(
                decoded.is_some(),
                "cursor",
                "is not a cursor this API returned",
            );
            decoded
        });
        if issues.0.is_empty() {
            Ok(Keyset {
                after,
                limit: limit.unsigned_abs(),
            })
        } else {
            Err(issues.0)
        }
    }

    /// The same, for a list that takes no other input.
    pub(super) fn keyset<C: Cursor>(&self) -> Result<Keyset<C>> {
        self.check().map_err(AppError::Validation)
    }
}

/// One page of a list and where the next one starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items, in list order.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The page from `rows` fetched for `keyset` (up to its limit plus one): the extra
    /// row only says that more follow, and the last row kept names the next page.
    pub(super) fn from_rows<C: Cursor>(
        mut rows: Vec<T>,
        keyset: &Keyset<C>,
        key: impl FnOnce(&T) -> C,
    ) -> Page<T> {
        let limit = usize::try_from(keyset.limit).unwrap_or(usize::MAX);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|row| key(row).encode())
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }

    /// Whether another page follows.
    pub fn has_more(&self) -> bool {
        self.next_cursor.is_some()
    }

    /// The same page with each item turned into another shape.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(cursor: Option<&str>, limit: Option<i64>) -> PageRequest {
        PageRequest {
            cursor: cursor.map(str::to_string),
            limit,
        }
    }

    fn fields(request: PageRequest) -> Vec<String> {
        match request.check::<i64>() {
            Ok(_) => Vec::new(),
            Err(issues) => issues.into_iter().map(|i| i.field).collect(),
        }
    }

    #[test]
    fn requests_are_checked_field_by_field() {
        for (cursor, limit, expected) in [
            (None, None, vec![]),
            (Some("7"), Some(1), vec![]),
            (None, Some(250), vec![]),
            (None, Some(0), vec!["limit"]),
            (None, Some(251), vec!["limit"]),
            (None, Some(-3), vec!["limit"]),
            (Some("junk"), None, vec!["cursor"]),
            (Some("-1"), None, vec!["cursor"]),
            (Some(""), None, vec!["cursor"]),
            (Some("x"), Some(0), vec!["limit", "cursor"]),
        ] {
            assert_eq!(
                fields(request(cursor, limit)),
                expected,
                "{cursor:?} {limit:?}"
            );
        }
    }

    #[test]
    fn the_default_page_is_fifty_from_the_start() {
        let keyset = request(None, None).check::<i64>().expect("valid");
        assert_eq!(
            keyset,
            Keyset {
                after: None,
                limit: 50
            }
        );
        let keyset = request(Some("12"), Some(2)).check::<i64>().expect("valid");
        assert_eq!(
            keyset,
            Keyset {
                after: Some(12),
                limit: 2
            }
        );
    }

    #[test]
    fn the_extra_row_only_signals_more() {
        let keyset = Keyset {
            after: None,
            limit: 2,
        };
        let full = Page::from_rows(vec![10_i64, 11, 12], &keyset, |id| *id);
        assert_eq!(full.items, [10, 11]);
        assert_eq!(full.next_cursor.as_deref(), Some("11"));
        assert!(full.has_more());
        let last = Page::from_rows(vec![12_i64, 13], &keyset, |id| *id);
        assert_eq!(last.items, [12, 13]);
        assert!(!last.has_more());
        assert_eq!(full.map(|id| id * 2).items, [20, 22]);
    }
}
