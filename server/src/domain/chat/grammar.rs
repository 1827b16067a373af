//! From a sentence to a [`Command`], by a fixed grammar rather than a language model:
//! the same words always mean the same thing, and a sentence outside the grammar is
//! refused (and answered with [`EXAMPLES`]) instead of being guessed at.
//!
//! The grammar is forgiving where people are: case, punctuation and question marks
//! do not count, nor do "please", "hey" or "can you"; "what's" is "what is", a
//! possessive "Acme's" is "Acme"; a meeting is also a call, booking or appointment,
//! to schedule is also to book, and a link is also a booking link, scheduling link,
//! invite or schedule. Names are kept as typed: [`super::names`] finds who they mean.

use chrono::{Datelike, NaiveDate, Weekday};

/// A scheduling provider named in a command ("send my Calendly link").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    /// Calendly.
    Calendly,
    /// Cal.com.
    CalCom,
}

impl Provider {
    /// The name people know it by.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Calendly => "Calendly",
            Provider::CalCom => "Cal.com",
        }
    }

    /// The word used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Calendly => "calendly",
            Provider::CalCom => "calcom",
        }
    }

    fn parse(word: &str) -> Option<Provider> {
        match word {
            "calendly" => Some(Provider::Calendly),
            "cal.com" | "calcom" => Some(Provider::CalCom),
            _ => None,
        }
    }
}

/// The day a command is about, as said; [`Day::date`] turns it into a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Day {
    /// No day was named.
    Any,
    /// "today".
    Today,
    /// "tomorrow".
    Tomorrow,
    /// "Friday", "on Friday", "this Friday": the next such day, today included.
    On(Weekday),
    /// "next Friday": the next such day after today.
    Next(Weekday),
    /// "on 2026-12-01".
    Date(NaiveDate),
}

impl Day {
    /// The local date meant when it is `today` locally; `None` for [`Day::Any`].
    pub fn date(self, today: NaiveDate) -> Option<NaiveDate> {
        let ahead = |day: Weekday| {
            (7 + day.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7
        };
        match self {
            Day::Any => None,
            Day::Today => Some(today),
            Day::Tomorrow => today.succ_opt(),
            Day::On(day) => today.checked_add_days(chrono::Days::new(u64::from(ahead(day)))),
            Day::Next(day) => {
                let days = match ahead(day) {
                    0 => 7,
                    n => n,
                };
                today.checked_add_days(chrono::Days::new(u64::from(days)))
            }
            Day::Date(date) => Some(date),
        }
    }
}

/// What a sentence asks for. Names are as typed; resolving them is the executor's job.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Command {
    /// "send my 30min link to Jane Doe": a single-use scheduling link for a person.
    SendLink {
        /// Who gets it.
        person: String,
        /// Which of the caller's event types, when named ("30min").
        event_type: Option<String>,
        /// The provider whose link is meant, when named ("Calendly").
        provider: Option<Provider>,
    },
    /// "when did Acme last schedule with me?": the latest booking made with the caller.
    LastScheduled {
        /// A customer or a person.
        subject: String,
    },
    /// "show bookings for Acme": a customer's or person's meetings.
    ShowBookings {
        /// A customer or a person.
        subject: String,
        /// Only the bookings made through this provider.
        provider: Option<Provider>,
    },
    /// "what's my next meeting with Acme?": the caller's next meeting with them.
    NextMeeting {
        /// A customer or a person.
        subject: String,
    },
    /// "health of Acme": a customer's health score and what drags it down.
    Health {
        /// The customer.
        customer: String,
    },
    /// "cancel my meeting with Jane tomorrow": cancels the caller's one meeting with a
    /// person on a day.
    CancelMeeting {
        /// Who the meeting is with.
        person: String,
        /// On which day; [`Day::Any`] means the upcoming ones.
        day: Day,
    },
    /// "help": what can be asked.
    Help,
}

