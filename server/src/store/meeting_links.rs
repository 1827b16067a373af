//! Meeting links: which bookings were meetings with which customer and stakeholder, and
//! how each was matched (email, domain, or a CSM's manual choice).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder, Set,
};

use super::Result;
use super::codec::{to_ms, word};
use super::entities::meeting_links;
use crate::domain::crm::linking::{Link, MatchedBy};
use crate::domain::ids::{BookingId, CustomerId, OrgId, StakeholderId};

fn to_link(m: meeting_links::Model) -> Result<Link> {
    Ok(Link {
        customer_id: CustomerId(m.customer_id),
        stakeholder_id: m.stakeholder_id.map(StakeholderId),
        matched_by: word("meeting link match", &m.matched_by, MatchedBy::parse)?,
        attendee_email: m.attendee_email,
    })
}

/// The links of `booking`, in the order they were made.
pub async fn for_booking(
    db: &impl ConnectionTrait,
    org: OrgId,
    booking: BookingId,
) -> Result<Vec<Link>> {
    meeting_links::Entity::find()
        .filter(meeting_links::Column::OrgId.eq(org.0))
        .filter(meeting_links::Column::BookingId.eq(booking.0))
        .order_by_asc(meeting_links::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_link)
        .collect()
}

/// Makes `links` the links of `booking`, replacing whatever it had.
pub async fn replace(
    db: &impl ConnectionTrait,
    org: OrgId,
    booking: BookingId,
    links: &[Link],
    now: DateTime<Utc>,
) -> Result<()> {
    meeting_links::Entity::delete_many()
        .filter(meeting_links::Column::OrgId.eq(org.0))
        .filter(meeting_links::Column::BookingId.eq(booking.0))
        .exec(db)
        .await?;
    if links.is_empty() {
        return Ok(());
    }
    meeting_links::Entity::insert_many(links.iter().map(|l| meeting_links::ActiveModel {
        id: NotSet,
        org_id: Set(org.0),
        booking_id: Set(booking.0),
        customer_id: Set(l.customer_id.0),
        stakeholder_id: Set(l.stakeholder_id.map(|s| s.0)),
        attendee_email: Set(l.attendee_email.clone()),
        matched_by: Set(l.matched_by.as_str().to_string()),
        created_ms: Set(to_ms(now)),
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// Every link to `customer`, for showing how each meeting was matched.
pub async fn for_customer(
    db: &impl ConnectionTrait,
    org: OrgId,
    customer: CustomerId,
) -> Result<Vec<(BookingId, Link)>> {
    meeting_links::Entity::find()
        .filter(meeting_links::Column::OrgId.eq(org.0))
        .filter(meeting_links::Column::CustomerId.eq(customer.0))
        .order_by_asc(meeting_links::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|m| Ok((BookingId(m.booking_id), to_link(m)?)))
        .collect()
}

/// Every link of `org` for attendee `email` (lower case) or naming `stakeholder`: the
/// meeting links a person's data export shows, with their bookings.
pub async fn of_person(
    db: &impl ConnectionTrait,
    org: OrgId,
    stakeholder: StakeholderId,
    email: &str,
) -> Result<Vec<(BookingId, Link)>> {
    meeting_links::Entity::find()
        .filter(meeting_links::Column::OrgId.eq(org.0))
        .filter(
            Condition::any()
                .add(meeting_links::Column::AttendeeEmail.eq(email))
                .add(meeting_links::Column::StakeholderId.eq(stakeholder.0)),
        )
        .order_by_asc(meeting_links::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|m| Ok((BookingId(m.booking_id), to_link(m)?)))
        .collect()
}

/// Erases a person from `org`'s links and keeps the meetings with the customer: links
/// of attendee `email` move to `pseudonym` without a stakeholder and become manual (no
/// address identifies the customer any more, so the link must survive relinking as a
/// decision); other links naming `stakeholder` lose the stakeholder. Returns how many
/// links changed.
pub async fn pseudonymize(
    db: &impl ConnectionTrait,
    org: OrgId,
    stakeholder: StakeholderId,
    email: &str,
    pseudonym: &str,
) -> Result<u64> {
    let moved = meeting_links::Entity::update_many()
        .col_expr(meeting_links::Column::AttendeeEmail, Expr::value(pseudonym))
        .col_expr(
            meeting_links::Column::StakeholderId,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(
            meeting_links::Column::MatchedBy,
            Expr::value(MatchedBy::Manual.as_str()),
        )
        .filter(meeting_links::Column::OrgId.eq(org.0))
        .filter(meeting_links::Column::AttendeeEmail.eq(email))
        .exec(db)
        .await?;
    let unnamed = meeting_links::Entity::update_many()
        .col_expr(
            meeting_links::Column::StakeholderId,
            Expr::value(Option::<i64>::None),
        )
        .filter(meeting_links::Column::OrgId.eq(org.0))
        .filter(meeting_links::Column::StakeholderId.eq(stakeholder.0))
        .exec(db)
        .await?;
    Ok(moved.rows_affected + unnamed.rows_affected)
}
