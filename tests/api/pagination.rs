use actix_web::ResponseError;
use association::platform::error::ApiError;
use association::platform::pagination::{PageParams, PageTokens};
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Cursor {
    created_at: String,
    id: i64,
}

const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

async fn status_and_code(err: ApiError) -> (u16, String) {
    let res = err.error_response();
    let status = res.status().as_u16();
    let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    (status, json["code"].as_str().unwrap().to_owned())
}

#[test]
fn page_tokens_round_trip_and_are_opaque() {
    let tokens = PageTokens::new(KEY, "members?role=all");
    let c = Cursor {
        created_at: "2021-11-01T00:00:00Z".into(),
        id: 42,
    };
    let t = tokens.encode(&c).unwrap();
    assert!(!t.contains("42") && !t.contains("created_at"), "{t}");
    assert_eq!(tokens.decode::<Cursor>(&t).unwrap(), c);
}

#[tokio::test]
async fn a_tampered_page_token_is_a_400() {
    let tokens = PageTokens::new(KEY, "members");
    let t = tokens
        .encode(&Cursor {
            created_at: "x".into(),
            id: 1,
        })
        .unwrap();
    let (payload, mac) = t.split_once('.').unwrap();
    let forged = {
        use base64::Engine;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut c: serde_json::Value = serde_json::from_slice(&e.decode(payload).unwrap()).unwrap();
        c["id"] = 999.into();
        format!("{}.{mac}", e.encode(serde_json::to_vec(&c).unwrap()))
    };
    for bad in [forged.as_str(), "garbage", "", "a.b", &format!("{t}x")] {
        let err = tokens.decode::<Cursor>(bad).unwrap_err();
        assert_eq!(
            status_and_code(err).await,
            (400, "INVALID_PAGE_TOKEN".into()),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn a_token_of_another_list_or_filter_is_refused() {
    let a = PageTokens::new(KEY, "members?role=secretariat");
    let b = PageTokens::new(KEY, "members?role=council");
    let t = a
        .encode(&Cursor {
            created_at: "x".into(),
            id: 1,
        })
        .unwrap();
    let err = b.decode::<Cursor>(&t).unwrap_err();
    assert_eq!(status_and_code(err).await.1, "INVALID_PAGE_TOKEN");
}

#[test]
fn a_page_has_a_next_token_only_when_more_rows_exist() {
    let tokens = PageTokens::new(KEY, "numbers");
    let params = PageParams::new(Some(2), None).unwrap();
    assert_eq!(params.size(), 2);
    let page = tokens.page(vec![1, 2, 3], params.size(), |n| *n).unwrap();
    assert_eq!(page.items, vec![1, 2]);
    let next: i32 = tokens
        .decode(page.next_page_token.as_deref().unwrap())
        .unwrap();
    assert_eq!(next, 2);
    let last = tokens.page(vec![3], 2, |n| *n).unwrap();
    assert!(last.next_page_token.is_none());
}

#[test]
fn page_size_defaults_to_20_and_outside_1_to_100_is_refused() {
    let p = |n| PageParams::new(n, None).map(|p| p.size());
    assert_eq!(p(None).unwrap(), 20);
    assert_eq!(p(Some(1)).unwrap(), 1);
    assert_eq!(p(Some(100)).unwrap(), 100);
    for bad in [0, 101, 5000, u32::MAX] {
        let err = p(Some(bad)).unwrap_err();
        assert_eq!(err.code.as_str(), "INVALID_PARAMETER", "{bad}");
        assert!(err.detail.contains("1 到 100"), "{bad}: {}", err.detail);
    }
}

#[tokio::test]
async fn every_list_answers_400_naming_the_bound_for_a_page_size_outside_1_to_100() {
    let app = crate::helpers::spawn_app().await;
    let admin = app.secretariat().await;
    for list in [
        "/api/v1/districts",
        "/api/v1/schools",
        "/api/v1/members",
        "/api/v1/invitations",
        "/api/v1/audit-log",
        "/api/v1/sources",
        "/api/v1/articles",
        "/api/v1/campaigns",
    ] {
        for bad in ["0", "101", "1000000000"] {
            let res = app.get_as(&format!("{list}?page_size={bad}"), &admin).await;
            let body = crate::helpers::assert_problem(res, 400, "INVALID_PARAMETER").await;
            assert_eq!(body["maximum"], 100, "{list}?page_size={bad}: {body}");
            assert!(body["detail"].as_str().unwrap().contains("100"), "{body}");
        }
        let ok = app.get_as(&format!("{list}?page_size=100"), &admin).await;
        assert_eq!(ok.status(), 200, "{list}?page_size=100");
    }
}
