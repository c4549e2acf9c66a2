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
    let params = PageParams {
        page_size: Some(2),
        page_token: None,
    };
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
fn page_size_defaults_to_20_and_is_capped_at_100() {
    let p = |n| {
        PageParams {
            page_size: n,
            page_token: None,
        }
        .size()
    };
    assert_eq!(p(None), 20);
    assert_eq!(p(Some(0)), 20);
    assert_eq!(p(Some(7)), 7);
    assert_eq!(p(Some(5000)), 100);
}
