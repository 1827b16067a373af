//! Keyset pages: a page continues after the last row of the previous one, never at an
//! OFFSET, so rows added or removed between requests are neither repeated nor skipped,
//! and the database seeks through an index instead of counting past rows.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

/// Where a page starts and how many rows it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyset<K> {
    /// The key of the previous page's last row; `None` for the first page.
    pub after: Option<K>,
    /// Rows on the page. Queries fetch one more, so the caller learns whether another
    /// page follows without a second query.
    pub limit: u64,
}

/// `query` in ascending `id` order, continuing after `keyset.after`.
pub(super) fn oldest_first<E: EntityTrait>(
    query: Select<E>,
    id: E::Column,
    keyset: Keyset<i64>,
) -> Select<E> {
    let query = match keyset.after {
        Some(after) => query.filter(id.gt(after)),
        None => query,
    };
    query.order_by_asc(id).limit(keyset.limit + 1)
}

/// `query` in descending `id` order (newest first), continuing after `keyset.after`.
pub(super) fn newest_first<E: EntityTrait>(
    query: Select<E>,
    id: E::Column,
    keyset: Keyset<i64>,
) -> Select<E> {
    let query = match keyset.after {
        Some(after) => query.filter(id.lt(after)),
        None => query,
    };
    query.order_by_desc(id).limit(keyset.limit + 1)
}
