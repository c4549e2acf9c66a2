//! What district leads are told (issue 14): reminders before the district
//! deadline while their district has not filed — at the pinned clock's
//! instants, once each, never after the deadline — and the news of their
//! nomination and of a late grant.

use association::entity::notification;
use association::nominations::reminders;
use chrono::{TimeZone, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

/// The events recorded for `member_id`, oldest first, as `event:key suffix`.
async fn told(app: &TestApp, member_id: i64) -> Vec<String> {
    notification::Entity::find()
        .filter(notification::Column::MemberId.eq(member_id))
        .order_by_asc(notification::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|n| {
            let last = n
                .dedup_key
                .rsplit(':')
                .next()
                .unwrap_or_default()
                .to_owned();
            match n.event.as_str() {
                "campaign.deadline_reminder" => format!("reminder:{last}"),
                other => other.to_owned(),
            }
        })
        .collect()
}

/// Waits (up to 30 s) for the worker's sweep to have told `member_id` `n`
/// things (the worker alone: it sweeps every 200 ms in the tests).
async fn told_after_sweep(app: &TestApp, member_id: i64, n: usize) -> Vec<String> {
    let mut seen = Vec::new();
    for _ in 0..600 {
        seen = told(app, member_id).await;
        if seen.len() >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    seen
}

/// The same, sweeping too after the first second (a loaded machine may keep
/// the worker busy; a sweep of ours beside it is what two processes do).
async fn told_after(app: &TestApp, member_id: i64, n: usize) -> Vec<String> {
    let mut seen = Vec::new();
    for i in 0..600 {
        seen = told(app, member_id).await;
        if seen.len() >= n {
            break;
        }
        if i >= 20 {
            reminders::sweep(&app.state.db, app.state.now())
                .await
                .unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    seen
}

fn china_october(day: u32) -> chrono::DateTime<Utc> {
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2021, 10, day, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// China time on a day of November 2021.
fn china(day: u32, hour: u32, minute: u32) -> chrono::DateTime<Utc> {
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2021, 11, day, hour, minute, 0)
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn a_lead_who_has_not_filed_is_reminded_before_the_deadline_and_one_who_has_is_not() {
    let app = spawn_app().await;
    // Set up before any reminder is due (deadline 2021-11-04 00:00 China
    // time: the first reminder is due on 10-28 00:00).
    app.clock.set(china_october(20));
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_, late) = app.district_with_lead(&admin).await;
    let (_, early) = app.district_with_lead(&admin).await;
    let id = app.complete_draft(&early, campaign, "王师傅").await;
    assert_eq!(app.submit_nomination(&early, id).await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(
        told(&app, late.member_id).await.is_empty(),
        "nothing due yet"
    );
    app.clock.set(china(1, 10, 0));

    // 7 days before has passed (2.6 days are left): that reminder.
    assert_eq!(
        told_after_sweep(&app, late.member_id, 1).await,
        ["reminder:7d"]
    );
    // A sweep that runs again at the same instant tells nobody twice.
    assert_eq!(
        reminders::sweep(&app.state.db, app.state.now())
            .await
            .unwrap(),
        0
    );
    // 23 h 30 before, then 2 h 30 before: the 1-day and the 3-hour ones.
    app.clock.set(china(3, 0, 30));
    assert_eq!(
        told_after(&app, late.member_id, 2).await,
        ["reminder:7d", "reminder:1d"]
    );
    app.clock.set(china(3, 21, 30));
    assert_eq!(
        told_after(&app, late.member_id, 3).await,
        ["reminder:7d", "reminder:1d", "reminder:3h"]
    );
    // After the deadline: nothing more.
    app.clock.set(china(4, 0, 1));
    assert_eq!(
        reminders::sweep(&app.state.db, app.state.now())
            .await
            .unwrap(),
        0
    );
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(told(&app, late.member_id).await.len(), 3);
    // The district that filed heard none of it.
    assert!(told(&app, early.member_id).await.is_empty());
    // Its message was not sent after the deadline either (no WeChat here:
    // not configured; a queued reminder past the deadline is `expired`).
    let statuses: Vec<String> = notification::Entity::find()
        .filter(notification::Column::MemberId.eq(late.member_id))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.wechat_status)
        .collect();
    assert!(
        statuses
            .iter()
            .all(|s| s == "not_configured" || s == "expired"),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_reminder_still_queued_at_the_deadline_is_not_sent() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_, lead) = app.district_with_lead(&admin).await;
    app.clock.set(china(3, 21, 30));
    // (A sweep may have run before the clock moved: the 7-day one first.)
    let mut seen = Vec::new();
    for _ in 0..600 {
        seen = told(&app, lead.member_id).await;
        if seen.contains(&"reminder:3h".to_owned()) {
            break;
        }
        reminders::sweep(&app.state.db, app.state.now())
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        seen.last().map(String::as_str),
        Some("reminder:3h"),
        "{seen:?}"
    );
    let n = notification::Entity::find()
        .filter(notification::Column::MemberId.eq(lead.member_id))
        .filter(notification::Column::DedupKey.ends_with(":3h"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    // As if the worker had been down until after the deadline (the clock
    // first: a worker picking the message up meanwhile sees it past the
    // deadline too).
    app.clock.set(china(4, 0, 5));
    notification::Entity::update_many()
        .col_expr(
            notification::Column::WechatStatus,
            sea_orm::sea_query::Expr::val("pending"),
        )
        .filter(notification::Column::Id.eq(n.id))
        .exec(&app.state.db)
        .await
        .unwrap();
    association::notifications::send::send(
        &app.state.db,
        None,
        &Default::default(),
        n.id,
        app.state.now(),
    )
    .await
    .unwrap();
    let n = notification::Entity::find_by_id(n.id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n.wechat_status, "expired");
    let _ = campaign;
}

#[tokio::test]
async fn leads_hear_of_their_nominations_review_and_of_a_late_grant() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (district, lead) = app.district_with_lead(&admin).await;
    let id = app.complete_draft(&lead, campaign, "王师傅").await;
    assert_eq!(app.submit_nomination(&lead, id).await.status(), 200);
    app.review_nomination(&admin, id, "shortlist", None).await;
    let (other_district, other) = app.district_with_lead(&admin).await;
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{campaign}/late-grants"),
            &admin,
            &json!({"district_id": other_district, "until": "2021-11-05T12:00:00+08:00", "reason": "补报"}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let mine = told(&app, lead.member_id).await;
    assert!(mine.contains(&"nomination.reviewed".to_owned()), "{mine:?}");
    assert!(
        !mine.contains(&"campaign.late_grant".to_owned()),
        "{mine:?}"
    );
    let theirs = told(&app, other.member_id).await;
    assert!(
        theirs.contains(&"campaign.late_grant".to_owned()),
        "{theirs:?}"
    );
    assert!(
        !theirs.contains(&"nomination.reviewed".to_owned()),
        "{theirs:?}"
    );
    let inbox: serde_json::Value = app
        .get_as("/api/v1/me/notifications", &lead)
        .await
        .json()
        .await
        .unwrap();
    let review = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["event"] == "nomination.reviewed")
        .unwrap()
        .clone();
    assert_eq!(review["entity_id"], id);
    assert!(
        review["body"].as_str().unwrap().contains("王师傅"),
        "{review}"
    );
    let _ = district;
}

#[tokio::test]
async fn a_campaign_sets_its_own_reminders() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let read: serde_json::Value = app
        .get(&format!("/api/v1/campaigns/{campaign}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["reminder_hours"], json!([168, 24, 3]), "the default");
    // Hours of 1–720, each once.
    let res = app
        .patch_as(
            &format!("/api/v1/campaigns/{campaign}"),
            &admin,
            &json!({"reminder_hours": [0, 24, 24, 1000]}),
        )
        .await;
    let body = crate::helpers::assert_problem(res, 422, "VALIDATION_FAILED").await;
    let pointers: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        [
            "/reminder_hours/0",
            "/reminder_hours/2",
            "/reminder_hours/3"
        ]
    );
    let res = app
        .patch_as(
            &format!("/api/v1/campaigns/{campaign}"),
            &admin,
            &json!({"reminder_hours": [2, 48]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let (_, lead) = app.district_with_lead(&admin).await;
    // 62 hours before the deadline: none of its reminders is due.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(told(&app, lead.member_id).await.is_empty());
    app.clock.set(china(2, 1, 0));
    assert_eq!(told_after(&app, lead.member_id, 1).await, ["reminder:2d"]);
    app.clock.set(china(3, 22, 30));
    assert_eq!(
        told_after(&app, lead.member_id, 2).await,
        ["reminder:2d", "reminder:2h"]
    );
}
