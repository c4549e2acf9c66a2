//! Sessions on real phones and several processes (issue 10, items 5 and 6):
//! a refresh retried on a flaky connection answers the same new pair within
//! the grace instead of logging the user out, reuse after it still revokes
//! the family; logging out refuses the access token at once, everywhere.

use std::time::Duration;

use association::access::revoked;
use association::access::tokens::{REFRESH_REUSE_GRACE, Verified};
use association::entity::refresh_token;
use association::platform::cache::Cache;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{Session, TestApp, assert_problem, default_now, spawn_app, unique};

async fn refresh_at(app: &TestApp, base: &str, token: &str) -> reqwest::Response {
    app.client
        .post(format!("{base}/api/v1/auth/refresh"))
        .json(&json!({ "refresh_token": token }))
        .send()
        .await
        .unwrap()
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    refresh_at(app, &app.address, token).await
}

async fn me_at(app: &TestApp, base: &str, access_token: &str) -> reqwest::Response {
    app.client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
}

async fn logout(app: &TestApp, access_token: Option<&str>, refresh_token: &str) -> u16 {
    let mut req = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .json(&json!({ "refresh_token": refresh_token }));
    if let Some(t) = access_token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().status().as_u16()
}

/// The refresh-token rows of a member: (revoked, used) of each.
async fn rows_of(app: &TestApp, member_id: i64) -> Vec<refresh_token::Model> {
    refresh_token::Entity::find()
        .filter(refresh_token::Column::MemberId.eq(member_id))
        .all(&app.state.db)
        .await
        .unwrap()
}

fn pair(body: &serde_json::Value) -> (String, String) {
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn eight_simultaneous_refreshes_of_one_token_all_answer_the_same_new_pair() {
    let app = spawn_app().await;
    let s = app.login("flaky-phone").await;
    let answers = futures_util::future::join_all(
        (0..8).map(|_| async { refresh(&app, &s.refresh_token).await }),
    )
    .await;
    let mut pairs = Vec::new();
    for res in answers {
        assert_eq!(res.status(), 200, "every presentation is answered");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["member"]["id"], s.member_id);
        pairs.push(pair(&body));
    }
    let (access, next) = pairs[0].clone();
    assert!(
        pairs.iter().all(|p| *p == (access.clone(), next.clone())),
        "{pairs:?}"
    );
    assert_ne!(next, s.refresh_token, "rotated");
    assert_ne!(access, s.access_token);

    // The family is not revoked; exactly one successor was stored, hashed.
    let rows = rows_of(&app, s.member_id).await;
    assert_eq!(rows.len(), 2, "the login's token and one successor");
    assert!(rows.iter().all(|r| r.revoked_at.is_none()));
    assert!(
        rows.iter()
            .all(|r| r.token_hash != next && r.token_hash.len() == 64)
    );

    // The new pair works: the access token, then the refresh token.
    assert_eq!(me_at(&app, &app.address, &access).await.status(), 200);
    let res = refresh(&app, &next).await;
    assert_eq!(res.status(), 200, "the new refresh token works");
    let third = pair(&res.json().await.unwrap());
    assert_ne!(third.1, next);
    assert_eq!(me_at(&app, &app.address, &third.0).await.status(), 200);
}

#[tokio::test]
async fn a_refresh_retried_on_another_process_within_the_grace_answers_the_same_pair() {
    let app = spawn_app().await;
    let other = app.replica().await;
    let s = app.login("two-replicas").await;
    let first: serde_json::Value = refresh(&app, &s.refresh_token).await.json().await.unwrap();
    // The answer was lost; the phone retries 20 s later and reaches the
    // other process.
    app.clock.advance(chrono::Duration::seconds(20));
    let res = refresh_at(&app, &other, &s.refresh_token).await;
    assert_eq!(res.status(), 200);
    let again: serde_json::Value = res.json().await.unwrap();
    assert_eq!(pair(&again), pair(&first), "the very same pair");
    assert_eq!(first["expires_in"], 900);
    assert_eq!(again["expires_in"], 880, "counted from now");
    assert_eq!(
        again["refresh_expires_in"].as_i64().unwrap(),
        first["refresh_expires_in"].as_i64().unwrap() - 20
    );
    assert!(
        rows_of(&app, s.member_id)
            .await
            .iter()
            .all(|r| r.revoked_at.is_none())
    );
    assert_eq!(
        me_at(&app, &other, pair(&again).0.as_str()).await.status(),
        200
    );
}

