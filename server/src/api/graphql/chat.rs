//! `runCommand`: a chat command, the same as REST `POST /v2/chat`.

use async_graphql::{Context, ID, Json, Object, SimpleObject};
use chrono::Utc;
use serde_json::Value;

use super::error::GqlResult;
use super::scalars::UtcTime;
use super::{app, caller, public_url};
use crate::api::chat::data_json;
use crate::api::public_url::PublicUrl;
use crate::app::chat::{self, Answer, Candidate};

/// The answer to a chat command.
#[derive(Debug, Clone, SimpleObject)]
pub struct CommandAnswer {
    /// What to tell the person, readable on its own.
    pub reply: String,
    /// The command that ran (`send_link`, `last_scheduled`, `show_bookings`,
    /// `next_meeting`, `health`, `cancel_meeting`, `help`), or why none did
    /// (`ambiguous`, `not_found`, `not_connected`, `unknown`).
    pub intent: String,
    /// The structured content, as REST `POST /v2/chat` answers it (bookings in the
    /// `/v2/bookings` shape).
    pub data: Json<Value>,
    /// What an ambiguous name or request may have meant.
    pub candidates: Vec<CommandCandidate>,
}

/// Something an ambiguous command may have meant.
#[derive(Debug, Clone, SimpleObject)]
pub struct CommandCandidate {
    /// `customer`, `stakeholder`, `attendee`, `event_type` or `booking`.
    pub kind: String,
    /// Its id (a booking's uid, an attendee's email).
    pub id: ID,
    /// Its name (a booking's title).
    pub name: String,
    /// A person's email, or a booking's invitee's.
    pub email: Option<String>,
    /// A customer's first domain.
    pub domain: Option<String>,
    /// A stakeholder's customer, by name.
    pub customer: Option<String>,
    /// When a booking starts.
    pub start: Option<UtcTime>,
}

impl From<Candidate> for CommandCandidate {
    fn from(c: Candidate) -> CommandCandidate {
        CommandCandidate {
            kind: c.kind.to_string(),
            id: ID(c.id),
            name: c.name,
            email: c.email,
            domain: c.domain,
            customer: c.customer,
            start: c.start.map(UtcTime),
        }
    }
}

impl CommandAnswer {
    /// The answer with its links under `base`.
    fn new(a: Answer, base: &PublicUrl) -> CommandAnswer {
        CommandAnswer {
            data: Json(data_json(&a.data, base)),
            reply: a.reply,
            intent: a.intent.to_string(),
            candidates: a.candidates.into_iter().map(Into::into).collect(),
        }
    }
}

/// Chat commands.
#[derive(Default)]
pub struct ChatMutation;

#[Object]
impl ChatMutation {
    /// Runs a chat command as the caller ("cancel my meeting with Jane tomorrow"): acting
    /// commands do what the equivalent mutation does; an ambiguous name answers the
    /// candidates and changes nothing; text outside the grammar answers help. Needs a key.
    async fn run_command(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The command, at most 500 characters.")] text: String,
    ) -> GqlResult<CommandAnswer> {
        let base = public_url(ctx)?;
        let link_url = |token: &str| base.scheduling_link(token);
        let answer = chat::run(app(ctx)?, caller(ctx)?, &text, &link_url, Utc::now()).await?;
        Ok(CommandAnswer::new(answer, &base))
    }
}
