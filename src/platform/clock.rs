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