#[tokio::test]
async fn the_old_token_after_the_grace_is_reuse_and_revokes_the_family() {
    let app = spawn_app().await;
    let s = app.login("late-copy").await;
    let res = refresh(&app, &s.refresh_token).await;
    assert_eq!(res.status(), 200);
    let (_, next) = pair(&res.json().await.unwrap());

    app.clock
        .advance(REFRESH_REUSE_GRACE + chrono::Duration::seconds(1));
    assert_problem(
        refresh(&app, &s.refresh_token).await,
        401,
        "REFRESH_TOKEN_REUSED",
    )
    .await;
    assert!(
        rows_of(&app, s.member_id)
            .await
            .iter()
            .all(|r| r.revoked_at.is_some()),
        "the whole family is revoked"
    );
    assert_problem(refresh(&app, &next).await, 401, "REFRESH_TOKEN_INVALID").await;
}

#[tokio::test]
async fn the_old_token_after_its_successor_was_used_is_reuse_even_within_the_grace() {
    let app = spawn_app().await;
    let s = app.login("used-successor").await;
    let (_, next) = pair(&refresh(&app, &s.refresh_token).await.json().await.unwrap());
    let res = refresh(&app, &next).await;
    assert_eq!(res.status(), 200);
    let (_, third) = pair(&res.json().await.unwrap());
    // Whoever presents the first token now did not lose the answer: the
    // successor was used. That is a copy.
    assert_problem(
        refresh(&app, &s.refresh_token).await,
        401,
        "REFRESH_TOKEN_REUSED",
    )
    .await;
    assert_problem(refresh(&app, &third).await, 401, "REFRESH_TOKEN_INVALID").await;
}

#[tokio::test]
async fn logout_refuses_the_access_token_at_once_and_leaves_other_sessions_alone() {
    let app = spawn_app().await;
    let phone = app.login("two-devices").await;
    let tablet = app.login("two-devices").await;
    assert_eq!(phone.member_id, tablet.member_id);
    assert_eq!(app.get_as("/api/v1/me", &phone).await.status(), 200);

    assert_eq!(
        logout(&app, Some(&phone.access_token), &phone.refresh_token).await,
        204
    );
    let res = app.get_as("/api/v1/me", &phone).await;
    let www = res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(www.contains("invalid_token"), "{www}");
    let body = assert_problem(res, 401, "UNAUTHENTICATED").await;
    assert!(
        body["detail"].as_str().unwrap().contains("退出登录"),
        "{body}"
    );
    assert_problem(
        refresh(&app, &phone.refresh_token).await,
        401,
        "REFRESH_TOKEN_INVALID",
    )
    .await;

    // The other session of the same member still works, both tokens.
    assert_eq!(app.get_as("/api/v1/me", &tablet).await.status(), 200);
    assert_eq!(refresh(&app, &tablet.refresh_token).await.status(), 200);

    // A retry of the logout (with the refused token) is harmless.
    assert_eq!(
        logout(&app, Some(&phone.access_token), &phone.refresh_token).await,
        204
    );
    // It stays refused for the rest of its life, and then is expired anyway.
    app.clock.advance(chrono::Duration::minutes(14));
    assert_problem(
        app.get_as("/api/v1/me", &phone).await,
        401,
        "UNAUTHENTICATED",
    )
    .await;
    app.clock.advance(chrono::Duration::minutes(2));
    assert_problem(app.get_as("/api/v1/me", &phone).await, 401, "TOKEN_EXPIRED").await;
}

