//! Meeting links: which bookings were meetings with which customer and stakeholder, and
//! how each was matched (email, domain, or a CSM's manual choice).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, NotSet, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::Result;
use super::codec::{from_ms, to_ms, word};
use super::entities::{booking_attendees, bookings, meeting_categories, meeting_links};
use crate::domain::booking::{BookingStatus, CancelledBy};
use crate::domain::crm::assessment::LinkedBooking;
use crate::domain::crm::linking::{Link, MatchedBy};
use crate::domain::customer::MeetingCategory;
use crate::domain::ids::{BookingId, CustomerId, OrgId, StakeholderId, UserId};

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

/// Every booking linked to `customer`.
pub async fn booking_ids(
    db: &impl ConnectionTrait,
    org: OrgId,
    customer: CustomerId,
) -> Result<Vec<BookingId>> {
    let ids: Vec<i64> = meeting_links::Entity::find()
        .select_only()
        .column(meeting_links::Column::BookingId)
        .distinct()
        .filter(meeting_links::Column::OrgId.eq(org.0))
        .filter(meeting_links::Column::CustomerId.eq(customer.0))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().map(BookingId).collect())
}

/// The links of `bookings` to `customer`, for showing how each meeting was matched.
pub async fn for_customer(
    db: &impl ConnectionTrait,
    org: OrgId,
    customer: CustomerId,
    bookings: &[BookingId],
) -> Result<Vec<(BookingId, Link)>> {
    if bookings.is_empty() {
        return Ok(Vec::new());
    }
    meeting_links::Entity::find()
        .filter(meeting_links::Column::OrgId.eq(org.0))
        .filter(meeting_links::Column::CustomerId.eq(customer.0))
        .filter(meeting_links::Column::BookingId.is_in(bookings.iter().map(|b| b.0)))
        .order_by_asc(meeting_links::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|m| Ok((BookingId(m.booking_id), to_link(m)?)))
        .collect()
}

/// One link with the booking columns an assessment needs, and nothing else: an
/// organization-wide recompute reads hundreds of thousands of these.
#[derive(Debug, FromQueryResult)]
struct LinkedRow {
    customer_id: i64,
    booking_id: i64,
    stakeholder_id: Option<i64>,
    attendee_email: String,
    start_ms: i64,
    created_ms: i64,
    status: String,
    cancelled_by: Option<String>,
    rescheduled: bool,
    replaced: bool,
    category: Option<String>,
}

/// An attendee marked absent.
#[derive(Debug, FromQueryResult)]
struct AbsentRow {
    booking_id: i64,
    email: String,
}

/// Which linked bookings to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct LinkScope<'a> {
    /// Only those linked to these customers (all customers for `None`).
    pub customers: Option<&'a [CustomerId]>,
    /// Only those this user hosts.
    pub host: Option<UserId>,
}