impl Command {
    /// The command's name in answers (`send_link`, `show_bookings`, …).
    pub fn intent(&self) -> &'static str {
        match self {
            Command::SendLink { .. } => "send_link",
            Command::LastScheduled { .. } => "last_scheduled",
            Command::ShowBookings { .. } => "show_bookings",
            Command::NextMeeting { .. } => "next_meeting",
            Command::Health { .. } => "health",
            Command::CancelMeeting { .. } => "cancel_meeting",
            Command::Help => "help",
        }
    }
}

/// One sentence of each kind the grammar knows, for help answers.
pub const EXAMPLES: &[&str] = &[
    "send my 30min link to Jane Doe",
    "send Calendly link to Jane",
    "when did Acme last schedule with me?",
    "show bookings for Acme",
    "show Calendly bookings for Acme",
    "what's my next meeting with Acme?",
    "health of Acme",
    "cancel my meeting with Jane tomorrow",
];

/// The command `text` asks for, or `None` when it is outside the grammar.
pub fn parse(text: &str) -> Option<Command> {
    let words = tokens(text);
    if words.is_empty() {
        return None;
    }
    let w = words.as_slice();
    help(w)
        .or_else(|| health(w))
        .or_else(|| cancel(w))
        .or_else(|| send_link(w))
        .or_else(|| last_scheduled(w))
        .or_else(|| next_meeting(w))
        .or_else(|| show_bookings(w))
}

/// A word of the sentence: as typed (for names) and lower-cased (for the grammar).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    raw: String,
    word: String,
}

impl Token {
    fn new(raw: &str) -> Token {
        Token {
            raw: raw.to_string(),
            word: raw.to_lowercase(),
        }
    }

    fn is(&self, any: &[&str]) -> bool {
        any.contains(&self.word.as_str())
    }
}

/// Words that stand for "is" after a question word ("what's" is "what is").
const QUESTION_WORDS: &[&str] = &["what", "when", "where", "who", "how", "it", "that"];

/// Politeness that changes nothing, wherever it stands.
const FILLER: &[&str] = &["please", "pls", "plz", "kindly", "thanks", "thx"];

/// Openings that change nothing.
const OPENINGS: &[&[&str]] = &[
    &["hey"],
    &["hi"],
    &["hello"],
    &["ok"],
    &["okay"],
    &["can", "you"],
    &["could", "you"],
    &["would", "you"],
    &["will", "you"],
    &["tell", "me"],
];

/// The sentence as tokens: punctuation around words gone (inside kept: `cal.com`,
/// `jane@acme.com`, `2026-12-01`), contractions and possessives undone, filler dropped.
fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    for piece in text.split_whitespace() {
        let piece = piece.replace(['’', '`'], "'");
        let piece = piece.trim_matches(|c: char| !c.is_alphanumeric());
        if piece.is_empty() {
            continue;
        }
        let lower = piece.to_lowercase();
        if lower == "whats" {
            out.extend([Token::new("what"), Token::new("is")]);
        } else if let Some(stem) = piece.strip_suffix("'s").or(piece.strip_suffix("'S")) {
            out.push(Token::new(stem));
            if QUESTION_WORDS.contains(&stem.to_lowercase().as_str()) {
                out.push(Token::new("is"));
            }
        } else {
            out.push(Token::new(piece));
        }
    }
    out.retain(|t| !t.is(FILLER));
    if out.len() >= 2 && out[out.len() - 2].is(&["thank"]) && out[out.len() - 1].is(&["you"]) {
        out.truncate(out.len() - 2);
    }
    while let Some(opening) = OPENINGS.iter().find(|o| starts(&out, o)) {
        out.drain(..opening.len());
    }
    out
}

fn starts(tokens: &[Token], words: &[&str]) -> bool {
    tokens.len() >= words.len() && tokens.iter().zip(words).all(|(t, w)| t.word == *w)
}

/// `tokens` after the words `words`, when it starts with them.
fn after<'a>(tokens: &'a [Token], words: &[&str]) -> Option<&'a [Token]> {
    starts(tokens, words).then(|| &tokens[words.len()..])
}

