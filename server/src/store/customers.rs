//! Customers with their email domains.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, NotSet, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::Result;
use super::codec::{escape_like, from_ms, like, to_ms, word};
use super::entities::{customer_domains, customer_health, customers};
use super::keyset::{Keyset, by_key_then_id};
use crate::domain::crm::health::{Band, Tier};
use crate::domain::crm::linking::KnownCustomer;
use crate::domain::customer::{Customer, LifecycleStage};
use crate::domain::ids::{CustomerId, OrgId, UserId};

/// Which customers a list shows.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    /// Only accounts this CSM owns.
    pub owner: Option<UserId>,
    /// Only accounts of this tier.
    pub tier: Option<Tier>,
    /// Only accounts whose name contains this text (case-insensitive) or that own a
    /// domain starting with it.
    pub search: Option<String>,
    /// Only accounts whose health snapshot is in this band.
    pub band: Option<Band>,
}

/// What a customer list is ordered by; ties are broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CustomerOrder {
    /// When the account was added.
    #[default]
    Created,
    /// The health snapshot's score.
    Health,
    /// The last meeting's start, never met first.
    LastMeeting,
}

/// The position of a customer in a list: its order key and id (for `Created` the key
/// is the id itself).
pub type CustomerKey = (i64, i64);

fn to_customer(m: customers::Model, domains: Vec<String>) -> Result<Customer> {
    Ok(Customer {
        id: CustomerId(m.id),
        org_id: OrgId(m.org_id),
        owner: m.owner_user_id.map(UserId),
        tier: word("customer tier", &m.tier, Tier::parse)?,
        lifecycle_stage: word(
            "customer lifecycle stage",
            &m.lifecycle_stage,
            LifecycleStage::parse,
        )?,
        renewal_date: m.renewal_date,
        created_at: from_ms(m.created_ms)?,
        updated_at: from_ms(m.updated_ms)?,
        arr_cents: m.arr_cents,
        name: m.name,
        domains,
    })
}

fn to_active(c: &Customer) -> customers::ActiveModel {
    customers::ActiveModel {
        id: NotSet,
        org_id: Set(c.org_id.0),
        name: Set(c.name.clone()),
        owner_user_id: Set(c.owner.map(|u| u.0)),
        tier: Set(c.tier.as_str().to_string()),
        arr_cents: Set(c.arr_cents),
        lifecycle_stage: Set(c.lifecycle_stage.as_str().to_string()),
        renewal_date: Set(c.renewal_date),
        created_ms: Set(to_ms(c.created_at)),
        updated_ms: Set(to_ms(c.updated_at)),
    }
}

