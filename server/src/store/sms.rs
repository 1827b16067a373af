//! Text messages an organization sent through its messaging plugin, one per reference
//! (its unique index is what makes a send idempotent), and the phones that opted out of
//! the organization's messages.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, NotSet, QueryFilter, QuerySelect,
    Set,
};

use super::codec::{from_ms, to_ms};
use super::entities::{sms_messages as rows, sms_opt_outs as opt_outs};
use super::{Result, duplicate_or_db};
use crate::domain::ids::OrgId;

/// The status of a message claimed for sending whose provider has not answered yet.
pub const SENDING: &str = "sending";

/// A message as Convene keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsMessage {
    pub id: i64,
    pub org_id: OrgId,
    pub installation_id: i64,
    /// The caller's id of the message: one message per reference.
    pub reference: String,
    /// The provider's id (Twilio's SID), once the provider took the message.
    pub provider_id: Option<String>,
    /// The recipient, E.164.
    pub to: String,
    /// [`SENDING`], then the provider's status (`queued`, `sent`, `delivered`, ...).
    pub status: String,
    pub error_code: Option<String>,
    /// When the provider reported the status; `None` before any report.
    pub status_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn to_message(m: rows::Model) -> Result<SmsMessage> {
    Ok(SmsMessage {
        id: m.id,
        org_id: OrgId(m.org_id),
        installation_id: m.installation_id,
        reference: m.reference,
        provider_id: m.provider_id,
        to: m.to_phone,
        status: m.status,
        error_code: m.error_code,
        status_at: m.status_ms.map(from_ms).transpose()?,
        created_at: from_ms(m.created_ms)?,
        updated_at: from_ms(m.updated_ms)?,
    })
}

/// Claims `reference` for a message to `to` through `installation`, [`SENDING`]; its
/// id. [`super::StoreError::Duplicate`] when the reference was claimed before.
pub async fn claim(
    db: &impl ConnectionTrait,
    org: OrgId,
    installation: i64,
    reference: &str,
    to: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let row = rows::ActiveModel {
        id: NotSet,
        org_id: Set(org.0),
        installation_id: Set(installation),
        reference: Set(reference.to_string()),
        provider_id: Set(None),
        to_phone: Set(to.to_string()),
        status: Set(SENDING.into()),
        error_code: Set(None),
        status_ms: Set(None),
        created_ms: Set(to_ms(now)),
        updated_ms: Set(to_ms(now)),
    };
    Ok(rows::Entity::insert(row)
        .exec(db)
        .await
        .map_err(duplicate_or_db)?
        .last_insert_id)
}

/// Records that the provider took message `id` (as `provider_id`, when it named one):
/// it is queued there.
pub async fn mark_sent(
    db: &impl ConnectionTrait,
    id: i64,
    provider_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    rows::Entity::update_many()
        .filter(rows::Column::Id.eq(id))
        .col_expr(
            rows::Column::ProviderId,
            provider_id.map(str::to_string).into(),
        )
        .col_expr(rows::Column::Status, "queued".into())
        .col_expr(rows::Column::UpdatedMs, to_ms(now).into())
        .exec(db)
        .await?;
    Ok(())
}

/// Gives up claimed message `id` (the provider refused or could not be reached), so a
/// later send of its reference tries again.
pub async fn release(db: &impl ConnectionTrait, id: i64) -> Result<()> {
    rows::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// `org`'s message `reference`.
pub async fn by_reference(
    db: &impl ConnectionTrait,
    org: OrgId,
    reference: &str,
) -> Result<Option<SmsMessage>> {
    rows::Entity::find()
        .filter(rows::Column::OrgId.eq(org.0))
        .filter(rows::Column::Reference.eq(reference))
        .one(db)
        .await?
        .map(to_message)
        .transpose()
}

/// The message `installation` sent as provider id `provider_id`. Inside a transaction
/// on PostgreSQL the row stays locked until it ends, so two status reports of one
/// message are weighed one after the other (SQLite's `BEGIN IMMEDIATE` does the same).
pub async fn by_provider_id_for_update(
    db: &impl ConnectionTrait,
    org: OrgId,
    installation: i64,
    provider_id: &str,
) -> Result<Option<SmsMessage>> {
    let mut query = rows::Entity::find()
        .filter(rows::Column::OrgId.eq(org.0))
        .filter(rows::Column::InstallationId.eq(installation))
        .filter(rows::Column::ProviderId.eq(provider_id));
    if db.get_database_backend() == DatabaseBackend::Postgres {
        query = query.lock_exclusive();
    }
    query.one(db).await?.map(to_message).transpose()
}

/// Sets message `id`'s status as the provider reported it at `at`.
pub async fn set_status(
    db: &impl ConnectionTrait,
    id: i64,
    status: &str,
    error_code: Option<&str>,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    rows::Entity::update_many()
        .filter(rows::Column::Id.eq(id))
        .col_expr(rows::Column::Status, status.into())
        .col_expr(
            rows::Column::ErrorCode,
            error_code.map(str::to_string).into(),
        )
        .col_expr(rows::Column::StatusMs, Some(to_ms(at)).into())
        .col_expr(rows::Column::UpdatedMs, to_ms(now).into())
        .exec(db)
        .await?;
    Ok(())
}

/// Records that `phone` opted out of `org`'s messages at `at` (kept as first said).
pub async fn opt_out(
    db: &impl ConnectionTrait,
    org: OrgId,
    phone: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let row = opt_outs::ActiveModel {
        org_id: Set(org.0),
        phone: Set(phone.to_string()),
        opted_out_ms: Set(to_ms(at)),
    };
    opt_outs::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([opt_outs::Column::OrgId, opt_outs::Column::Phone])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Records that `phone` opted back in to `org`'s messages.
pub async fn opt_in(db: &impl ConnectionTrait, org: OrgId, phone: &str) -> Result<()> {
    opt_outs::Entity::delete_many()
        .filter(opt_outs::Column::OrgId.eq(org.0))
        .filter(opt_outs::Column::Phone.eq(phone))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether `phone` opted out of `org`'s messages.
pub async fn opted_out(db: &impl ConnectionTrait, org: OrgId, phone: &str) -> Result<bool> {
    Ok(opt_outs::Entity::find_by_id((org.0, phone.to_string()))
        .one(db)
        .await?
        .is_some())
}
