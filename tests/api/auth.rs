//! Login (development and WeChat), access tokens, refresh rotation, logout.

use association::access::tokens::{AUDIENCE, ISSUER};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::ExposeSecret;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, unique};

#[tokio::test]
async fn development_login_creates_the_member_once_and_answers_tokens() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/wechat/login"))
        .json(&json!({"code": "dev:小王"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["refresh_token"].as_str().unwrap().len() >= 40);
    assert_eq!(body["member"]["display_name"], "小王");
    assert!(body.get("session_key").is_none() && !body.to_string().contains("session_key"));
    let again = app.login("小王").await;
    assert_eq!(again.member_id, body["member"]["id"].as_i64().unwrap());
    let me: serde_json::Value = app.get_as("/api/v1/me", &again).await.json().await.unwrap();
    assert_eq!(me["id"], again.member_id);
}

async fn wechat_app(mock: &MockServer) -> crate::helpers::TestApp {
    let base = mock.uri();
    spawn_app_with(move |env| {
        env.insert("WECHAT_APPID".into(), "wx-test-app".into());
        env.insert("WECHAT_SECRET".into(), "the-app-secret-value".into());
        env.insert("WECHAT_API_BASE".into(), base);
    })
    .await
}

#[tokio::test]
async fn wechat_login_finds_the_member_by_openid_and_keeps_the_unionid() {
    let mock = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/sns/jscode2session"))
        .and(query_param("js_code", "good-code"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "openid": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M",
            "session_key": "tiihtNczf5v6AKRyjwEUhQ==",
            "unionid": "o6_bmasdasdsad6_2sgVt7hMZOPfL"
        })))
        .mount(&mock)
        .await;
    let app = wechat_app(&mock).await;
    let login = |code: &'static str| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/v1/auth/wechat/login"))
                .json(&json!({ "code": code }))
                .send()
                .await
                .unwrap()
        }
    };
    let first: serde_json::Value = login("good-code").await.json().await.unwrap();
    let second: serde_json::Value = login("good-code").await.json().await.unwrap();
    assert_eq!(first["member"]["id"], second["member"]["id"]);
    use sea_orm::EntityTrait;
    let m =
        association::entity::member::Entity::find_by_id(first["member"]["id"].as_i64().unwrap())
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(m.openid, "o6_bmjrPTlm6_2sgVt7hMZOPfL2M");
    assert_eq!(m.unionid.as_deref(), Some("o6_bmasdasdsad6_2sgVt7hMZOPfL"));
}

#[tokio::test]
async fn a_development_code_is_never_accepted_when_wechat_is_configured() {
    let mock = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/sns/jscode2session"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": 40029, "errmsg": "invalid code"})),
        )
        .expect(1)
        .mount(&mock)
        .await;
    let app = wechat_app(&mock).await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/wechat/login"))
        .json(&json!({"code": "dev:intruder"}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 401, "INVALID_LOGIN_CODE").await;
    assert!(!body.to_string().contains("the-app-secret-value"));
}

#[tokio::test]
async fn a_used_login_code_is_401_login_code_used_and_wechat_busy_is_503() {
    let mock = MockServer::start().await;
    Mock::given(method("GET"))
        .and(query_param("js_code", "used"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": 40163, "errmsg": "code been used"})),
        )
        .mount(&mock)
        .await;
    Mock::given(method("GET"))
        .and(query_param("js_code", "busy"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": -1, "errmsg": "system error"})),
        )
        .expect(1)
        .mount(&mock)
        .await;
    let app = wechat_app(&mock).await;
    let post = |code: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/wechat/login"))
            .json(&json!({ "code": code }))
            .send()
    };
    assert_problem(post("used").await.unwrap(), 401, "LOGIN_CODE_USED").await;
    let res = post("busy").await.unwrap();
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 503, "WECHAT_UNAVAILABLE").await;
}

#[tokio::test]
async fn login_is_rate_limited_per_client() {
    let app = spawn_app().await;
    let mut last = None;
    for i in 0..21 {
        let res = app
            .client
            .post(app.url("/api/v1/auth/wechat/login"))
            .json(&json!({"code": format!("dev:user{i}")}))
            .send()
            .await
            .unwrap();
        last = Some(res);
    }
    let res = last.unwrap();
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(res.headers()["ratelimit-limit"], "20");
    assert_problem(res, 429, "RATE_LIMITED").await;
}

fn forge(secret: &[u8], alg: Algorithm, claims: serde_json::Value) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

