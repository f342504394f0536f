//! The date a compilation is judged on. Access declared with
//! `expires: YYYY-MM-DD` holds before that date and is not emitted from it
//! on; the date is today's in UTC, or `RBACC_TODAY` when set (for scheduled
//! checks that look ahead, and for tests).

use crate::error::Error;

pub use jiff::civil::Date;

/// The environment variable that sets today's date.
pub const TODAY_VAR: &str = "RBACC_TODAY";

/// How many days before an expiry `check` starts to warn.
pub const WARN_DAYS: i32 = 14;

/// Today's date: `RBACC_TODAY` when set, else the system clock's, in UTC.
pub fn today() -> Result<Date, Error> {
    match std::env::var(TODAY_VAR) {
        Ok(value) => parse_date(&value).map_err(|problem| Error::InvalidToday { value, problem }),
        Err(std::env::VarError::NotPresent) => Ok(jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()),
        Err(std::env::VarError::NotUnicode(value)) => Err(Error::InvalidToday {
            value: value.to_string_lossy().into_owned(),
            problem: "it is not UTF-8".to_string(),
        }),
    }
}

/// Reads a date written exactly `YYYY-MM-DD`, or says what is wrong.
pub fn parse_date(text: &str) -> Result<Date, String> {
    let shape = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape {
        return Err("write the date as `YYYY-MM-DD`".to_string());
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<i16>().unwrap_or(0);
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    Date::new(year, month as i8, day as i8)
        .map_err(|_| format!("`{text}` is not a day of the calendar"))
}

/// Days from `today` to `date`: negative when it is past.
pub fn days_until(today: Date, date: Date) -> i32 {
    // A span in days between two civil dates is exact and cannot overflow
    // for the years `Date` holds.
    today
        .until((jiff::Unit::Day, date))
        .map_or(0, |span| span.get_days())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_strictly() {
        assert_eq!(
            parse_date("2026-11-23"),
            Ok(jiff::civil::date(2026, 11, 23))
        );
        for bad in [
            "2026-1-23",
            "20261123",
            "2026-11-23T00:00",
            " 2026-11-23",
            "2026-02-30",
            "2026-13-01",
            "２０２６-11-23",
        ] {
            assert!(parse_date(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn days_until_counts_calendar_days() {
        let today = jiff::civil::date(2026, 12, 30);
        assert_eq!(days_until(today, jiff::civil::date(2027, 1, 13)), 14);
        assert_eq!(days_until(today, today), 0);
        assert_eq!(days_until(today, jiff::civil::date(2026, 12, 1)), -29);
    }
}
