//! Scheduling links. Every change of a link's counters is one `UPDATE` that checks its
//! own condition, so concurrent opens and bookings never lose a count or overspend.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, NotSet, QueryFilter,
    QueryOrder, Set,
};

use super::codec::{from_ms, to_ms};
use super::entities::scheduling_links;
use super::keyset::{Keyset, newest_first};
use super::{Result, StoreError, duplicate_or_db};
use crate::domain::ids::{CustomerId, EventTypeId, OrgId, SchedulingLinkId, StakeholderId, UserId};
use crate::domain::scheduling_link::SchedulingLink;

fn count(what: &'static str, value: i32) -> Result<u32> {
    u32::try_from(value).map_err(|_| StoreError::Corrupt {
        what,
        detail: value.to_string(),
    })
}

fn optional_ms(ms: Option<i64>) -> Result<Option<DateTime<Utc>>> {
    ms.map(from_ms).transpose()
}

fn to_link(m: scheduling_links::Model) -> Result<SchedulingLink> {
    Ok(SchedulingLink {
        id: SchedulingLinkId(m.id),
        org_id: OrgId(m.org_id),
        event_type_id: EventTypeId(m.event_type_id),
        created_by: UserId(m.created_by_user_id),
        customer_id: m.customer_id.map(CustomerId),
        stakeholder_id: m.stakeholder_id.map(StakeholderId),
        max_uses: count("link max uses", m.max_uses)?,
        uses: count("link uses", m.uses)?,
        expires_at: from_ms(m.expires_ms)?,
        created_at: from_ms(m.created_ms)?,
        first_opened_at: optional_ms(m.first_opened_ms)?,
        last_opened_at: optional_ms(m.last_opened_ms)?,
        open_count: count("link open count", m.open_count)?,
        used_at: optional_ms(m.used_ms)?,
        revoked_at: optional_ms(m.revoked_ms)?,
        token: m.token,
        prefill_name: m.prefill_name,
        prefill_email: m.prefill_email,
    })
}

fn stored_count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Saves a new link (its `id` is ignored); `Duplicate` if the token exists.
pub async fn insert(db: &impl ConnectionTrait, l: &SchedulingLink) -> Result<SchedulingLink> {
    let row = scheduling_links::ActiveModel {
        id: NotSet,
        org_id: Set(l.org_id.0),
        token: Set(l.token.clone()),
        event_type_id: Set(l.event_type_id.0),
        created_by_user_id: Set(l.created_by.0),
        customer_id: Set(l.customer_id.map(|c| c.0)),
        stakeholder_id: Set(l.stakeholder_id.map(|s| s.0)),
        prefill_name: Set(l.prefill_name.clone()),
        prefill_email: Set(l.prefill_email.clone()),
        max_uses: Set(stored_count(l.max_uses)),
        uses: Set(stored_count(l.uses)),
        expires_ms: Set(to_ms(l.expires_at)),
        created_ms: Set(to_ms(l.created_at)),
        first_opened_ms: Set(l.first_opened_at.map(to_ms)),
        last_opened_ms: Set(l.last_opened_at.map(to_ms)),
        open_count: Set(stored_count(l.open_count)),
        used_ms: Set(l.used_at.map(to_ms)),
        revoked_ms: Set(l.revoked_at.map(to_ms)),
    };
    to_link(row.insert(db).await.map_err(duplicate_or_db)?)
}

/// The link `id` in `org`.
pub async fn find(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: SchedulingLinkId,
) -> Result<Option<SchedulingLink>> {
    scheduling_links::Entity::find_by_id(id.0)
        .filter(scheduling_links::Column::OrgId.eq(org.0))
        .one(db)
        .await?
        .map(to_link)
        .transpose()
}

/// The link with `token`, in any organization: the public routes learn the tenant
/// from the link itself.
pub async fn find_by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<SchedulingLink>> {
    scheduling_links::Entity::find()
        .filter(scheduling_links::Column::Token.eq(token))
        .one(db)
        .await?
        .map(to_link)
        .transpose()
}

/// A page of `org`'s links (only `customer`'s when given), newest first, with one row
/// past the limit.
pub async fn list(
    db: &impl ConnectionTrait,
    org: OrgId,
    customer: Option<CustomerId>,
    keyset: Keyset<i64>,
) -> Result<Vec<SchedulingLink>> {
    let mut query =
        scheduling_links::Entity::find().filter(scheduling_links::Column::OrgId.eq(org.0));
    if let Some(customer) = customer {
        query = query.filter(scheduling_links::Column::CustomerId.eq(customer.0));
    }
    newest_first(query, scheduling_links::Column::Id, keyset)
        .all(db)
        .await?
        .into_iter()
        .map(to_link)
        .collect()
}