#[tokio::test]
async fn bad_access_tokens_are_401_with_www_authenticate() {
    let app = spawn_app().await;
    let me = app.login("victim").await;
    let secret = app
        .state
        .settings
        .jwt_secret
        .expose_secret()
        .as_bytes()
        .to_vec();
    let now = crate::helpers::default_now().timestamp();
    let claims = |aud: &str, iat: i64, exp: i64| json!({"iss": ISSUER, "aud": aud, "sub": me.member_id.to_string(), "iat": iat, "exp": exp, "jti": unique("")});
    let none_alg = {
        use base64::Engine;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.",
            e.encode(br#"{"alg":"none","typ":"JWT"}"#),
            e.encode(claims(AUDIENCE, now, now + 600).to_string())
        )
    };
    let cases = [
        ("alg none", none_alg),
        (
            "another algorithm",
            forge(&secret, Algorithm::HS384, claims(AUDIENCE, now, now + 600)),
        ),
        (
            "wrong key",
            forge(
                b"another-key-another-key-another-key!",
                Algorithm::HS256,
                claims(AUDIENCE, now, now + 600),
            ),
        ),
        (
            "wrong audience",
            forge(
                &secret,
                Algorithm::HS256,
                claims("someone-else", now, now + 600),
            ),
        ),
        ("garbage", "not.a.token".to_owned()),
    ];
    for (what, token) in cases {
        let res = app
            .client
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let www = res
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        assert!(www.is_some_and(|w| w.starts_with("Bearer")), "{what}");
        assert_problem(res, 401, "UNAUTHENTICATED").await;
    }
    // A correctly signed token works...
    let good = forge(&secret, Algorithm::HS256, claims(AUDIENCE, now, now + 600));
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // ...until it expires by the server's clock.
    app.clock.advance(chrono::Duration::minutes(16));
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&good)
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("www-authenticate"));
    assert_problem(res, 401, "TOKEN_EXPIRED").await;
}

#[tokio::test]
async fn the_access_token_expires_after_about_15_minutes() {
    let app = spawn_app().await;
    let me = app.login("short-lived").await;
    app.clock.advance(chrono::Duration::minutes(14));
    assert_eq!(app.get_as("/api/v1/me", &me).await.status(), 200);
    app.clock.advance(chrono::Duration::minutes(2));
    assert_problem(app.get_as("/api/v1/me", &me).await, 401, "TOKEN_EXPIRED").await;
}

async fn refresh(app: &crate::helpers::TestApp, token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({ "refresh_token": token }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn refresh_rotates_the_token_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let s = app.login("rotating").await;
    let res = refresh(&app, &s.refresh_token).await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    let second = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second, s.refresh_token, "rotated");
    assert_eq!(body["member"]["id"], s.member_id);

    // The first token again, after the grace for a phone's retries: someone
    // kept a copy. The whole family is revoked.
    app.clock
        .advance(association::access::tokens::REFRESH_REUSE_GRACE + chrono::Duration::seconds(1));
    assert_problem(
        refresh(&app, &s.refresh_token).await,
        401,
        "REFRESH_TOKEN_REUSED",
    )
    .await;
    assert_problem(refresh(&app, &second).await, 401, "REFRESH_TOKEN_INVALID").await;

    // Another login is another family and still works.
    let other = app.login("rotating").await;
    assert_eq!(refresh(&app, &other.refresh_token).await.status(), 200);
}

#[tokio::test]
async fn refresh_tokens_expire_after_30_days_and_are_stored_hashed() {
    let app = spawn_app().await;
    let s = app.login("sleepy").await;
    use sea_orm::EntityTrait;
    let rows = association::entity::refresh_token::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(
        rows.iter()
            .all(|r| r.token_hash != s.refresh_token && r.token_hash.len() == 64)
    );
    app.clock.advance(chrono::Duration::days(31));
    assert_problem(
        refresh(&app, &s.refresh_token).await,
        401,
        "REFRESH_TOKEN_INVALID",
    )
    .await;
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let app = spawn_app().await;
    let s = app.login("leaving").await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .json(&json!({"refresh_token": s.refresh_token}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(
        refresh(&app, &s.refresh_token).await,
        401,
        "REFRESH_TOKEN_INVALID",
    )
    .await;
    // A retry of the logout is harmless.
    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .json(&json!({"refresh_token": s.refresh_token}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn a_removed_role_takes_effect_at_once() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let other = app.secretariat().await;
    assert_eq!(app.get_as("/api/v1/members", &other).await.status(), 200);
    let res = app
        .put_as(
            &format!("/api/v1/members/{}/roles", other.member_id),
            &admin,
            &json!({"roles": [], "reason": "left the office"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // The same access token no longer carries the role.
    assert_problem(
        app.get_as("/api/v1/members", &other).await,
        403,
        "FORBIDDEN",
    )
    .await;
}