/// `tokens` without the leading words that are any of `any`.
fn skip<'a>(tokens: &'a [Token], any: &[&str]) -> &'a [Token] {
    let n = tokens.iter().take_while(|t| t.is(any)).count();
    &tokens[n..]
}

/// `tokens` without the trailing words that are any of `any`.
fn skip_end<'a>(tokens: &'a [Token], any: &[&str]) -> &'a [Token] {
    let n = tokens.iter().rev().take_while(|t| t.is(any)).count();
    &tokens[..tokens.len() - n]
}

/// Where the first word that is any of `any` stands.
fn find(tokens: &[Token], any: &[&str]) -> Option<usize> {
    tokens.iter().position(|t| t.is(any))
}

/// Whether every word is one of `any` (true for none).
fn only(tokens: &[Token], any: &[&str]) -> bool {
    tokens.iter().all(|t| t.is(any))
}

/// What stands around a name without being part of it.
const NAME_LEAD: &[&str] = &["the"];
const NAME_TAIL: &[&str] = &["account", "customer", "company", "again"];

/// The name the words spell, as typed: without a leading "the", a trailing
/// "account" or "with me"; `None` when nothing is left.
fn name(tokens: &[Token]) -> Option<String> {
    let mut tokens = skip_end(skip(tokens, NAME_LEAD), NAME_TAIL);
    while let [rest @ .., to, who] = tokens
        && to.is(&["with", "for", "to"])
        && who.is(&["me", "us"])
    {
        tokens = skip_end(rest, NAME_TAIL);
    }
    let raw: Vec<&str> = tokens.iter().map(|t| t.raw.as_str()).collect();
    (!raw.is_empty()).then(|| raw.join(" "))
}

/// Words for a meeting.
const MEETINGS: &[&str] = &[
    "meeting",
    "meetings",
    "call",
    "calls",
    "booking",
    "bookings",
    "appointment",
    "appointments",
    "session",
    "sessions",
    "event",
    "events",
];

/// Words that point at something without naming it.
const DETERMINERS: &[&str] = &["my", "the", "a", "an", "our", "that", "this", "all"];

fn help(w: &[Token]) -> Option<Command> {
    let text: Vec<&str> = w.iter().map(|t| t.word.as_str()).collect();
    matches!(
        text.as_slice(),
        ["help"]
            | ["commands"]
            | ["examples"]
            | ["what", "can", "you", "do"]
            | ["what", "can", "i", "ask"]
            | ["what", "can", "i", "say"]
            | ["how", "does", "this", "work"]
    )
    .then_some(Command::Help)
}

/// "health of Acme", "Acme's health score", "how healthy is Acme", "is Acme healthy",
/// "how is Acme doing".
fn health(w: &[Token]) -> Option<Command> {
    const LEAD: &[&str] = &[
        "show", "me", "what", "is", "the", "get", "check", "give", "how", "about",
    ];
    let customer = |tokens: &[Token]| name(tokens).map(|customer| Command::Health { customer });
    if let Some(rest) = after(w, &["how", "healthy", "is"]) {
        return customer(rest);
    }
    if let [is, middle @ .., healthy] = w
        && is.is(&["is"])
        && healthy.is(&["healthy"])
    {
        return customer(middle);
    }
    if let Some([middle @ .., doing]) = after(w, &["how", "is"])
        && doing.is(&["doing"])
    {
        return customer(middle);
    }
    let h = find(w, &["health"])?;
    let rest = skip(&w[h + 1..], &["score", "status"]);
    match rest.split_first() {
        Some((of, subject)) if of.is(&["of", "for", "on", "at"]) && only(&w[..h], LEAD) => {
            customer(subject)
        }
        // "Acme's health", but not "bookings for Acme Health".
        None if find(&w[..h], &["for", "of", "with"]).is_none() => customer(skip(&w[..h], LEAD)),
        _ => None,
    }
}

