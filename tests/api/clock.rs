use association::platform::clock::{
    Clock, FixedClock, china_year, format_china_deadline, to_china,
};
use chrono::{DateTime, TimeZone, Utc};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn china_year_of_new_years_eve_evening_is_that_year() {
    assert_eq!(china_year(at("2021-12-31T23:30:00+08:00")), 2021);
    assert_eq!(china_year(at("2021-12-31T16:30:00Z")), 2022);
}

#[test]
fn midnight_deadline_reads_as_24_00_of_the_day_before() {
    assert_eq!(
        format_china_deadline(at("2021-11-04T00:00:00+08:00")),
        "2021年11月3日 24:00"
    );
    assert_eq!(
        format_china_deadline(at("2021-11-03T12:05:00+08:00")),
        "2021年11月3日 12:05"
    );
}

#[test]
fn fixed_clock_moves_only_when_told() {
    let t = Utc.with_ymd_and_hms(2021, 11, 3, 15, 59, 59).unwrap();
    let c = FixedClock::new(t);
    assert_eq!(c.now(), t);
    c.advance(chrono::Duration::seconds(1));
    assert_eq!(to_china(c.now()).to_rfc3339(), "2021-11-04T00:00:00+08:00");
}
