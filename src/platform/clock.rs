//! The server's clock. Every rule about "now" (deadlines, notice windows,
//! token expiry) reads the clock from the application state, so tests can pin
//! it. Calendar rules are in China time (Asia/Shanghai), never the client's.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that tests set and move by hand.
#[derive(Clone, Debug)]
pub struct FixedClock(Arc<RwLock<DateTime<Utc>>>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Arc::new(RwLock::new(at)))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut now) = self.0.write() {
            *now = at;
        }
    }

    pub fn advance(&self, by: chrono::Duration) {
        if let Ok(mut now) = self.0.write() {
            *now += by;
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
            .read()
            .map(|t| *t)
            .unwrap_or_else(|e| *e.into_inner())
    }
}

pub type SharedClock = Arc<dyn Clock>;

/// An instant shown in China time, e.g. `2021-11-04T00:00:00+08:00`.
pub fn to_china(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&Shanghai).fixed_offset()
}

/// The calendar year of an instant in China time (an article published
/// 2021-12-31 23:30 +08:00 belongs to 2021, though it is already 2022 nowhere).
pub fn china_year(at: DateTime<Utc>) -> i32 {
    at.with_timezone(&Shanghai).year()
}

/// The calendar date of an instant in China time.
pub fn china_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Shanghai).date_naive()
}

/// Midnight at the start of `date` in China time, as an instant.
pub fn china_midnight(date: NaiveDate) -> Option<DateTime<Utc>> {
    Shanghai
        .from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// A deadline as people say it in China: an exclusive instant at midnight is
/// shown as 24:00 of the day before (`2021年11月3日 24:00`).
pub fn format_china_deadline(at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&Shanghai);
    let midnight = local.time() == chrono::NaiveTime::MIN;
    if midnight && let Some(prev) = local.date_naive().pred_opt() {
        return format!("{}年{}月{}日 24:00", prev.year(), prev.month(), prev.day());
    }
    local.format("%Y年%-m月%-d日 %H:%M").to_string()
}

/// The years a date the secretariat types may fall in.
pub const ENTERED_YEARS: (i32, i32) = (2000, 2100);

/// The China-time day on which an exclusive deadline is still open: the day
/// of the instant − 1 ns (`2021-11-04T00:00:00+08:00` → 2021-11-03).
pub fn last_open_day(at: DateTime<Utc>) -> NaiveDate {
    china_date(at - chrono::Duration::nanoseconds(1))
}

/// A deadline as the secretariat enters it: a day (`2021-11-03`, meaning
/// "until the end of 3 November China time", the exclusive instant
/// `2021-11-04T00:00:00+08:00`) or an RFC 3339 instant. Years 2000–2100.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayOrInstant {
    Day(NaiveDate),
    Instant(DateTime<FixedOffset>),
}

impl DayOrInstant {
    /// Reads `2021-11-03` or an RFC 3339 instant, exactly as the schema
    /// says (no surrounding white space; `T` or `t` between date and time);
    /// the error is the message to show (Chinese).
    pub fn parse(s: &str) -> Result<Self, String> {
        if let Some(day) = parse_day(s) {
            return check_entered_year(day.year()).map(|()| Self::Day(day));
        }
        let separated = matches!(s.as_bytes().get(10), Some(b'T' | b't'));
        match DateTime::parse_from_rfc3339(s) {
            Ok(at) if separated => check_entered_year(at.year()).map(|()| Self::Instant(at)),
            _ => Err(
                "请填写日期（如 2021-11-03，表示北京时间当日 24:00 截止）或带时区的时间（如 2021-11-04T00:00:00+08:00）。"
                    .to_owned(),
            ),
        }
    }

    /// The exclusive instant: for a day, the China-time midnight after it.
    pub fn instant(self) -> DateTime<Utc> {
        match self {
            Self::Instant(at) => at.with_timezone(&Utc),
            Self::Day(day) => end_of_china_day(day),
        }
    }
}

/// The China-time midnight after `day` (the exclusive end of that day).
pub fn end_of_china_day(day: NaiveDate) -> DateTime<Utc> {
    let next = day.succ_opt().unwrap_or(day);
    china_midnight(next).unwrap_or_else(|| {
        // Asia/Shanghai has had no DST since 1991: midnight always exists.
        Utc.from_utc_datetime(&next.and_time(chrono::NaiveTime::MIN)) - chrono::Duration::hours(8)
    })
}

/// `2021-11-03` (exactly a year, a month and a day, four and two digits).
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// A year the secretariat typed: 2000–2100 (else the message to show).
pub fn check_entered_year(year: i32) -> Result<(), String> {
    if (ENTERED_YEARS.0..=ENTERED_YEARS.1).contains(&year) {
        Ok(())
    } else {
        Err(format!(
            "年份须在 {}–{} 之间。",
            ENTERED_YEARS.0, ENTERED_YEARS.1
        ))
    }
}

impl std::fmt::Display for DayOrInstant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Day(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Self::Instant(at) => write!(f, "{}", at.to_rfc3339()),
        }
    }
}

impl serde::Serialize for DayOrInstant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for DayOrInstant {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(|m| crate::platform::extract::field_rule::<D::Error>("format", &m))
    }
}

/// Patterns that keep the two forms apart even where `format` is only an
/// annotation (JSON Schema 2020-12), with the year 2000–2100 as written.
pub const DAY_PATTERN: &str = r"^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$";
pub const INSTANT_PATTERN: &str = r"^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}[Tt]";

impl utoipa::PartialSchema for DayOrInstant {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{
            KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type,
        };
        let one_of = OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
                    .pattern(Some(DAY_PATTERN))
                    .description(Some(
                        "A day in China time, open until its end: `2021-11-03` is the exclusive instant `2021-11-04T00:00:00+08:00`",
                    )),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
                    .pattern(Some(INSTANT_PATTERN))
                    .description(Some("An RFC 3339 instant, exclusive")),
            )
            .description(Some(
                "A deadline: a day (`2021-11-03`: until the end of that day, China time) or an RFC 3339 instant (exclusive). Years 2000–2100.",
            ))
            .build();
        utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::OneOf(one_of))
    }
}

impl utoipa::ToSchema for DayOrInstant {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_open_until_the_end_of_that_day_in_china_time() {
        let d = DayOrInstant::parse("2021-11-03").unwrap();
        assert_eq!(
            to_china(d.instant()).to_rfc3339(),
            "2021-11-04T00:00:00+08:00"
        );
        assert_eq!(last_open_day(d.instant()).to_string(), "2021-11-03");
        let i = DayOrInstant::parse("2021-11-05T10:00:00Z").unwrap();
        assert_eq!(last_open_day(i.instant()).to_string(), "2021-11-05");
        assert_eq!(i.to_string(), "2021-11-05T10:00:00+00:00");
    }

    #[test]
    fn an_entered_date_is_of_the_years_2000_to_2100() {
        assert!(
            DayOrInstant::parse("1999-12-31")
                .unwrap_err()
                .contains("2000–2100")
        );
        assert!(DayOrInstant::parse("2101-01-01T00:00:00+08:00").is_err());
        assert!(DayOrInstant::parse("2100-12-31").is_ok());
        assert!(DayOrInstant::parse("2021-2-3").is_err());
        assert!(DayOrInstant::parse("2021-11-04T00:00:00").is_err());
        assert!(DayOrInstant::parse("2021-11-04 00:00:00+08:00").is_err());
        assert!(DayOrInstant::parse(" 2021-11-03").is_err());
        assert!(DayOrInstant::parse("2021-11-04t00:00:00z").is_ok());
    }
}