/// The first day named in `tokens` ("tomorrow", "on Friday", "next Monday",
/// "on 2026-12-01") and the tokens without it.
fn take_day(tokens: &[Token]) -> (Vec<Token>, Day) {
    let weekday = |t: &Token| t.word.parse::<Weekday>().ok().filter(|_| t.word.len() > 3);
    for (i, t) in tokens.iter().enumerate() {
        let day = match t.word.as_str() {
            "today" | "tonight" => Day::Today,
            "tomorrow" => Day::Tomorrow,
            word => match (weekday(t), NaiveDate::parse_from_str(word, "%Y-%m-%d")) {
                (Some(day), _) if i > 0 && tokens[i - 1].is(&["next"]) => Day::Next(day),
                (Some(day), _) => Day::On(day),
                (None, Ok(date)) => Day::Date(date),
                (None, Err(_)) => continue,
            },
        };
        let mut start = i;
        while start > 0 && tokens[start - 1].is(&["on", "for", "this", "next"]) {
            start -= 1;
        }
        let rest = tokens[..start].iter().chain(&tokens[i + 1..]).cloned();
        return (rest.collect(), day);
    }
    (tokens.to_vec(), Day::Any)
}

/// "cancel my meeting with Jane tomorrow", "cancel tomorrow's call with Jane",
/// "cancel Jane's meeting on Friday", "call off the booking with Jane".
fn cancel(w: &[Token]) -> Option<Command> {
    let rest = after(w, &["cancel"]).or_else(|| after(w, &["call", "off"]))?;
    let (rest, day) = take_day(rest);
    let rest = skip(&rest, DETERMINERS);
    let rest = skip(rest, MEETINGS);
    let rest = after(rest, &["with"]).unwrap_or(rest);
    let person = name(skip_end(rest, MEETINGS))?;
    Some(Command::CancelMeeting { person, day })
}

/// A link phrase: "my 30min link", "the Calendly booking link", "a scheduling link"
/// as (event type words, provider); `None` without a word for a link.
fn link_phrase(tokens: &[Token]) -> Option<(Option<String>, Option<Provider>)> {
    const LINK: &[&str] = &[
        "link",
        "links",
        "url",
        "invite",
        "invitation",
        "schedule",
        "calendar",
        "booking",
        "scheduling",
    ];
    let tokens = skip(tokens, DETERMINERS);
    let provider = tokens.iter().find_map(|t| Provider::parse(&t.word));
    let rest: Vec<Token> = tokens
        .iter()
        .filter(|t| Provider::parse(&t.word).is_none())
        .cloned()
        .collect();
    let event_type = skip_end(&rest, LINK);
    if event_type.len() == rest.len() {
        return None;
    }
    let raw: Vec<&str> = event_type.iter().map(|t| t.raw.as_str()).collect();
    Some(((!raw.is_empty()).then(|| raw.join(" ")), provider))
}

/// "send my 30min link to Jane Doe", "share the Calendly link with Jane",
/// "send Jane my booking link", "email jane@acme.com a scheduling link".
fn send_link(w: &[Token]) -> Option<Command> {
    const SEND: &[&str] = &["send", "share", "email", "mail", "text", "give", "forward"];
    let (verb, rest) = w.split_first()?;
    if !verb.is(SEND) {
        return None;
    }
    let command = |person: &[Token], (event_type, provider)| {
        name(person).map(|person| Command::SendLink {
            person,
            event_type,
            provider,
        })
    };
    if let Some(to) = find(rest, &["to", "for", "with"])
        && let Some(link) = link_phrase(&rest[..to])
    {
        return command(&rest[to + 1..], link);
    }
    let det = find(rest, DETERMINERS)?;
    command(&rest[..det], link_phrase(&rest[det..])?)
}

/// Verbs for making a booking.
const SCHEDULE: &[&str] = &["schedule", "scheduled", "book", "booked"];