async fn write_domains(db: &impl ConnectionTrait, c: &Customer) -> Result<()> {
    customer_domains::Entity::delete_many()
        .filter(customer_domains::Column::CustomerId.eq(c.id.0))
        .exec(db)
        .await?;
    if c.domains.is_empty() {
        return Ok(());
    }
    customer_domains::Entity::insert_many(c.domains.iter().map(|d| {
        customer_domains::ActiveModel {
            id: NotSet,
            org_id: Set(c.org_id.0),
            customer_id: Set(c.id.0),
            domain: Set(d.clone()),
        }
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// The domains of `customers`, in one query.
async fn domains_of(
    db: &impl ConnectionTrait,
    customers: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, Vec<String>>> {
    let ids: Vec<i64> = customers.into_iter().collect();
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    for row in customer_domains::Entity::find()
        .filter(customer_domains::Column::CustomerId.is_in(ids))
        .order_by_asc(customer_domains::Column::Id)
        .all(db)
        .await?
    {
        out.entry(row.customer_id).or_default().push(row.domain);
    }
    Ok(out)
}

async fn with_domains(
    db: &impl ConnectionTrait,
    models: Vec<customers::Model>,
) -> Result<Vec<Customer>> {
    let mut domains = domains_of(db, models.iter().map(|m| m.id)).await?;
    models
        .into_iter()
        .map(|m| {
            let own = domains.remove(&m.id).unwrap_or_default();
            to_customer(m, own)
        })
        .collect()
}

/// Saves a new customer with its domains (its `id` is ignored).
pub async fn insert(db: &impl ConnectionTrait, c: &Customer) -> Result<Customer> {
    let row = to_active(c).insert(db).await?;
    let saved = to_customer(row, c.domains.clone())?;
    write_domains(db, &saved).await?;
    Ok(saved)
}

/// Replaces every field of a customer, domains included.
pub async fn update(db: &impl ConnectionTrait, c: &Customer) -> Result<Customer> {
    let mut active = to_active(c);
    active.id = Set(c.id.0);
    let row = active.update(db).await?;
    write_domains(db, c).await?;
    to_customer(row, c.domains.clone())
}

/// The customer `id` in `org`.
pub async fn find(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: CustomerId,
) -> Result<Option<Customer>> {
    let Some(row) = customers::Entity::find_by_id(id.0)
        .filter(customers::Column::OrgId.eq(org.0))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(with_domains(db, vec![row]).await?.pop())
}

/// `org`'s customers `ids`, or all of them for `None`, in id order.
pub async fn many(
    db: &impl ConnectionTrait,
    org: OrgId,
    ids: Option<&[CustomerId]>,
) -> Result<Vec<Customer>> {
    let mut query = customers::Entity::find().filter(customers::Column::OrgId.eq(org.0));
    if let Some(ids) = ids {
        query = query.filter(customers::Column::Id.is_in(ids.iter().map(|c| c.0)));
    }
    let rows = query.order_by_asc(customers::Column::Id).all(db).await?;
    with_domains(db, rows).await
}

/// Whether `filter` narrows by anything kept in the customers' own rows (owner, tier,
/// search): when not, a list ordered by a snapshot column walks that index alone.
fn narrows_customers(filter: &CustomerFilter) -> bool {
    filter.owner.is_some() || filter.tier.is_some() || filter.search.is_some()
}

/// The ids of `org`'s customers matching `filter`, as a subquery.
fn matching(org: OrgId, filter: &CustomerFilter) -> SelectStatement {
    let mut query = Query::select()
        .column(customers::Column::Id)
        .from(customers::Entity)
        .and_where(customers::Column::OrgId.eq(org.0))
        .to_owned();
    if let Some(owner) = filter.owner {
        query.and_where(customers::Column::OwnerUserId.eq(owner.0));
    }
    if let Some(tier) = filter.tier {
        query.and_where(customers::Column::Tier.eq(tier.as_str()));
    }
    if let Some(text) = filter.search.as_deref().map(str::to_lowercase) {
        let escaped = escape_like(&text);
        let by_domain = Query::select()
            .column(customer_domains::Column::CustomerId)
            .from(customer_domains::Entity)
            .and_where(customer_domains::Column::OrgId.eq(org.0))
            .and_where(
                Expr::col(customer_domains::Column::Domain).like(like(format!("{escaped}%"))),
            )
            .to_owned();
        let by_name = Expr::expr(Func::lower(Expr::col(customers::Column::Name)))
            .like(like(format!("%{escaped}%")));
        query.cond_where(
            Condition::any()
                .add(by_name)
                .add(customers::Column::Id.in_subquery(by_domain)),
        );
    }
    if let Some(band) = filter.band {
        let in_band = Query::select()
            .column(customer_health::Column::CustomerId)
            .from(customer_health::Entity)
            .and_where(customer_health::Column::OrgId.eq(org.0))
            .and_where(customer_health::Column::Band.eq(band.as_str()))
            .to_owned();
        query.and_where(customers::Column::Id.in_subquery(in_band));
    }
    query
}

/// The ids of all of `org`'s customers matching `filter`, in id order.
pub async fn ids(
    db: &impl ConnectionTrait,
    org: OrgId,
    filter: &CustomerFilter,
) -> Result<Vec<CustomerId>> {
    let mut query = matching(org, filter);
    query.order_by(customers::Column::Id, sea_orm::Order::Asc);
    let rows = db.query_all(&query).await?;
    rows.iter()
        .map(|row| Ok(CustomerId(row.try_get_by_index::<i64>(0)?)))
        .collect()
}

/// A page of `org`'s customers matching `filter` in `order` (reversed when
/// `descending`), each with its position for the next page's keyset.
///
/// Ordering by health or last meeting walks the snapshots' index and lists only the
/// customers that have a snapshot: the caller refreshes missing ones first.
pub async fn list(
    db: &impl ConnectionTrait,
    org: OrgId,
    filter: &CustomerFilter,
    order: CustomerOrder,
    descending: bool,
    keyset: Keyset<CustomerKey>,
) -> Result<Vec<(CustomerKey, Customer)>> {
    let keys: Vec<CustomerKey> = match order {
        CustomerOrder::Created => {
            let id = customers::Column::Id;
            let query = customers::Entity::find()
                .select_only()
                .column(id)
                .column(id)
                .filter(id.in_subquery(matching(org, filter)));
            by_key_then_id(query, id, id, descending, keyset)
                .into_tuple()
                .all(db)
                .await?
        }
        CustomerOrder::Health => {
            let key = customer_health::Column::Score;
            snapshot_keys::<i32>(db, org, filter, key, descending, keyset).await?
        }
        CustomerOrder::LastMeeting => {
            let key = customer_health::Column::LastMetMs;
            snapshot_keys::<i64>(db, org, filter, key, descending, keyset).await?
        }
    };
    let rows = customers::Entity::find()
        .filter(customers::Column::OrgId.eq(org.0))
        .filter(customers::Column::Id.is_in(keys.iter().map(|(_, id)| *id)))
        .all(db)
        .await?;
    let mut by_id: HashMap<i64, Customer> = with_domains(db, rows)
        .await?
        .into_iter()
        .map(|c| (c.id.0, c))
        .collect();
    Ok(keys
        .into_iter()
        .filter_map(|k| by_id.remove(&k.1).map(|c| (k, c)))
        .collect())
}

/// A page of (key, customer id) from the snapshots of `org`'s customers matching
/// `filter`, ordered by snapshot column `key` (stored as a `K`).
async fn snapshot_keys<K>(
    db: &impl ConnectionTrait,
    org: OrgId,
    filter: &CustomerFilter,
    key: customer_health::Column,
    descending: bool,
    keyset: Keyset<CustomerKey>,
) -> Result<Vec<CustomerKey>>
where
    K: sea_orm::TryGetable + Into<i64>,
{
    let id = customer_health::Column::CustomerId;
    let mut query = customer_health::Entity::find()
        .select_only()
        .column(key)
        .column(id)
        .filter(customer_health::Column::OrgId.eq(org.0));
    if let Some(band) = filter.band {
        query = query.filter(customer_health::Column::Band.eq(band.as_str()));
    }
    if narrows_customers(filter) {
        query = query.filter(id.in_subquery(matching(org, filter)));
    }
    let rows: Vec<(K, i64)> = by_key_then_id(query, key, id, descending, keyset)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(k, id)| (k.into(), id)).collect())
}

/// Deletes the customer `id` in `org` with its domains, stakeholders and meeting links
/// (the bookings stay); `false` when there was none.
pub async fn delete(db: &impl ConnectionTrait, org: OrgId, id: CustomerId) -> Result<bool> {
    let deleted = customers::Entity::delete_many()
        .filter(customers::Column::Id.eq(id.0))
        .filter(customers::Column::OrgId.eq(org.0))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected == 1)
}

/// The customers of `org` that own any of `domains`, with all their domains: the
/// candidates for linking attendees from those domains.
pub async fn claiming(
    db: &impl ConnectionTrait,
    org: OrgId,
    domains: &[String],
) -> Result<Vec<KnownCustomer>> {
    if domains.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = customer_domains::Entity::find()
        .filter(customer_domains::Column::OrgId.eq(org.0))
        .filter(customer_domains::Column::Domain.is_in(domains.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.customer_id)
        .collect();
    let mut all = domains_of(db, ids).await?.into_iter().collect::<Vec<_>>();
    all.sort_by_key(|(id, _)| *id);
    Ok(all
        .into_iter()
        .map(|(id, domains)| KnownCustomer {
            id: CustomerId(id),
            domains,
        })
        .collect())
}