/// Counts an opening of link `id` at `now`: the first one stays the first.
pub async fn record_open(
    db: &impl ConnectionTrait,
    id: SchedulingLinkId,
    now: DateTime<Utc>,
) -> Result<()> {
    scheduling_links::Entity::update_many()
        .col_expr(
            scheduling_links::Column::OpenCount,
            Expr::col(scheduling_links::Column::OpenCount).add(1),
        )
        .col_expr(
            scheduling_links::Column::FirstOpenedMs,
            Expr::col(scheduling_links::Column::FirstOpenedMs).if_null(to_ms(now)),
        )
        .col_expr(
            scheduling_links::Column::LastOpenedMs,
            Expr::value(to_ms(now)),
        )
        .filter(scheduling_links::Column::Id.eq(id.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Spends one use of link `id` at `now` if it has one left, has not expired and was not
/// revoked; `false` otherwise. One statement that checks and counts, so concurrent
/// bookings can never spend more uses than the link has: on PostgreSQL a second
/// writer waits for the first and re-checks against its result.
pub async fn claim_use(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: SchedulingLinkId,
    now: DateTime<Utc>,
) -> Result<bool> {
    let claimed = scheduling_links::Entity::update_many()
        .col_expr(
            scheduling_links::Column::Uses,
            Expr::col(scheduling_links::Column::Uses).add(1),
        )
        .col_expr(scheduling_links::Column::UsedMs, Expr::value(to_ms(now)))
        .filter(scheduling_links::Column::Id.eq(id.0))
        .filter(scheduling_links::Column::OrgId.eq(org.0))
        .filter(
            Expr::col(scheduling_links::Column::Uses)
                .lt(Expr::col(scheduling_links::Column::MaxUses)),
        )
        .filter(scheduling_links::Column::ExpiresMs.gt(to_ms(now)))
        .filter(scheduling_links::Column::RevokedMs.is_null())
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Withdraws link `id` of `org` at `now`; a link revoked before keeps its first date.
pub async fn revoke(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: SchedulingLinkId,
    now: DateTime<Utc>,
) -> Result<()> {
    scheduling_links::Entity::update_many()
        .col_expr(scheduling_links::Column::RevokedMs, Expr::value(to_ms(now)))
        .filter(scheduling_links::Column::Id.eq(id.0))
        .filter(scheduling_links::Column::OrgId.eq(org.0))
        .filter(scheduling_links::Column::RevokedMs.is_null())
        .exec(db)
        .await?;
    Ok(())
}

fn made_for(org: OrgId, stakeholder: StakeholderId, email: &str) -> Condition {
    Condition::all()
        .add(scheduling_links::Column::OrgId.eq(org.0))
        .add(
            Condition::any()
                .add(scheduling_links::Column::StakeholderId.eq(stakeholder.0))
                .add(scheduling_links::Column::PrefillEmail.eq(email)),
        )
}

/// The links of `org` made for `stakeholder` or filled in with `email`, oldest first.
pub async fn made_for_person(
    db: &impl ConnectionTrait,
    org: OrgId,
    stakeholder: StakeholderId,
    email: &str,
) -> Result<Vec<SchedulingLink>> {
    scheduling_links::Entity::find()
        .filter(made_for(org, stakeholder, email))
        .order_by_asc(scheduling_links::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_link)
        .collect()
}

/// Takes `stakeholder` and their name and email out of `org`'s links made for them; the
/// links keep their customer, so a booking through one is still that customer's
/// meeting. Returns how many links changed.
pub async fn forget_person(
    db: &impl ConnectionTrait,
    org: OrgId,
    stakeholder: StakeholderId,
    email: &str,
) -> Result<u64> {
    let changed = scheduling_links::Entity::update_many()
        .col_expr(
            scheduling_links::Column::StakeholderId,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(
            scheduling_links::Column::PrefillName,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            scheduling_links::Column::PrefillEmail,
            Expr::value(Option::<String>::None),
        )
        .filter(made_for(org, stakeholder, email))
        .exec(db)
        .await?;
    Ok(changed.rows_affected)
}
