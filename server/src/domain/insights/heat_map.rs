//! The busiest days and hours: bookings counted by weekday and hour of their start in
//! the viewer's zone. The store counts starts per quarter hour in UTC (every zone's
//! offset is a whole number of quarter hours), and this places each quarter hour on the
//! local clock, so a 09:00 meeting is at 9 in winter and in summer alike.

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;

/// The length of the buckets the store counts starts in, in milliseconds: a quarter
/// hour.
pub const BUCKET_MS: i64 = 15 * 60 * 1000;

/// The names of a heat map's rows, Monday first.
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Counts by local weekday (Monday first) and hour (0–23).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeatMap {
    /// The zone the days and hours are read in.
    pub zone: Tz,
    /// `cells[weekday][hour]`, weekday 0 being Monday.
    pub cells: [[u64; 24]; 7],
}

/// The heat map in `zone` of bookings counted per UTC bucket start.
pub fn heat_map(buckets: &[(DateTime<Utc>, u64)], zone: Tz) -> HeatMap {
    let mut cells = [[0; 24]; 7];
    for (start, count) in buckets {
        let local = start.with_timezone(&zone);
        let day = local.weekday().num_days_from_monday() as usize;
        cells[day][local.hour() as usize] += count;
    }
    HeatMap { zone, cells }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn places_each_start_on_the_local_clock_across_dst() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let buckets = [
            // Monday 2027-01-11 09:00 CET and Monday 2027-07-12 09:00 CEST.
            (at(2027, 1, 11, 8, 0), 2),
            (at(2027, 7, 12, 7, 0), 3),
            // Sunday 2027-03-28, the spring-forward day: 01:30 UTC is 03:30 CEST.
            (at(2027, 3, 28, 1, 30), 1),
            // Saturday 23:30 UTC is already Sunday 00:30 in Berlin in winter.
            (at(2027, 1, 16, 23, 30), 4),
        ];
        let map = heat_map(&buckets, berlin);
        assert_eq!(map.cells[0][9], 5, "both Monday 9:00s");
        assert_eq!(map.cells[6][3], 1);
        assert_eq!(map.cells[6][0], 4);
        assert_eq!(map.cells[5][23], 0);
        let total: u64 = map.cells.iter().flatten().sum();
        assert_eq!(total, 10, "every booking is somewhere");
    }

    #[test]
    fn zones_with_half_and_quarter_hour_offsets() {
        let cases = [
            // Kolkata is UTC+05:30: 03:15 UTC is 08:45, 03:30 UTC is 09:00.
            ("Asia/Kolkata", at(2027, 5, 3, 3, 15), 0, 8),
            ("Asia/Kolkata", at(2027, 5, 3, 3, 30), 0, 9),
            // Kathmandu is UTC+05:45: 03:15 UTC is 09:00.
            ("Asia/Kathmandu", at(2027, 5, 3, 3, 15), 0, 9),
            // New York on a Monday 02:00 UTC is still Sunday evening.
            ("America/New_York", at(2027, 5, 3, 2, 0), 6, 22),
            ("UTC", at(2027, 5, 3, 2, 0), 0, 2),
        ];
        for (zone, start, day, hour) in cases {
            let map = heat_map(&[(start, 1)], zone.parse().unwrap());
            assert_eq!(map.cells[day][hour], 1, "{zone} {start}");
        }
    }
}