/// The bookings in `scope` linked to each of `org`'s customers, one [`LinkedBooking`]
/// per customer and booking however many of its attendees matched.
///
/// Two queries whatever the number of customers: the links joined with their
/// bookings and categories, and the absent attendees among them.
pub async fn linked_bookings(
    db: &impl ConnectionTrait,
    org: OrgId,
    scope: LinkScope<'_>,
) -> Result<HashMap<CustomerId, Vec<LinkedBooking>>> {
    use meeting_links::Column as L;
    let b = |c: bookings::Column| (bookings::Entity, c);
    let mut select = Query::select()
        .columns([
            (meeting_links::Entity, L::CustomerId),
            (meeting_links::Entity, L::BookingId),
            (meeting_links::Entity, L::StakeholderId),
            (meeting_links::Entity, L::AttendeeEmail),
        ])
        .columns([
            b(bookings::Column::StartMs),
            b(bookings::Column::CreatedMs),
            b(bookings::Column::Status),
            b(bookings::Column::CancelledBy),
        ])
        .expr_as(
            Expr::col(b(bookings::Column::RescheduledFromUid)).is_not_null(),
            "rescheduled",
        )
        .expr_as(
            Expr::col(b(bookings::Column::RescheduledToUid)).is_not_null(),
            "replaced",
        )
        .column((
            meeting_categories::Entity,
            meeting_categories::Column::Category,
        ))
        .from(meeting_links::Entity)
        .inner_join(
            bookings::Entity,
            Expr::col(b(bookings::Column::Id)).equals((meeting_links::Entity, L::BookingId)),
        )
        .left_join(
            meeting_categories::Entity,
            Expr::col((
                meeting_categories::Entity,
                meeting_categories::Column::EventTypeId,
            ))
            .equals(b(bookings::Column::EventTypeId)),
        )
        .and_where(Expr::col((meeting_links::Entity, L::OrgId)).eq(org.0))
        .to_owned();
    let mut absent = Query::select()
        .column((
            booking_attendees::Entity,
            booking_attendees::Column::BookingId,
        ))
        .expr_as(
            Func::lower(Expr::col((
                booking_attendees::Entity,
                booking_attendees::Column::Email,
            ))),
            "email",
        )
        .from(booking_attendees::Entity)
        .inner_join(
            meeting_links::Entity,
            Expr::col((meeting_links::Entity, L::BookingId)).equals((
                booking_attendees::Entity,
                booking_attendees::Column::BookingId,
            )),
        )
        .and_where(Expr::col((meeting_links::Entity, L::OrgId)).eq(org.0))
        .and_where(
            Expr::col((booking_attendees::Entity, booking_attendees::Column::Absent)).eq(true),
        )
        .distinct()
        .to_owned();
    if let Some(host) = scope.host {
        select.and_where(Expr::col(b(bookings::Column::HostUserId)).eq(host.0));
    }
    if let Some(ids) = scope.customers {
        let ids: Vec<i64> = ids.iter().map(|c| c.0).collect();
        select.and_where(Expr::col((meeting_links::Entity, L::CustomerId)).is_in(ids.clone()));
        absent.and_where(Expr::col((meeting_links::Entity, L::CustomerId)).is_in(ids));
    }
    let backend = db.get_database_backend();
    let absent: HashSet<(i64, String)> = AbsentRow::find_by_statement(backend.build(&absent))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.booking_id, a.email))
        .collect();
    let rows = LinkedRow::find_by_statement(backend.build(&select))
        .all(db)
        .await?;
    let mut grouped: HashMap<(i64, i64), LinkedBooking> = HashMap::new();
    for row in rows {
        let no_show = absent.contains(&(row.booking_id, row.attendee_email.clone()));
        if let Some(seen) = grouped.get_mut(&(row.customer_id, row.booking_id)) {
            seen.stakeholder_ids
                .extend(row.stakeholder_id.map(StakeholderId));
            seen.no_show |= no_show;
            continue;
        }
        let linked = LinkedBooking {
            booking_id: BookingId(row.booking_id),
            start: from_ms(row.start_ms)?,
            booked_at: from_ms(row.created_ms)?,
            status: word("booking status", &row.status, BookingStatus::parse)?,
            cancelled_by: row
                .cancelled_by
                .as_deref()
                .map(|w| word("booking canceller", w, CancelledBy::parse))
                .transpose()?,
            rescheduled: row.rescheduled,
            replaced: row.replaced,
            category: row
                .category
                .as_deref()
                .map(|w| word("meeting category", w, MeetingCategory::parse))
                .transpose()?,
            stakeholder_ids: row.stakeholder_id.map(StakeholderId).into_iter().collect(),
            no_show,
        };
        grouped.insert((row.customer_id, row.booking_id), linked);
    }
    let mut out: HashMap<CustomerId, Vec<LinkedBooking>> = HashMap::new();
    for ((customer, _), linked) in grouped {
        out.entry(CustomerId(customer)).or_default().push(linked);
    }
    Ok(out)
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
