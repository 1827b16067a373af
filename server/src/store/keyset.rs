//! Keyset pages: a page continues after the last row of the previous one, never at an
//! OFFSET, so rows added or removed between requests are neither repeated nor skipped,
//! and the database seeks through an index instead of counting past rows.

use sea_orm::{
    ColumnTrait, Condition, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select,
};

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

/// `query` ordered by (`key`, `id`), descending or not, continuing after
/// `keyset.after`: for lists sorted by a value many rows may share, with the id to
/// break ties.
pub(super) fn by_key_then_id<E: EntityTrait>(
    query: Select<E>,
    key: E::Column,
    id: E::Column,
    descending: bool,
    keyset: Keyset<(i64, i64)>,
) -> Select<E> {
    let query = match keyset.after {
        Some((k, i)) if descending => query.filter(
            Condition::any()
                .add(key.lt(k))
                .add(Condition::all().add(key.eq(k)).add(id.lt(i))),
        ),
        Some((k, i)) => query.filter(
            Condition::any()
                .add(key.gt(k))
                .add(Condition::all().add(key.eq(k)).add(id.gt(i))),
        ),
        None => query,
    };
    let direction = if descending { Order::Desc } else { Order::Asc };
    query
        .order_by(key, direction.clone())
        .order_by(id, direction)
        .limit(keyset.limit + 1)
}