/// What may follow "when did Acme last schedule": "with me", "a call", "anything".
const SCHEDULE_TAIL: &[&str] = &[
    "with",
    "me",
    "us",
    "a",
    "an",
    "the",
    "new",
    "meeting",
    "call",
    "time",
    "anything",
    "something",
];

/// "when did Acme last schedule with me?", "when did Acme last book a call",
/// "when did Acme book with me last", "when was the last time Acme booked",
/// "when was Acme's last booking", "last booking from Acme".
fn last_scheduled(w: &[Token]) -> Option<Command> {
    let subject = |tokens: &[Token]| name(tokens).map(|subject| Command::LastScheduled { subject });
    if let Some(rest) = after(w, &["when", "did"]) {
        let verb = find(rest, SCHEDULE)?;
        let tail = &rest[verb + 1..];
        return match rest[..verb].split_last() {
            Some((last, who)) if last.is(&["last"]) && only(tail, SCHEDULE_TAIL) => subject(who),
            _ if tail.last().is_some_and(|t| t.is(&["last"]))
                && only(&tail[..tail.len() - 1], SCHEDULE_TAIL) =>
            {
                subject(&rest[..verb])
            }
            _ => None,
        };
    }
    if let Some(rest) = after(w, &["when", "was", "the", "last", "time"]) {
        let verb = find(rest, SCHEDULE)?;
        return only(&rest[verb + 1..], SCHEDULE_TAIL)
            .then(|| subject(&rest[..verb]))
            .flatten();
    }
    const LEAD: &[&str] = &["when", "was", "is", "what", "show", "me", "the", "my"];
    let l = find(w, &["last"])?;
    let (noun, rest) = w[l + 1..].split_first()?;
    if !noun.is(&["booking", "scheduling"]) {
        return None;
    }
    match rest.split_first() {
        Some((from, who))
            if from.is(&["from", "by", "with", "of", "for"]) && only(&w[..l], LEAD) =>
        {
            subject(who)
        }
        None => subject(skip(&w[..l], LEAD)),
        Some(_) => None,
    }
}

/// "what's my next meeting with Acme?", "when is my next call with Jane",
/// "next booking with Acme", "when do I next meet Acme", "when do I meet Jane next".
fn next_meeting(w: &[Token]) -> Option<Command> {
    const LEAD: &[&str] = &[
        "what", "is", "when", "my", "the", "our", "show", "me", "get", "find",
    ];
    let subject = |tokens: &[Token]| {
        let tokens = after(tokens, &["with"]).unwrap_or(tokens);
        name(tokens).map(|subject| Command::NextMeeting { subject })
    };
    if let Some(rest) = after(w, &["when", "do", "i", "next", "meet"]) {
        return subject(rest);
    }
    if let Some([rest @ .., next]) = after(w, &["when", "do", "i", "meet"])
        && next.is(&["next"])
    {
        return subject(rest);
    }
    let n = find(w, &["next"])?;
    if !only(&w[..n], LEAD) {
        return None;
    }
    let nouns = &w[n + 1..];
    let rest = skip(nouns, MEETINGS);
    if rest.len() == nouns.len() {
        return None;
    }
    let (with, who) = rest.split_first()?;
    if !with.is(&["with", "for", "from", "at"]) {
        return None;
    }
    name(who).map(|subject| Command::NextMeeting { subject })
}

