//! The commands themselves, each through the use case its API twin calls.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::app::auth::Caller;
use crate::app::bookings::{self, BookingView};
use crate::app::customers;
use crate::app::page::{MAX_LIMIT, PageRequest};
use crate::app::recommendations::recommend_event_type;
use crate::app::scheduling_links::{self, SchedulingLinkInput};
use crate::app::{App, Result};
use crate::domain::booking::Booking;
use crate::domain::chat::Day;
use crate::domain::crm::recommendation::Recommendation;
use crate::domain::event_type::EventType;
use crate::store;

use super::directory::{ANYONE, Directory, Nameable, PEOPLE, or_list, pick};
use super::{Answer, Candidate, Data, LinkUrl, Person, SHOWN, Subject};

/// An instant as a person reads it in their zone: "Tue 1 Dec 2026 at 09:00 CET".
pub(super) fn when(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%a %-d %b %Y at %H:%M %Z")
        .to_string()
}

/// The subject's bookings with anyone in the organization, leaving out the ones a
/// reschedule replaced (their replacement is the meeting).
pub(super) async fn bookings_of(
    app: &App,
    caller: Caller,
    subject: &Subject,
) -> Result<Vec<Booking>> {
    let all = match subject {
        Subject::Customer(c) => {
            let ids = store::meeting_links::booking_ids(&app.db, caller.org_id, c.id).await?;
            store::bookings::by_ids(&app.db, caller.org_id, &ids).await?
        }
        Subject::Person(p) => {
            let ids: Vec<_> = store::bookings::attendees_with_emails(
                &app.db,
                caller.org_id,
                std::slice::from_ref(&p.email),
            )
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
            store::bookings::by_ids(&app.db, caller.org_id, &ids).await?
        }
    };
    Ok(all
        .into_iter()
        .filter(|b| b.rescheduled_to_uid.is_none())
        .collect())
}

/// Whom a booking is with, for sentences: its invitee's name.
pub(super) fn invitee(b: &Booking) -> &str {
    b.attendees.first().map_or("", |a| a.name.as_str())
}

pub(super) async fn health(
    app: &App,
    caller: Caller,
    typed: &str,
    now: DateTime<Utc>,
) -> Result<Answer> {
    let directory = Directory::load(app, caller).await?;
    let customer = picked!(pick(&directory.customers, "customer", "health", typed));
    let health = customers::health(app, caller, customer.id, now).await?;
    let h = &health.health;
    let trend = match (health.trend, health.previous_score) {
        (Some(trend), Some(before)) => {
            format!("trend {} (was {before} 30 days ago)", trend.as_str())
        }
        _ => "no trend yet (the account is younger than 30 days)".to_string(),
    };
    let mut weakest: Vec<_> = h
        .components
        .iter()
        .filter(|c| c.weight > 0 && c.score < 100)
        .collect();
    weakest.sort_by_key(|c| c.score);
    let weakest: Vec<String> = weakest
        .iter()
        .take(2)
        .map(|c| format!("{} {} ({})", c.name.replace('_', "-"), c.score, c.detail))
        .collect();
    let weakest = if weakest.is_empty() {
        "every component scores 100".to_string()
    } else {
        format!("weakest: {}", weakest.join("; "))
    };
    Ok(Answer {
        reply: format!(
            "{} is {}: health {}/100, {trend}; {weakest}.",
            customer.name,
            h.band.as_str().replace('_', " "),
            h.score,
        ),
        intent: "health",
        data: Data::Health { customer, health },
        candidates: Vec::new(),
    })
}

pub(super) async fn last_scheduled(
    app: &App,
    caller: Caller,
    typed: &str,
    tz: Tz,
) -> Result<Answer> {
    let subjects = Directory::load(app, caller).await?.subjects();
    let subject = picked!(pick(&subjects, ANYONE, "last_scheduled", typed));
    let latest = hosted_by_caller(app, caller, &subject)
        .await?
        .into_iter()
        .max_by_key(|b| (b.created_at, b.id));
    let booking = view_of(app, latest).await?;
    let reply = match &booking {
        None => format!("{} has not scheduled with you yet.", subject.name()),
        Some(view) => {
            let b = &view.booking;
            let status = if b.status.holds_time() {
                String::new()
            } else {
                format!(" (since {})", b.status.as_str())
            };
            format!(
                "{} last scheduled with you on {}: {} for {}{status}.",
                subject.name(),
                when(b.created_at, tz),
                b.title,
                when(b.span.start, tz),
            )
        }
    };
    Ok(Answer {
        reply,
        intent: "last_scheduled",
        data: Data::LastScheduled { subject, booking },
        candidates: Vec::new(),
    })
}

/// The subject's bookings that the caller hosts: "with me".
async fn hosted_by_caller(app: &App, caller: Caller, subject: &Subject) -> Result<Vec<Booking>> {
    let mut all = bookings_of(app, caller, subject).await?;
    all.retain(|b| b.host == caller.user_id);
    Ok(all)
}

