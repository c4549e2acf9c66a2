//! The client on the other end: its address (behind trusted proxies only),
//! a body that trickles in, and text that hides what it shows.

use std::io::{Read, Write};
use std::net::{IpAddr, TcpStream};
use std::time::{Duration, Instant};

use association::platform::client::TrustedProxies;

use crate::helpers::{assert_problem, spawn_app, spawn_app_with};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() {
    let none = TrustedProxies::default();
    let proxy = TrustedProxies::parse("10.0.0.0/8, 192.168.1.7").unwrap();
    // (trusted, peer, X-Forwarded-For values, expected client)
    let table: &[(&TrustedProxies, &str, &[&str], &str)] = &[
        // Nobody trusted: whatever the client writes is ignored.
        (&none, "203.0.113.9", &["1.2.3.4"], "203.0.113.9"),
        (&none, "10.0.0.1", &["1.2.3.4"], "10.0.0.1"),
        // An untrusted peer cannot pretend to be behind the proxy.
        (&proxy, "203.0.113.9", &["1.2.3.4"], "203.0.113.9"),
        // Through the proxy: the right-most address it did not add itself.
        (&proxy, "10.0.0.1", &["198.51.100.4"], "198.51.100.4"),
        // A client-written prefix is skipped: the proxy appended the real one.
        (
            &proxy,
            "10.0.0.1",
            &["6.6.6.6, 198.51.100.4"],
            "198.51.100.4",
        ),
        (
            &proxy,
            "10.0.0.1",
            &["6.6.6.6", "198.51.100.4"],
            "198.51.100.4",
        ),
        // Chains of trusted proxies are walked through.
        (
            &proxy,
            "10.0.0.1",
            &["198.51.100.4, 192.168.1.7, 10.9.9.9"],
            "198.51.100.4",
        ),
        // With a port, or IPv6 in brackets.
        (&proxy, "10.0.0.1", &["198.51.100.4:5555"], "198.51.100.4"),
        (&proxy, "10.0.0.1", &["[2001:db8::1]:443"], "2001:db8::1"),
        // Garbage stops the walk at the last trusted hop.
        (&proxy, "10.0.0.1", &["nonsense"], "10.0.0.1"),
        // No header: the proxy itself.
        (&proxy, "10.0.0.1", &[], "10.0.0.1"),
        // An IPv4-mapped peer is its IPv4 address.
        (&proxy, "::ffff:10.0.0.1", &["198.51.100.4"], "198.51.100.4"),
    ];
    for (trusted, peer, xff, want) in table {
        assert_eq!(
            trusted.client(ip(peer), xff),
            ip(want),
            "peer {peer}, X-Forwarded-For {xff:?}"
        );
    }
    assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
    assert!(TrustedProxies::parse("proxy.example").is_err());
}

/// 25 bad logins, each claiming another address.
async fn spoofed_logins(app: &crate::helpers::TestApp) -> usize {
    let mut throttled = 0;
    for i in 0..25 {
        let res = app
            .client
            .post(app.url("/api/v1/auth/wechat/login"))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .header("forwarded", format!("for=198.51.100.{i}"))
            .header("x-real-ip", format!("198.51.100.{i}"))
            .json(&serde_json::json!({ "code": "not-a-code" }))
            .send()
            .await
            .unwrap();
        if res.status() == 429 {
            throttled += 1;
        }
    }
    throttled
}

#[tokio::test]
async fn spoofed_forwarding_headers_from_an_untrusted_peer_do_not_change_the_login_limit() {
    let app = spawn_app().await;
    // The limit is 20 a minute per client: 5 of 25 are refused.
    assert_eq!(spoofed_logins(&app).await, 5);
}

#[tokio::test]
async fn through_a_trusted_proxy_the_forwarded_address_is_the_limits_key() {
    let app = spawn_app_with(|env| {
        env.insert("TRUSTED_PROXIES".into(), "127.0.0.1/32, ::1".into());
    })
    .await;
    // Each request comes from another client behind the proxy.
    assert_eq!(spoofed_logins(&app).await, 0);
}

/// Sends a POST whose body trickles in, one byte every `every`; answers the
/// response text and when it came.
fn trickle(address: &str, every: Duration, bytes: usize) -> (String, Duration) {
    let host = address.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let start = Instant::now();
    write!(
        s,
        "POST /api/v1/auth/wechat/login HTTP/1.1\r\nHost: {host}\r\n\
         Content-Type: application/json\r\nContent-Length: {bytes}\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    for _ in 0..bytes {
        if s.write_all(b" ").is_err() {
            break;
        }
        let mut buf = [0u8; 4096];
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                break;
            }
            Err(_) => {}
        }
        std::thread::sleep(every);
    }
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    answer.extend_from_slice(&rest);
    (
        String::from_utf8_lossy(&answer).into_owned(),
        start.elapsed(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_trickles_in_is_cut_off_and_others_are_still_answered() {
    let app = spawn_app_with(|env| {
        env.insert("BODY_TIMEOUT_MS".into(), "1000".into());
    })
    .await;
    let address = app.address.clone();
    // Ten slow clients at once, one byte every 200 ms of a 100-byte body (20 s).
    let slow: Vec<_> = (0..10)
        .map(|_| {
            let address = address.clone();
            std::thread::spawn(move || trickle(&address, Duration::from_millis(200), 100))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Meanwhile everyone else is answered.
    assert_eq!(app.get("/healthz").await.status(), 200);
    for handle in slow {
        let (answer, took) = handle.join().unwrap();
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("REQUEST_TIMEOUT"), "{answer}");
        assert!(
            answer.to_ascii_lowercase().contains("connection: close"),
            "{answer}"
        );
        assert!(took < Duration::from_secs(8), "cut off after {took:?}");
    }
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn bidi_controls_and_zero_width_characters_are_refused_in_names() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    for name in [
        "成都\u{202E}片区",
        "成都\u{200B}片区",
        "\u{2066}成都片区\u{2069}",
        "成都片区\u{FEFF}",
    ] {
        let res = app
            .post_as(
                "/api/v1/districts",
                &admin,
                &serde_json::json!({ "name": name }),
            )
            .await;
        let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
        assert_eq!(body["errors"][0]["pointer"], "/name", "{name:?}: {body}");
    }
    let districts = app.get("/api/v1/districts").await;
    let list: serde_json::Value = districts.json().await.unwrap();
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| !d["name"].as_str().unwrap_or_default().contains("成都")),
        "nothing stored: {list}"
    );
}

#[tokio::test]
async fn malformed_headers_the_app_reads_are_answered_in_problem_json() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let raw = |v: &[u8]| reqwest::header::HeaderValue::from_bytes(v).unwrap();
    let cases = [
        (
            app.client
                .get(app.url("/api/v1/me"))
                .header("authorization", raw(b"Bearer \xff\xfe")),
            401,
            "UNAUTHENTICATED",
        ),
        (
            app.client
                .post(app.url("/api/v1/auth/wechat/login"))
                .header("content-type", ";;;")
                .body("{}"),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            app.client
                .post(app.url("/api/v1/articles"))
                .bearer_auth(&admin.access_token)
                .header("idempotency-key", raw(b"\xff\xfe"))
                .json(&serde_json::json!({})),
            400,
            "IDEMPOTENCY_KEY_INVALID",
        ),
    ];
    for (request, status, code) in cases {
        let res = request.send().await.unwrap();
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{code}"
        );
        assert_problem(res, status, code).await;
    }
}
