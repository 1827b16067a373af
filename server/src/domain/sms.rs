//! Text messages: phone numbers in the one form providers and opt-out lists agree on
//! (E.164), the keywords by which a phone opts out of messages and back in (Twilio's
//! lists), and which delivery status may replace which, since providers' status
//! callbacks arrive late and out of order.

/// `phone` in E.164 (`+14155550100`): the spaces, dashes, dots and brackets people
/// write are dropped and an international `00` prefix becomes `+`. A number without a
/// country code is refused rather than guessed: the same digits are different phones in
/// different countries. The message says what is wrong.
pub fn normalize_phone(phone: &str) -> Result<String, String> {
    let invalid = |why: &str| {
        Err(format!(
            "`{phone}` is not a phone number in E.164 form: {why}"
        ))
    };
    let kept: String = phone
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}'))
        .collect();
    let digits = if let Some(rest) = kept.strip_prefix('+') {
        rest
    } else if let Some(rest) = kept.strip_prefix("00") {
        rest
    } else {
        return invalid("it needs a country code, like +44");
    };
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return invalid("only digits may follow the country code");
    }
    if digits.starts_with('0') {
        return invalid("no country code starts with 0");
    }
    if !(8..=15).contains(&digits.len()) {
        return invalid("E.164 numbers have 8 to 15 digits");
    }
    Ok(format!("+{digits}"))
}

/// What an inbound message asks of the sender's subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptKeyword {
    /// STOP, STOPALL, UNSUBSCRIBE, CANCEL, END or QUIT: no more messages.
    OptOut,
    /// START, UNSTOP or YES: messages again.
    OptIn,
}

/// The opt-out or opt-in `body` stands for, if it is one of Twilio's keywords: the whole
/// message, any case, surrounding spaces and punctuation ignored ("Stop." is one; "stop
/// by at 5" is not).
pub fn opt_keyword(body: &str) -> Option<OptKeyword> {
    let word = body
        .trim()
        .trim_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace())
        .to_ascii_uppercase();
    match word.as_str() {
        "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" => Some(OptKeyword::OptOut),
        "START" | "UNSTOP" | "YES" => Some(OptKeyword::OptIn),
        _ => None,
    }
}

/// Whether `status` is where a message ends: delivered, undelivered or failed.
pub fn is_final(status: &str) -> bool {
    matches!(status, "delivered" | "undelivered" | "failed")
}

/// How far along the way to a phone `status` is; an unknown status counts as the
/// earliest.
fn progress(status: &str) -> u8 {
    match status {
        "accepted" | "scheduled" | "queued" => 1,
        "sending" => 2,
        "sent" => 3,
        _ if is_final(status) => 4,
        _ => 0,
    }
}

/// Whether news of `new` reported at `new_at_ms` replaces the stored `current` status
/// reported at `current_at_ms` (`None`: nothing reported yet). A final status is never
/// replaced, older news never overwrites newer, and a status never moves back (a late
/// `queued` after `sent`); news as far along as what is kept wins only when newer.
pub fn status_replaces(
    current: &str,
    current_at_ms: Option<i64>,
    new: &str,
    new_at_ms: i64,
) -> bool {
    if is_final(current) {
        return false;
    }
    let Some(at) = current_at_ms else {
        return true;
    };
    if new_at_ms < at {
        return false;
    }
    match progress(new).cmp(&progress(current)) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => new_at_ms > at,
        std::cmp::Ordering::Less => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_normalize_to_e164() {
        let cases = [
            ("+14155550100", Ok("+14155550100")),
            (" +1 (415) 555-0100 ", Ok("+14155550100")),
            ("0044 20 7946 0958", Ok("+442079460958")),
            ("+44.20.7946.0958", Ok("+442079460958")),
            ("4155550100", Err("country code")),
            ("+0155550100", Err("starts with 0")),
            ("+1415555010x", Err("only digits")),
            ("+1234567", Err("8 to 15 digits")),
            ("+1234567890123456", Err("8 to 15 digits")),
            ("", Err("country code")),
        ];
        for (input, expected) in cases {
            match (normalize_phone(input), expected) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{input}"),
                (Err(got), Err(want)) => assert!(got.contains(want), "{input}: {got}"),
                (got, want) => panic!("{input}: got {got:?}, wanted {want:?}"),
            }
        }
    }

    #[test]
    fn twilio_keywords_opt_out_and_in() {
        let cases = [
            ("STOP", Some(OptKeyword::OptOut)),
            ("stop", Some(OptKeyword::OptOut)),
            ("  Stop. ", Some(OptKeyword::OptOut)),
            ("STOPALL", Some(OptKeyword::OptOut)),
            ("unsubscribe", Some(OptKeyword::OptOut)),
            ("Cancel", Some(OptKeyword::OptOut)),
            ("END", Some(OptKeyword::OptOut)),
            ("quit!", Some(OptKeyword::OptOut)),
            ("START", Some(OptKeyword::OptIn)),
            ("unstop", Some(OptKeyword::OptIn)),
            ("Yes", Some(OptKeyword::OptIn)),
            ("stop by at 5", None),
            ("thanks", None),
            ("", None),
        ];
        for (body, expected) in cases {
            assert_eq!(opt_keyword(body), expected, "{body:?}");
        }
    }

    #[test]
    fn statuses_move_forward_only() {
        let cases = [
            ("queued", None, "sent", 1, true),
            ("queued", Some(10), "delivered", 20, true),
            ("sent", Some(20), "queued", 10, false),
            ("sent", Some(20), "delivered", 20, true),
            ("delivered", Some(20), "sent", 20, false),
            ("delivered", Some(20), "failed", 30, false),
            ("undelivered", Some(20), "delivered", 30, false),
            ("failed", None, "sent", 30, false),
            ("sent", Some(20), "sent", 20, false),
            ("sent", Some(20), "undelivered", 25, true),
            ("sent", Some(20), "queued", 30, false),
            ("sent", Some(20), "delivered", 10, false),
            ("queued", Some(10), "queued", 20, true),
        ];
        for (current, at, new, new_at, expected) in cases {
            assert_eq!(
                status_replaces(current, at, new, new_at),
                expected,
                "{current}@{at:?} -> {new}@{new_at}"
            );
        }
    }
}