#[tokio::test]
async fn logout_revokes_the_access_token_even_when_the_refresh_token_is_gone() {
    let app = spawn_app().await;
    let s = app.login("gone-refresh").await;
    // The refresh token is already revoked (an earlier logout sent without
    // the access token, which leaves the access token working)...
    assert_eq!(logout(&app, None, &s.refresh_token).await, 204);
    assert_eq!(app.get_as("/api/v1/me", &s).await.status(), 200);
    // ...and logging out again with the access token refuses it.
    assert_eq!(
        logout(&app, Some(&s.access_token), &s.refresh_token).await,
        204
    );
    assert_problem(app.get_as("/api/v1/me", &s).await, 401, "UNAUTHENTICATED").await;

    // A refresh token the server never knew: the access token still goes.
    let other = app.login("unknown-refresh").await;
    assert_eq!(
        logout(&app, Some(&other.access_token), &unique("never-issued-")).await,
        204
    );
    assert_problem(
        app.get_as("/api/v1/me", &other).await,
        401,
        "UNAUTHENTICATED",
    )
    .await;
    // Garbage in the header is no error either.
    assert_eq!(
        logout(&app, Some("not.a.token"), &other.refresh_token).await,
        204
    );
}

#[tokio::test]
async fn a_logged_out_access_token_is_refused_by_every_process_sharing_the_cache() {
    let app = spawn_app().await;
    let other = app.replica().await;
    let s: Session = app.login("everywhere").await;
    assert_eq!(me_at(&app, &other, &s.access_token).await.status(), 200);
    assert_eq!(
        logout(&app, Some(&s.access_token), &s.refresh_token).await,
        204
    );
    assert_problem(
        me_at(&app, &app.address, &s.access_token).await,
        401,
        "UNAUTHENTICATED",
    )
    .await;
    if app.state.cache.kind() == "redis" {
        assert_problem(
            me_at(&app, &other, &s.access_token).await,
            401,
            "UNAUTHENTICATED",
        )
        .await;
    } else {
        // The in-process cache is one process's own (README: several
        // processes need REDIS_URL); the suite checks the shared case when
        // it runs with TEST_REDIS_URL.
        eprintln!("in-process cache: the other process is not checked");
    }
}

async fn caches() -> Vec<Cache> {
    let prefix = unique("revoked-test:") + ":";
    let mut out = vec![Cache::memory(&prefix)];
    if let Ok(url) = std::env::var("TEST_REDIS_URL") {
        out.push(Cache::redis(&url, &prefix).await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_refused_token_id_is_kept_exactly_as_long_as_the_token_lives() {
    let now = default_now();
    for cache in caches().await {
        let token = |jti: &str, left: i64| Verified {
            member_id: 1,
            jti: jti.to_owned(),
            accepted_until: now.timestamp() + left,
        };
        revoked::revoke(&cache, &token("short", 1), now)
            .await
            .unwrap();
        revoked::revoke(&cache, &token("long", 600), now)
            .await
            .unwrap();
        revoked::revoke(&cache, &token("dead", 0), now)
            .await
            .unwrap();
        let kind = cache.kind();
        assert!(
            revoked::is_revoked(&cache, "short").await.unwrap(),
            "{kind}"
        );
        assert!(
            !revoked::is_revoked(&cache, "dead").await.unwrap(),
            "{kind}"
        );
        assert!(
            !revoked::is_revoked(&cache, "never").await.unwrap(),
            "{kind}"
        );
        tokio::time::sleep(Duration::from_millis(1300)).await;
        assert!(
            !revoked::is_revoked(&cache, "short").await.unwrap(),
            "{kind}: kept beyond the token's life"
        );
        assert!(revoked::is_revoked(&cache, "long").await.unwrap(), "{kind}");
    }
}
