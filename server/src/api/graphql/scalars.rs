//! Scalars shared by every area.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, Utc};

/// An instant, written in UTC the way the REST API writes it: `2026-11-20T08:00:00.000Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcTime(pub DateTime<Utc>);

/// An instant in UTC, ISO 8601 with milliseconds: `2026-11-20T08:00:00.000Z`.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339"
)]
impl ScalarType for UtcTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => Ok(UtcTime(
                DateTime::parse_from_rfc3339(s)?.with_timezone(&Utc),
            )),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(crate::api::format::utc(self.0))
    }
}

impl From<DateTime<Utc>> for UtcTime {
    fn from(t: DateTime<Utc>) -> UtcTime {
        UtcTime(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_utc_with_milliseconds_and_reads_any_offset() {
        let t = DateTime::parse_from_rfc3339("2026-11-20T09:00:00+01:00")
            .expect("valid")
            .with_timezone(&Utc);
        assert_eq!(
            UtcTime(t).to_value(),
            Value::String("2026-11-20T08:00:00.000Z".into())
        );
        let parsed = UtcTime::parse(Value::String("2026-11-20T09:00:00+01:00".into()))
            .expect("an RFC 3339 instant");
        assert_eq!(parsed, UtcTime(t));
        assert!(UtcTime::parse(Value::String("tomorrow".into())).is_err());
    }
}