/// `booking` with its host and event type, as answers show it.
async fn view_of(app: &App, booking: Option<Booking>) -> Result<Option<BookingView>> {
    Ok(match booking {
        Some(b) => bookings::views(app, vec![b]).await?.pop(),
        None => None,
    })
}

/// Whether a booking still holds time that is not over yet.
pub(super) fn upcoming(b: &Booking, now: DateTime<Utc>) -> bool {
    b.status.holds_time() && b.span.end > now
}

pub(super) async fn next_meeting(
    app: &App,
    caller: Caller,
    typed: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Answer> {
    let subjects = Directory::load(app, caller).await?.subjects();
    let subject = picked!(pick(&subjects, ANYONE, "next_meeting", typed));
    let next = hosted_by_caller(app, caller, &subject)
        .await?
        .into_iter()
        .filter(|b| upcoming(b, now))
        .min_by_key(|b| (b.span.start, b.id));
    let booking = view_of(app, next).await?;
    let reply = match &booking {
        None => format!("You have no upcoming meeting with {}.", subject.name()),
        Some(view) => {
            let b = &view.booking;
            let pending = if b.status == crate::domain::booking::BookingStatus::Pending {
                ", waiting for your confirmation"
            } else {
                ""
            };
            format!(
                "Your next meeting with {} is {} on {} with {}{pending}.",
                subject.name(),
                b.title,
                when(b.span.start, tz),
                invitee(b),
            )
        }
    };
    Ok(Answer {
        reply,
        intent: "next_meeting",
        data: Data::NextMeeting { subject, booking },
        candidates: Vec::new(),
    })
}

pub(super) async fn show_bookings(
    app: &App,
    caller: Caller,
    typed: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Answer> {
    let subjects = Directory::load(app, caller).await?.subjects();
    let subject = picked!(pick(&subjects, ANYONE, "show_bookings", typed));
    let (mut upcoming, mut recent): (Vec<Booking>, Vec<Booking>) =
        bookings_of(app, caller, &subject)
            .await?
            .into_iter()
            .partition(|b| upcoming(b, now));
    upcoming.sort_by_key(|b| (b.span.start, b.id));
    recent.sort_by_key(|b| std::cmp::Reverse((b.span.start, b.id)));
    let (total_upcoming, total_recent) = (upcoming.len(), recent.len());
    upcoming.truncate(SHOWN);
    recent.truncate(SHOWN - upcoming.len());
    let more = total_upcoming + total_recent - upcoming.len() - recent.len();
    let next = upcoming
        .first()
        .map(|b| {
            format!(
                ", the next on {} with {}",
                when(b.span.start, tz),
                invitee(b)
            )
        })
        .unwrap_or_default();
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let mut reply = format!(
        "{} has {total_upcoming} upcoming booking{}{next}, and {total_recent} earlier or cancelled one{}",
        subject.name(),
        plural(total_upcoming),
        plural(total_recent),
    );
    if more > 0 {
        reply.push_str(&format!("; showing {}, {more} more not shown", SHOWN));
    }
    reply.push('.');
    Ok(Answer {
        reply,
        intent: "show_bookings",
        data: Data::Bookings {
            subject,
            upcoming: bookings::views(app, upcoming).await?,
            recent: bookings::views(app, recent).await?,
            more,
        },
        candidates: Vec::new(),
    })
}

pub(super) async fn cancel(
    app: &App,
    caller: Caller,
    typed: &str,
    day: Day,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Answer> {
    let directory = Directory::load(app, caller).await?;
    let person = picked!(pick(&directory.people, PEOPLE, "cancel_meeting", typed));
    let date = day.date(now.with_timezone(&tz).date_naive());
    let mut meetings: Vec<Booking> =
        hosted_by_caller(app, caller, &Subject::Person(person.clone()))
            .await?
            .into_iter()
            .filter(|b| upcoming(b, now))
            .filter(|b| date.is_none_or(|d| b.span.start.with_timezone(&tz).date_naive() == d))
            .collect();
    meetings.sort_by_key(|b| (b.span.start, b.id));
    let on_day = match date {
        Some(d) => format!(" on {}", d.format("%a %-d %b %Y")),
        None => String::new(),
    };
    match meetings.as_slice() {
        [] => Ok(Answer {
            reply: format!(
                "You have no upcoming meeting with {}{on_day} to cancel.",
                person.name
            ),
            intent: "not_found",
            data: Data::NothingToCancel { person, date },
            candidates: Vec::new(),
        }),
        [one] => {
            let booking = bookings::cancel(app, Some(caller), &one.uid, None, now).await?;
            Ok(Answer {
                reply: format!(
                    "Cancelled {} on {}.",
                    booking.booking.title,
                    when(booking.booking.span.start, tz),
                ),
                intent: "cancel_meeting",
                data: Data::Cancelled { booking },
                candidates: Vec::new(),
            })
        }
        several => {
            let candidates: Vec<Candidate> = several
                .iter()
                .map(|b| Candidate {
                    kind: "booking",
                    id: b.uid.clone(),
                    name: b.title.clone(),
                    email: b.attendees.first().map(|a| a.email.clone()),
                    domain: None,
                    customer: None,
                    start: Some(b.span.start),
                })
                .collect();
            let times: Vec<String> = several.iter().map(|b| when(b.span.start, tz)).collect();
            Ok(Answer {
                reply: format!(
                    "You have {} meetings with {}{on_day} ({}); I cancelled none. Say which day, or cancel one of them by its uid.",
                    several.len(),
                    person.name,
                    or_list(&times).replacen(" or ", " and ", 1),
                ),
                intent: "ambiguous",
                data: Data::Unresolved {
                    command: "cancel_meeting",
                    query: typed.to_string(),
                },
                candidates,
            })
        }
    }
}

/// The caller's event type `typed` names; with none named, their only one.
pub(super) async fn link_event_type(
    app: &App,
    caller: Caller,
    typed: Option<&str>,
) -> Result<Result<EventType, Box<Answer>>> {
    let page = PageRequest {
        cursor: None,
        limit: Some(MAX_LIMIT),
    };
    let mine = crate::app::event_types::list(app, caller, page)
        .await?
        .items;
    if let Some(typed) = typed {
        return Ok(pick(&mine, "event type of yours", "send_link", typed));
    }
    let unresolved = Data::Unresolved {
        command: "send_link",
        query: String::new(),
    };
    Ok(match mine.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err(Box::new(Answer {
            reply: "You have no event types yet: create one, then send its link.".into(),
            intent: "not_found",
            data: unresolved,
            candidates: Vec::new(),
        })),
        several => {
            let candidates: Vec<Candidate> = several.iter().map(Nameable::candidate).collect();
            let options: Vec<String> = several
                .iter()
                .map(|e| format!("{} ({})", e.slug, e.title))
                .collect();
            Err(Box::new(Answer {
                reply: format!("Which link do you mean: {}?", or_list(&options)),
                intent: "ambiguous",
                data: unresolved,
                candidates,
            }))
        }
    })
}

/// The event type to send `person` a link to: the one `typed` names; with none named,
/// the one recommended for their customer (with why), else the caller's only one.
async fn event_type_for(
    app: &App,
    caller: Caller,
    person: &Person,
    typed: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Result<(EventType, Option<Recommendation>), Box<Answer>>> {
    let (None, Some(customer)) = (typed, &person.customer) else {
        return Ok(link_event_type(app, caller, typed)
            .await?
            .map(|e| (e, None)));
    };
    let advice = recommend_event_type(app, caller, customer.id, now).await?;
    if let Some(offer) = advice.offer {
        let why = Recommendation {
            category: offer.category,
            reason: advice.reason,
        };
        return Ok(Ok((offer.event_type, Some(why))));
    }
    Ok(link_event_type(app, caller, None)
        .await?
        .map(|e| (e, None))
        .map_err(|mut answer| {
            answer.reply = format!(
                "I have nothing to recommend for {}: {}. {}",
                customer.name, advice.reason, answer.reply
            );
            answer
        }))
}

/// Makes a single-use link to one of the caller's event types, filled in with the
/// person and their customer, through the use case behind `createSchedulingLink`.
pub(super) async fn send_link(
    app: &App,
    caller: Caller,
    typed: &str,
    event_type: Option<&str>,
    link_url: LinkUrl<'_>,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Answer> {
    let directory = Directory::load(app, caller).await?;
    let person = picked!(pick(&directory.people, PEOPLE, "send_link", typed));
    let (event_type, recommendation) =
        picked!(event_type_for(app, caller, &person, event_type, now).await?);
    let (name, email) = match &person.stakeholder {
        Some(_) => (None, None),
        None => (Some(person.name.clone()), Some(person.email.clone())),
    };
    let input = SchedulingLinkInput {
        event_type_id: Some(event_type.id.0),
        customer_id: person.customer.as_ref().map(|c| c.id.0),
        stakeholder_id: person.stakeholder.as_ref().map(|s| s.id.0),
        name,
        email,
        max_uses: Some(1),
        expires_at: None,
    };
    let link = scheduling_links::create(app, caller, input, now)
        .await?
        .link;
    let why = recommendation
        .as_ref()
        .map(|r| format!(" I chose {} because {}.", event_type.title, r.reason))
        .unwrap_or_default();
    Ok(Answer {
        reply: format!(
            "Here is a single-use link to your {} for {} ({}), valid until {}: {}{why}",
            event_type.title,
            person.name,
            person.email,
            when(link.expires_at, tz),
            link_url(&link.token),
        ),
        intent: "send_link",
        data: Data::LinkSent {
            link,
            event_type,
            recommendation,
            person,
        },
        candidates: Vec::new(),
    })
}
