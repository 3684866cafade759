//! The period a report covers: one of the presets, or two dates at most a year apart, both
//! ends included, and how its time series is bucketed.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::error::{AppError, AppResult};

/// The periods offered as one click, in days.
pub const PRESET_DAYS: [i64; 3] = [7, 30, 90];
const DEFAULT_DAYS: i64 = 30;
/// The longest custom period.
const MAX_DAYS: i64 = 366;

/// The days the figures cover, both ends included.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Period {
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub days: i64,
    /// The preset it is, if it is one (None: a custom period).
    pub preset: Option<i64>,
}

impl Period {
    /// The last `days` days up to and including `today`.
    pub fn last(days: i64, today: NaiveDate) -> Period {
        Period {
            first_day: today - Duration::days(days - 1),
            last_day: today,
            days,
            preset: Some(days),
        }
    }

    /// From a request: `days` (one of the presets), or `from` and `to` (YYYY-MM-DD).
    pub fn parse(
        days: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        today: NaiveDate,
    ) -> AppResult<Period> {
        fn given(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|t| !t.is_empty())
        }
        match (given(from), given(to)) {
            (None, None) => {
                let days = match given(days) {
                    None => DEFAULT_DAYS,
                    Some(text) => text
                        .parse::<i64>()
                        .ok()
                        .filter(|d| PRESET_DAYS.contains(d))
                        .ok_or_else(|| {
                            AppError::invalid("days", "not_a_preset", "must be 7, 30 or 90")
                        })?,
                };
                Ok(Period::last(days, today))
            }
            (first, last) => {
                let day = |field: &'static str, text: Option<&str>| {
                    text.and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
                        .ok_or_else(|| {
                            AppError::invalid(field, "not_a_date", "must be a date (YYYY-MM-DD)")
                        })
                };
                let (first_day, last_day) = (day("from", first)?, day("to", last)?);
                let days = (last_day - first_day).num_days() + 1;
                if !(1..=MAX_DAYS).contains(&days) {
                    return Err(AppError::invalid(
                        "to",
                        "period_invalid",
                        "must be on or after the first day, at most 366 days later",
                    ));
                }
                Ok(Period {
                    first_day,
                    last_day,
                    days,
                    preset: None,
                })
            }
        }
    }

    pub(crate) fn start(&self) -> NaiveDateTime {
        self.first_day.and_time(chrono::NaiveTime::MIN)
    }

    pub(crate) fn end(&self) -> NaiveDateTime {
        (self.last_day + Duration::days(1)).and_time(chrono::NaiveTime::MIN)
    }

    /// Days per point of the time series: one a day up to a month, then a week.
    pub fn bucket_days(&self) -> i64 {
        if self.days <= 31 { 1 } else { 7 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_period_is_a_preset_or_two_dates_at_most_a_year_apart() {
        let today = day("2026-12-02");
        let p = Period::parse(None, None, None, today).unwrap();
        assert_eq!(
            (p.first_day, p.last_day, p.days),
            (day("2026-11-03"), today, 30)
        );
        let p = Period::parse(Some("7"), None, None, today).unwrap();
        assert_eq!(
            (p.first_day, p.days, p.bucket_days()),
            (day("2026-11-26"), 7, 1)
        );
        let p = Period::parse(None, Some("2026-01-01"), Some("2026-03-31"), today).unwrap();
        assert_eq!((p.days, p.preset, p.bucket_days()), (90, None, 7));
        for (days, from, to) in [
            (Some("8"), None, None),
            (Some("x"), None, None),
            (None, Some("2026-01-01"), None),
            (None, Some("2026-02-01"), Some("2026-01-01")),
            (None, Some("2024-01-01"), Some("2026-01-01")),
            (None, Some("2026-13-01"), Some("2026-12-01")),
        ] {
            assert!(
                Period::parse(days, from, to, today).is_err(),
                "{days:?} {from:?} {to:?}"
            );
        }
    }
}
