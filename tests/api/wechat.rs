//! The WeChat client against a local mock of WeChat's API (never the
//! internet). Token tests run on the in-process cache, and on Redis too when
//! `TEST_REDIS_URL` is set.

use std::time::Duration;

use actix_web::ResponseError;
use association::platform::cache::Cache;
use association::platform::error::{ApiError, ErrorCode};
use association::wechat::{
    ACCESS_TOKEN_KEY, ACCESS_TOKEN_LOCK_KEY, SendOutcome, Suggest, WeChat, WeChatError,
    WeChatOptions,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APPID: &str = "wx8f3c1d2e4b5a6978";
const SECRET: &str = "app-secret-3f9d2c71b8e64a05";

async fn caches() -> Vec<Cache> {
    let prefix = crate::helpers::unique("wechat-test:") + ":";
    let mut out = vec![Cache::memory(&prefix)];
    if let Ok(url) = std::env::var("TEST_REDIS_URL") {
        out.push(Cache::redis(&url, &prefix).await.unwrap());
    }
    out
}

fn fast_options() -> WeChatOptions {
    WeChatOptions {
        connect_timeout: Duration::from_millis(500),
        timeout: Duration::from_millis(500),
        lock_wait: Duration::from_millis(300),
        lock_poll: Duration::from_millis(20),
        ..WeChatOptions::default()
    }
}

fn client_with(base: &str, cache: Cache, options: WeChatOptions) -> WeChat {
    WeChat::with_options(
        base,
        APPID.to_owned(),
        SecretString::from(SECRET),
        cache,
        options,
    )
    .unwrap()
}

fn client(server: &MockServer, cache: Cache) -> WeChat {
    client_with(&server.uri(), cache, fast_options())
}

fn memory() -> Cache {
    Cache::memory(&(crate::helpers::unique("wechat-test:") + ":"))
}

fn json_response(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn token_body(token: &str) -> serde_json::Value {
    json!({ "access_token": token, "expires_in": 7200 })
}

fn phone_ok() -> serde_json::Value {
    json!({
        "errcode": 0,
        "errmsg": "ok",
        "phone_info": {
            "phoneNumber": "+8613800138000",
            "purePhoneNumber": "13800138000",
            "countryCode": "86",
            "watermark": { "timestamp": 1637744274, "appid": APPID }
        }
    })
}

/// A mock `jscode2session` answering `body` once (and expecting exactly one call).
async fn mock_session(server: &MockServer, body: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path("/sns/jscode2session"))
        .respond_with(json_response(body))
        .expect(1)
        .mount(server)
        .await;
}

/// Status and `Retry-After` of the response an error renders to.
fn rendered(e: WeChatError) -> (ErrorCode, u16, Option<String>) {
    let api = ApiError::from(e);
    let response = api.error_response();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (api.code, response.status().as_u16(), retry_after)
}

#[tokio::test]
async fn login_code_is_url_encoded_and_success_without_errcode_parses() {
    let server = MockServer::start().await;
    let code = "0a1+b/c= d==&x";
    Mock::given(method("GET"))
        .and(path("/sns/jscode2session"))
        .and(query_param("appid", APPID))
        .and(query_param("secret", SECRET))
        .and(query_param("js_code", code))
        .and(query_param("grant_type", "authorization_code"))
        .respond_with(json_response(json!({
            "openid": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M",
            "session_key": "tiihtNczf5v6AKRyjwEUhQ==",
            "unionid": "o6_bmasdasdsad6_2sgVt7hMZOPfL"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let session = client(&server, memory()).code2session(code).await.unwrap();
    assert_eq!(session.openid, "o6_bmjrPTlm6_2sgVt7hMZOPfL2M");
    assert_eq!(
        session.unionid.as_deref(),
        Some("o6_bmasdasdsad6_2sgVt7hMZOPfL")
    );
    assert_eq!(
        session.session_key.expose_secret(),
        "tiihtNczf5v6AKRyjwEUhQ=="
    );
    let debug = format!("{session:?}");
    assert!(!debug.contains("tiihtNczf5v6AKRyjwEUhQ"), "{debug}");
    server.verify().await;
}

#[tokio::test]
async fn session_unionid_is_optional_and_errcode_0_is_success() {
    let server = MockServer::start().await;
    mock_session(
        &server,
        json!({"openid": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "session_key": "tiihtNczf5v6AKRyjwEUhQ==", "errcode": 0, "errmsg": "ok"}),
    )
    .await;
    let session = client(&server, memory()).code2session("c").await.unwrap();
    assert_eq!(session.openid, "o6_bmjrPTlm6_2sgVt7hMZOPfL2M");
    assert_eq!(session.unionid, None);
}

#[tokio::test]
async fn invalid_login_code_40029_maps_to_401_invalid_login_code() {
    let server = MockServer::start().await;
    mock_session(
        &server,
        json!({"errcode": 40029, "errmsg": "invalid code, rid: 61a1b2c3-1d2e3f4a-5b6c7d8e"}),
    )
    .await;
    let err = client(&server, memory())
        .code2session("bad")
        .await
        .unwrap_err();
    assert!(matches!(err, WeChatError::InvalidCode), "{err:?}");
    assert_eq!(rendered(err), (ErrorCode::InvalidLoginCode, 401, None));
    assert_eq!(ErrorCode::InvalidLoginCode.as_str(), "INVALID_LOGIN_CODE");
}

#[tokio::test]
async fn used_login_code_40163_maps_to_401_login_code_used() {
    let server = MockServer::start().await;
    mock_session(
        &server,
        json!({"errcode": 40163, "errmsg": "code been used, rid: 61a1b2c3-1d2e3f4a-5b6c7d8e"}),
    )
    .await;
    let err = client(&server, memory())
        .code2session("used")
        .await
        .unwrap_err();
    assert!(matches!(err, WeChatError::CodeUsed), "{err:?}");
    assert_eq!(rendered(err), (ErrorCode::LoginCodeUsed, 401, None));
    assert_eq!(ErrorCode::LoginCodeUsed.as_str(), "LOGIN_CODE_USED");
}

#[tokio::test]
async fn wechat_rate_limit_45011_maps_to_429_with_retry_after() {
    let server = MockServer::start().await;
    mock_session(
        &server,
        json!({"errcode": 45011, "errmsg": "api minute-quota reach limit, rid: 61a1b2c3"}),
    )
    .await;
    let err = client(&server, memory())
        .code2session("c")
        .await
        .unwrap_err();
    assert!(matches!(err, WeChatError::RateLimited), "{err:?}");
    assert_eq!(
        rendered(err),
        (ErrorCode::RateLimited, 429, Some("60".to_owned()))
    );
}

#[tokio::test]
async fn wechat_busy_maps_to_503_and_login_code_is_never_retried() {
    let server = MockServer::start().await;
    // `mock_session` expects exactly one request.
    mock_session(
        &server,
        json!({"errcode": -1, "errmsg": "system error, rid: 61a1b2c3"}),
    )
    .await;
    let err = client(&server, memory())
        .code2session("c")
        .await
        .unwrap_err();
    assert!(matches!(err, WeChatError::Busy), "{err:?}");
    assert_eq!(
        rendered(err),
        (ErrorCode::WechatUnavailable, 503, Some("5".to_owned()))
    );
    assert_eq!(ErrorCode::WechatUnavailable.as_str(), "WECHAT_UNAVAILABLE");
    server.verify().await;
}

#[tokio::test]
async fn wechat_timeout_maps_to_503_and_login_code_is_never_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/sns/jscode2session"))
        .respond_with(
            json_response(json!({"openid": "o", "session_key": "k"}))
                .set_delay(Duration::from_secs(3)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let options = WeChatOptions {
        timeout: Duration::from_millis(200),
        ..fast_options()
    };
    let started = std::time::Instant::now();
    let err = client_with(&server.uri(), memory(), options)
        .code2session("c")
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(matches!(err, WeChatError::Timeout(_)), "{err:?}");
    assert_eq!(
        rendered(err),
        (ErrorCode::WechatUnavailable, 503, Some("5".to_owned()))
    );
    server.verify().await;
}

#[tokio::test]
async fn unreachable_wechat_maps_to_503() {
    let err = client_with(&closed_port_url(), memory(), fast_options())
        .code2session("c")
        .await
        .unwrap_err();
    assert!(matches!(err, WeChatError::Unreachable(_)), "{err:?}");
    assert_eq!(
        rendered(err),
        (ErrorCode::WechatUnavailable, 503, Some("5".to_owned()))
    );
}

fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn unexpected_answers_are_malformed_and_map_to_503() {
    let server = MockServer::start().await;
    Mock::given(path("/sns/jscode2session"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>gateway</html>"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/sns/jscode2session"))
        .respond_with(json_response(json!({"openid": 5, "session_key": "k"})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/sns/jscode2session"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let wechat = client(&server, memory());
    for _ in 0..2 {
        let err = wechat.code2session("c").await.unwrap_err();
        assert!(matches!(err, WeChatError::Malformed { .. }), "{err:?}");
        assert_eq!(rendered(err).1, 503);
    }
    let err = wechat.code2session("c").await.unwrap_err();
    assert!(
        matches!(err, WeChatError::HttpStatus { status: 502 }),
        "{err:?}"
    );
    assert_eq!(rendered(err).1, 503);
}

#[tokio::test]
async fn concurrent_access_token_callers_make_one_stable_token_request() {
    for cache in caches().await {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/cgi-bin/stable_token"))
            .and(body_json(json!({
                "grant_type": "client_credential",
                "appid": APPID,
                "secret": SECRET,
                "force_refresh": false
            })))
            .respond_with(
                json_response(token_body("TOKEN_A")).set_delay(Duration::from_millis(200)),
            )
            .expect(1)
            .mount(&server)
            .await;
        let wechat = client(&server, cache.clone());
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let w = wechat.clone();
            tasks.push(tokio::spawn(async move { w.access_token().await }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), "TOKEN_A", "{}", cache.kind());
        }
        assert_eq!(
            cache.get(ACCESS_TOKEN_KEY).await.unwrap().as_deref(),
            Some("TOKEN_A")
        );
        // Cached: later callers make no request either.
        assert_eq!(wechat.access_token().await.unwrap(), "TOKEN_A");
        server.verify().await;
    }
}

#[tokio::test]
async fn access_token_is_cached_for_expires_in_minus_the_margin() {
    for cache in caches().await {
        let server = MockServer::start().await;
        Mock::given(path("/cgi-bin/stable_token"))
            .respond_with(json_response(token_body("TOKEN_A")))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(path("/cgi-bin/stable_token"))
            .respond_with(json_response(token_body("TOKEN_B")))
            .expect(1)
            .mount(&server)
            .await;
        // 7200 s minus a 7199.6 s margin: the token is kept 400 ms.
        let options = WeChatOptions {
            token_margin: Duration::from_millis(7_199_600),
            token_min_ttl: Duration::from_millis(100),
            ..fast_options()
        };
        let wechat = client_with(&server.uri(), cache.clone(), options);
        assert_eq!(wechat.access_token().await.unwrap(), "TOKEN_A");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            wechat.access_token().await.unwrap(),
            "TOKEN_A",
            "{}",
            cache.kind()
        );
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(
            wechat.access_token().await.unwrap(),
            "TOKEN_B",
            "{} kept the token past expires_in minus the margin",
            cache.kind()
        );
        server.verify().await;
    }
}

#[tokio::test]
async fn access_token_waits_for_the_process_holding_the_fetch_lock() {
    for cache in caches().await {
        let server = MockServer::start().await;
        Mock::given(path("/cgi-bin/stable_token"))
            .respond_with(json_response(token_body("MINE")))
            .expect(0)
            .mount(&server)
            .await;
        // Another process holds the lock and stores its token 150 ms later.
        cache
            .set_if_absent(ACCESS_TOKEN_LOCK_KEY, "other", Duration::from_secs(10))
            .await
            .unwrap();
        let options = WeChatOptions {
            lock_wait: Duration::from_secs(2),
            ..fast_options()
        };
        let wechat = client_with(&server.uri(), cache.clone(), options);
        let task = tokio::spawn(async move { wechat.access_token().await });
        tokio::time::sleep(Duration::from_millis(150)).await;
        cache
            .set(ACCESS_TOKEN_KEY, "THEIRS", Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(task.await.unwrap().unwrap(), "THEIRS", "{}", cache.kind());
        server.verify().await;
    }
}

#[tokio::test]
async fn access_token_is_fetched_anyway_when_the_lock_holder_stalls() {
    for cache in caches().await {
        let server = MockServer::start().await;
        Mock::given(path("/cgi-bin/stable_token"))
            .respond_with(json_response(token_body("MINE")))
            .expect(1)
            .mount(&server)
            .await;
        cache
            .set_if_absent(ACCESS_TOKEN_LOCK_KEY, "other", Duration::from_secs(10))
            .await
            .unwrap();
        let wechat = client(&server, cache.clone()); // waits 300 ms
        assert_eq!(wechat.access_token().await.unwrap(), "MINE");
        // The other process's lock is not ours to release.
        assert_eq!(
            cache.get(ACCESS_TOKEN_LOCK_KEY).await.unwrap().as_deref(),
            Some("other")
        );
        server.verify().await;
    }
}

#[tokio::test]
async fn refused_access_token_is_dropped_and_the_call_retried_once() {
    for errcode in [40001, 40014, 42001] {
        for cache in caches().await {
            let server = MockServer::start().await;
            Mock::given(path("/cgi-bin/stable_token"))
                .respond_with(json_response(token_body("OLD")))
                .up_to_n_times(1)
                .expect(1)
                .mount(&server)
                .await;
            Mock::given(path("/cgi-bin/stable_token"))
                .respond_with(json_response(token_body("NEW")))
                .expect(1)
                .mount(&server)
                .await;
            Mock::given(method("POST"))
                .and(path("/wxa/business/getuserphonenumber"))
                .and(query_param("access_token", "OLD"))
                .respond_with(json_response(json!({
                    "errcode": errcode,
                    "errmsg": "invalid credential, access_token is invalid or not latest, rid: 61a1b2c3"
                })))
                .expect(1)
                .mount(&server)
                .await;
            Mock::given(method("POST"))
                .and(path("/wxa/business/getuserphonenumber"))
                .and(query_param("access_token", "NEW"))
                .and(body_json(json!({"code": "phone-code"})))
                .respond_with(json_response(phone_ok()))
                .expect(1)
                .mount(&server)
                .await;
            let wechat = client(&server, cache.clone());
            let phone = wechat.phone_number("phone-code").await.unwrap();
            assert_eq!(phone.pure_phone_number, "13800138000");
            assert_eq!(
                cache.get(ACCESS_TOKEN_KEY).await.unwrap().as_deref(),
                Some("NEW"),
                "{errcode} {}",
                cache.kind()
            );
            server.verify().await;
        }
    }
}

#[tokio::test]
async fn a_second_consecutive_token_error_is_not_retried_again() {
    for cache in caches().await {
        let server = MockServer::start().await;
        Mock::given(path("/cgi-bin/stable_token"))
            .respond_with(json_response(token_body("OLD")))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(path("/cgi-bin/stable_token"))
            .respond_with(json_response(token_body("NEW")))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(path("/wxa/business/getuserphonenumber"))
            .respond_with(json_response(
                json!({"errcode": 40001, "errmsg": "invalid credential, rid: 61a1b2c3"}),
            ))
            .expect(2)
            .mount(&server)
            .await;
        let err = client(&server, cache.clone())
            .phone_number("phone-code")
            .await
            .unwrap_err();
        assert!(
            matches!(err, WeChatError::Api { errcode: 40001, .. }),
            "{err:?}"
        );
        assert_eq!(rendered(err).1, 503);
        server.verify().await;
    }
}

#[tokio::test]
async fn refused_token_is_dropped_only_if_the_cache_still_holds_it() {
    for cache in caches().await {
        let server = MockServer::start().await;
        Mock::given(path("/cgi-bin/stable_token"))
            .respond_with(json_response(token_body("MINE")))
            .expect(0)
            .mount(&server)
            .await;
        // WeChat refuses OLD slowly; meanwhile another process stores NEWER.
        Mock::given(path("/wxa/business/getuserphonenumber"))
            .and(query_param("access_token", "OLD"))
            .respond_with(
                json_response(json!({"errcode": 42001, "errmsg": "access_token expired"}))
                    .set_delay(Duration::from_millis(300)),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(path("/wxa/business/getuserphonenumber"))
            .and(query_param("access_token", "NEWER"))
            .respond_with(json_response(phone_ok()))
            .expect(1)
            .mount(&server)
            .await;
        cache
            .set(ACCESS_TOKEN_KEY, "OLD", Duration::from_secs(60))
            .await
            .unwrap();
        let wechat = client(&server, cache.clone());
        let task = tokio::spawn(async move { wechat.phone_number("phone-code").await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        cache
            .set(ACCESS_TOKEN_KEY, "NEWER", Duration::from_secs(60))
            .await
            .unwrap();
        let phone = task.await.unwrap().unwrap();
        assert_eq!(phone.country_code, "86");
        assert_eq!(
            cache.get(ACCESS_TOKEN_KEY).await.unwrap().as_deref(),
            Some("NEWER"),
            "{} dropped the replacement token",
            cache.kind()
        );
        server.verify().await;
    }
}

/// Puts a valid access token `TOKEN` in the cache.
async fn with_token(cache: &Cache) {
    cache
        .set(ACCESS_TOKEN_KEY, "TOKEN", Duration::from_secs(60))
        .await
        .unwrap();
}

#[tokio::test]
async fn phone_number_is_parsed() {
    let server = MockServer::start().await;
    let cache = memory();
    with_token(&cache).await;
    Mock::given(method("POST"))
        .and(path("/wxa/business/getuserphonenumber"))
        .and(query_param("access_token", "TOKEN"))
        .and(body_json(
            json!({"code": "e31968a7f94cc5ee25fafc2aef2773f0bb8c3937b22520eb8ee345274d00c144"}),
        ))
        .respond_with(json_response(phone_ok()))
        .expect(1)
        .mount(&server)
        .await;
    let phone = client(&server, cache)
        .phone_number("e31968a7f94cc5ee25fafc2aef2773f0bb8c3937b22520eb8ee345274d00c144")
        .await
        .unwrap();
    assert_eq!(phone.pure_phone_number, "13800138000");
    assert_eq!(phone.country_code, "86");
}

#[tokio::test]
async fn msg_sec_check_suggest_is_parsed() {
    for (suggest, expected) in [
        ("pass", Suggest::Pass),
        ("review", Suggest::Review),
        ("risky", Suggest::Risky),
    ] {
        let server = MockServer::start().await;
        let cache = memory();
        with_token(&cache).await;
        Mock::given(method("POST"))
            .and(path("/wxa/msg_sec_check"))
            .and(query_param("access_token", "TOKEN"))
            .and(body_json(json!({
                "content": "校园后勤服务真好",
                "version": 2,
                "scene": 2,
                "openid": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
            })))
            .respond_with(json_response(json!({
                "errcode": 0,
                "errmsg": "ok",
                "result": {"suggest": suggest, "label": 100},
                "detail": [{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": 100, "prob": 90}],
                "trace_id": "60ae120f-371d5872-7941a05b"
            })))
            .expect(1)
            .mount(&server)
            .await;
        let got = client(&server, cache)
            .msg_sec_check("o6_bmjrPTlm6_2sgVt7hMZOPfL2M", 2, "校园后勤服务真好")
            .await
            .unwrap();
        assert_eq!(got, expected);
        server.verify().await;
    }
}

#[tokio::test]
async fn subscribe_message_errcode_0_is_sent() {
    let server = MockServer::start().await;
    let cache = memory();
    with_token(&cache).await;
    let data =
        json!({"thing1": {"value": "评优结果已公布"}, "time2": {"value": "2021-11-01 10:00"}});
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/subscribe/send"))
        .and(query_param("access_token", "TOKEN"))
        .and(body_json(json!({
            "touser": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M",
            "template_id": "TEMPLATE_ID",
            "page": "pages/index/index",
            "data": data
        })))
        .respond_with(json_response(json!({"errcode": 0, "errmsg": "ok"})))
        .expect(1)
        .mount(&server)
        .await;
    let outcome = client(&server, cache)
        .send_subscribe_message(
            "o6_bmjrPTlm6_2sgVt7hMZOPfL2M",
            "TEMPLATE_ID",
            Some("pages/index/index"),
            data.clone(),
        )
        .await
        .unwrap();
    assert_eq!(outcome, SendOutcome::Sent);
}

#[tokio::test]
async fn subscribe_message_43101_is_not_authorised_not_an_error() {
    let server = MockServer::start().await;
    let cache = memory();
    with_token(&cache).await;
    let data = json!({"thing1": {"value": "评优结果已公布"}});
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/subscribe/send"))
        .and(body_json(json!({
            "touser": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M",
            "template_id": "TEMPLATE_ID",
            "data": data
        })))
        .respond_with(json_response(
            json!({"errcode": 43101, "errmsg": "user refuse to accept the msg rid: 61a1b2c3"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let outcome = client(&server, cache)
        .send_subscribe_message("o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "TEMPLATE_ID", None, data)
        .await
        .unwrap();
    assert_eq!(outcome, SendOutcome::NotAuthorised);
}

#[tokio::test]
async fn app_secret_never_appears_in_error_text() {
    let mut errors: Vec<WeChatError> = Vec::new();

    // Every login failure, including one whose errmsg quotes the secret.
    let login_answers = [
        json!({"errcode": 40029, "errmsg": "invalid code"}),
        json!({"errcode": 40163, "errmsg": "code been used"}),
        json!({"errcode": 45011, "errmsg": "api minute-quota reach limit"}),
        json!({"errcode": -1, "errmsg": "system error"}),
        json!({"errcode": 40125, "errmsg": format!("invalid appsecret {SECRET}, rid: 1")}),
        json!({"openid": 5, "session_key": SECRET}),
    ];
    for body in login_answers {
        let server = MockServer::start().await;
        mock_session(&server, body).await;
        errors.push(
            client(&server, memory())
                .code2session("c")
                .await
                .unwrap_err(),
        );
    }
    let server = MockServer::start().await;
    Mock::given(path("/sns/jscode2session"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!("oops {SECRET}")))
        .mount(&server)
        .await;
    errors.push(
        client(&server, memory())
            .code2session("c")
            .await
            .unwrap_err(),
    );
    // A redirect (not followed) whose target quotes the secret.
    let server = MockServer::start().await;
    Mock::given(path("/sns/jscode2session"))
        .respond_with(ResponseTemplate::new(302).insert_header(
            "location",
            format!("http://127.0.0.1:1/?secret={SECRET}").as_str(),
        ))
        .mount(&server)
        .await;
    errors.push(
        client(&server, memory())
            .code2session("c")
            .await
            .unwrap_err(),
    );

    // Transport failures (the secret is in the query of jscode2session).
    let server = MockServer::start().await;
    Mock::given(path("/sns/jscode2session"))
        .respond_with(json_response(json!({})).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let options = WeChatOptions {
        timeout: Duration::from_millis(200),
        ..fast_options()
    };
    errors.push(
        client_with(&server.uri(), memory(), options.clone())
            .code2session("c")
            .await
            .unwrap_err(),
    );
    errors.push(
        client_with(&closed_port_url(), memory(), options.clone())
            .code2session("c")
            .await
            .unwrap_err(),
    );

    // Token failures (the secret is in the body of stable_token).
    let server = MockServer::start().await;
    Mock::given(path("/cgi-bin/stable_token"))
        .respond_with(json_response(
            json!({"errcode": 40125, "errmsg": "invalid appsecret, rid: 1"}),
        ))
        .mount(&server)
        .await;
    errors.push(
        client(&server, memory())
            .phone_number("p")
            .await
            .unwrap_err(),
    );
    let server = MockServer::start().await;
    Mock::given(path("/cgi-bin/stable_token"))
        .respond_with(json_response(token_body("T")).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    errors.push(
        client_with(&server.uri(), memory(), options.clone())
            .access_token()
            .await
            .unwrap_err(),
    );
    errors.push(
        client_with(&closed_port_url(), memory(), options)
            .msg_sec_check("o", 1, "x")
            .await
            .unwrap_err(),
    );

    assert!(errors.len() >= 12);
    for e in errors {
        let display = e.to_string();
        let debug = format!("{e:?}");
        let mut chain = String::new();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            chain.push_str(&format!("{s} / {s:?}\n"));
            source = s.source();
        }
        let api = ApiError::from(e);
        let api_text = format!("{api} {api:?}");
        for text in [&display, &debug, &chain, &api_text] {
            assert!(!text.contains(SECRET), "secret leaked: {text}");
        }
    }
}

#[test]
fn new_error_codes_have_a_status_title_and_chinese_detail() {
    for (code, status, text) in [
        (ErrorCode::InvalidLoginCode, 401, "INVALID_LOGIN_CODE"),
        (ErrorCode::LoginCodeUsed, 401, "LOGIN_CODE_USED"),
        (ErrorCode::WechatUnavailable, 503, "WECHAT_UNAVAILABLE"),
    ] {
        assert_eq!(code.status().as_u16(), status);
        assert_eq!(code.as_str(), text);
        assert_eq!(serde_json::to_value(code).unwrap(), json!(text));
        assert!(!code.title().is_empty());
        assert!(code.default_detail().chars().any(|c| c > '\u{2e80}'));
    }
}

#[test]
fn client_debug_hides_the_secret() {
    let wechat = WeChat::new(
        "http://127.0.0.1:9",
        APPID.to_owned(),
        SecretString::from(SECRET),
        memory(),
    )
    .unwrap();
    let debug = format!("{wechat:?}");
    assert!(debug.contains(APPID) && !debug.contains(SECRET), "{debug}");
}