/// "show bookings for Acme", "show Calendly bookings for Acme", "list meetings with
/// Jane", "Acme's bookings", "show me my Cal.com meetings with Acme".
fn show_bookings(w: &[Token]) -> Option<Command> {
    const LEAD: &[&str] = &[
        "show", "list", "get", "display", "find", "see", "view", "give", "me", "what", "are",
        "upcoming", "recent", "past", "my", "the", "all", "our",
    ];
    let rest = skip(w, LEAD);
    let provider = rest.iter().find_map(|t| Provider::parse(&t.word));
    let rest: Vec<Token> = rest
        .iter()
        .filter(|t| Provider::parse(&t.word).is_none())
        .cloned()
        .collect();
    let k = find(&rest, MEETINGS)?;
    let (before, after_noun) = (&rest[..k], skip(&rest[k..], MEETINGS));
    if find(before, &["next", "last"]).is_some() {
        return None;
    }
    let subject = match after_noun.split_first() {
        Some((of, who)) if of.is(&["for", "with", "from", "of", "at", "by"]) => {
            only(before, DETERMINERS).then(|| name(who)).flatten()
        }
        Some(_) => None,
        None => name(before),
    }?;
    Some(Command::ShowBookings { subject, provider })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Command::*;

    fn send(person: &str, event_type: Option<&str>, provider: Option<Provider>) -> Command {
        SendLink {
            person: person.into(),
            event_type: event_type.map(Into::into),
            provider,
        }
    }

    fn last(subject: &str) -> Command {
        LastScheduled {
            subject: subject.into(),
        }
    }

    fn show(subject: &str, provider: Option<Provider>) -> Command {
        ShowBookings {
            subject: subject.into(),
            provider,
        }
    }

    fn next(subject: &str) -> Command {
        NextMeeting {
            subject: subject.into(),
        }
    }

    fn health(customer: &str) -> Command {
        Health {
            customer: customer.into(),
        }
    }

    fn cancel(person: &str, day: Day) -> Command {
        CancelMeeting {
            person: person.into(),
            day,
        }
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
    }

    #[test]
    fn every_example_parses() {
        for example in EXAMPLES {
            assert!(parse(example).is_some(), "{example}");
        }
    }

    #[test]
    fn sentences_and_their_commands() {
        use Provider::*;
        #[rustfmt::skip]
        let cases: Vec<(&str, Command)> = vec![
            // Sending a link.
            ("send my 30min link to Jane Doe", send("Jane Doe", Some("30min"), None)),
            ("Send my 30 min link to Jane Doe, please.", send("Jane Doe", Some("30 min"), None)),
            ("please send my 30-minute booking link to jane doe", send("jane doe", Some("30-minute"), None)),
            ("send Calendly link to Jane", send("Jane", None, Some(Calendly))),
            ("send my cal.com link to Jane", send("Jane", None, Some(CalCom))),
            ("Send my Cal.com 30min link to Jane!", send("Jane", Some("30min"), Some(CalCom))),
            ("send a link to Jane", send("Jane", None, None)),
            ("send my scheduling link to jane@acme.com", send("jane@acme.com", None, None)),
            ("share the 60min booking link with Bob Smith", send("Bob Smith", Some("60min"), None)),
            ("send Jane my 30min link", send("Jane", Some("30min"), None)),
            ("email Jane Doe a booking link", send("Jane Doe", None, None)),
            ("send Jane my schedule", send("Jane", None, None)),
            ("can you send my calendar to O'Brien", send("O'Brien", None, None)),
            // When a customer last scheduled.
            ("when did Acme last schedule with me?", last("Acme")),
            ("When did ACME last schedule with me", last("ACME")),
            ("when did Acme last book a meeting with me?", last("Acme")),
            ("when did Jane Doe last book", last("Jane Doe")),
            ("when did Acme schedule with me last?", last("Acme")),
            ("when was the last time Acme booked with me", last("Acme")),
            ("when was Acme's last booking?", last("Acme")),
            ("last booking from Acme", last("Acme")),
            // A customer's bookings.
            ("show bookings for Acme", show("Acme", None)),
            ("Show me all bookings for Acme Inc.", show("Acme Inc", None)),
            ("list meetings with Jane", show("Jane", None)),
            ("show Calendly bookings for Acme", show("Acme", Some(Calendly))),
            ("show my cal.com meetings with Acme", show("Acme", Some(CalCom))),
            ("Acme's bookings", show("Acme", None)),
            ("show me Acme's calls", show("Acme", None)),
            ("bookings for the Acme account", show("Acme", None)),
            ("what are the upcoming meetings with Acme?", show("Acme", None)),
            // The next meeting.
            ("what's my next meeting with Acme?", next("Acme")),
            ("What is my next meeting with Acme", next("Acme")),
            ("whats my next call with Jane", next("Jane")),
            ("when is my next booking with Jane Doe?", next("Jane Doe")),
            ("next meeting with Acme", next("Acme")),
            ("when do I next meet Acme", next("Acme")),
            ("when do I meet with Jane next?", next("Jane")),
            // Health.
            ("health of Acme", health("Acme")),
            ("Health of Acme?", health("Acme")),
            ("what's the health score of Acme", health("Acme")),
            ("show health for Acme", health("Acme")),
            ("Acme's health", health("Acme")),
            ("acme health score", health("acme")),
            ("how healthy is Acme?", health("Acme")),
            ("is Acme healthy", health("Acme")),
            ("how is Acme doing?", health("Acme")),
            ("show bookings for Acme Health", show("Acme Health", None)),
            ("show meetings with Health Corp", show("Health Corp", None)),
            // Cancelling.
            ("cancel my meeting with Jane tomorrow", cancel("Jane", Day::Tomorrow)),
            ("Cancel my meeting with Jane tomorrow.", cancel("Jane", Day::Tomorrow)),
            ("please cancel tomorrow's call with Jane Doe", cancel("Jane Doe", Day::Tomorrow)),
            ("cancel my meeting with Jane today", cancel("Jane", Day::Today)),
            ("cancel the call with Jane on Friday", cancel("Jane", Day::On(Weekday::Fri))),
            ("cancel my meeting with Jane this friday", cancel("Jane", Day::On(Weekday::Fri))),
            ("cancel my meeting with Jane next Monday", cancel("Jane", Day::Next(Weekday::Mon))),
            ("cancel Jane's meeting on 2026-12-01", cancel("Jane", Day::Date(date("2026-12-01")))),
            ("cancel my meeting with Jane", cancel("Jane", Day::Any)),
            ("call off my appointment with Bob tomorrow", cancel("Bob", Day::Tomorrow)),
            // Help.
            ("help", Help),
            ("What can you do?", Help),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn sentences_outside_the_grammar_are_refused() {
        for text in [
            "",
            "   ",
            "?!",
            "please",
            "hello",
            "what is the weather",
            "show bookings",
            "send my 30min link",
            "send Jane Doe",
            "send to Jane",
            "when did Acme",
            "next meeting",
            "health",
            "cancel",
            "cancel my meeting tomorrow",
            "book a meeting with Jane",
            "delete Acme",
            "show bookings for",
            "what's my next meeting",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn days_are_dates_relative_to_today() {
        // 2026-11-25 is a Wednesday.
        let today = date("2026-11-25");
        #[rustfmt::skip]
        let cases = [
            (Day::Any, None),
            (Day::Today, Some("2026-11-25")),
            (Day::Tomorrow, Some("2026-11-26")),
            (Day::On(Weekday::Wed), Some("2026-11-25")),
            (Day::On(Weekday::Fri), Some("2026-11-27")),
            (Day::On(Weekday::Mon), Some("2026-11-30")),
            (Day::Next(Weekday::Wed), Some("2026-12-02")),
            (Day::Next(Weekday::Fri), Some("2026-11-27")),
            (Day::Date(date("2027-01-04")), Some("2027-01-04")),
        ];
        for (day, expected) in cases {
            assert_eq!(day.date(today), expected.map(date), "{day:?}");
        }
    }

    #[test]
    fn intents_and_providers_have_stable_names() {
        assert_eq!(parse("health of Acme").map(|c| c.intent()), Some("health"));
        assert_eq!(
            parse("cancel my meeting with Jane").map(|c| c.intent()),
            Some("cancel_meeting")
        );
        assert_eq!(Provider::CalCom.name(), "Cal.com");
        assert_eq!(Provider::Calendly.as_str(), "calendly");
    }
}
