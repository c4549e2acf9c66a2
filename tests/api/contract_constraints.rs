//! The spec's constraints are exactly the server's (issue 11, item 4): the
//! text patterns agree with `platform::text` on every character, the page
//! token pattern matches what the encoder writes, the generated spec carries
//! the bounds, and the server answers both sides of each bound as the spec
//! says.

use association::platform::pagination::{PAGE_TOKEN_PATTERN, PageTokens};
use association::platform::text::{
    self, NOT_BLANK_PATTERN, OPTIONAL_LINE_PATTERN, PARAGRAPH_PATTERN, SINGLE_LINE_PATTERN,
};
use regex::Regex;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

fn spec() -> Value {
    serde_json::from_str(&association::api::openapi::document_json().unwrap()).unwrap()
}

fn all_chars() -> impl Iterator<Item = char> {
    (0..=0x10FFFFu32).filter_map(char::from_u32)
}

// ------------------------------------------------------------ the patterns

#[test]
fn the_text_patterns_accept_exactly_what_the_text_rules_accept() {
    let single = Regex::new(SINGLE_LINE_PATTERN).unwrap();
    let optional = Regex::new(OPTIONAL_LINE_PATTERN).unwrap();
    let paragraph = Regex::new(PARAGRAPH_PATTERN).unwrap();
    let not_blank = Regex::new(NOT_BLANK_PATTERN).unwrap();
    let mut buf = [0u8; 4];
    for c in all_chars() {
        let one = c.encode_utf8(&mut buf).to_owned();
        let before = format!("a{c}");
        let after = format!("{c}a");
        let around = format!(" {c} ");
        for s in [&one, &before, &after, &around] {
            assert_eq!(
                single.is_match(s),
                text::single_line(s).is_ok(),
                "single_line, U+{:04X} in {s:?}",
                c as u32
            );
            assert_eq!(
                optional.is_match(s),
                text::optional_line(s).is_ok(),
                "optional_line, U+{:04X} in {s:?}",
                c as u32
            );
            assert_eq!(
                paragraph.is_match(s),
                text::paragraph(s).is_ok(),
                "paragraph, U+{:04X} in {s:?}",
                c as u32
            );
            assert_eq!(
                not_blank.is_match(s),
                !s.trim().is_empty(),
                "not blank, U+{:04X} in {s:?}",
                c as u32
            );
        }
    }
    // Blank strings of every length, and the empty string.
    for s in ["", " ", "\u{3000}\u{A0} ", "\u{2028}\u{2029}"] {
        assert!(!single.is_match(s), "{s:?}");
        assert!(text::single_line(s).is_err(), "{s:?}");
        assert!(!not_blank.is_match(s), "{s:?}");
    }
    assert!(optional.is_match("") && paragraph.is_match(""));
    assert!(paragraph.is_match("第一行\n第二行") && !optional.is_match("第一行\n第二行"));
    assert!(single.is_match("  四川大学  ") && single.is_match("成都片区"));
}

/// The same pattern strings must mean the same in ECMA-262 and Python:
/// only `\uXXXX` escapes, no property classes, no `\s`, no lookarounds.
#[test]
fn the_text_patterns_are_spelled_portably() {
    let escapes = Regex::new(r"\\u[0-9A-F]{4}").unwrap();
    for p in [
        SINGLE_LINE_PATTERN,
        OPTIONAL_LINE_PATTERN,
        PARAGRAPH_PATTERN,
        NOT_BLANK_PATTERN,
        PAGE_TOKEN_PATTERN,
    ] {
        for banned in [
            "\\p{", "\\P{", "\\s", "\\S", "(?=", "(?!", "(?<", "\\u{", "\\U", "\\x",
        ] {
            assert!(!p.contains(banned), "{p} contains {banned}");
        }
        let rest = escapes.replace_all(p, "");
        assert!(
            !rest.contains("\\u"),
            "{p}: every \\u has 4 upper-case hex digits"
        );
        assert!(p.is_ascii(), "{p}");
    }
}

#[test]
fn page_tokens_the_encoder_writes_match_the_page_token_pattern() {
    let shape = Regex::new(PAGE_TOKEN_PATTERN).unwrap();
    let tokens = PageTokens::new(b"some key of the test", "districts");
    let cursors = [
        json!(1),
        json!(9_223_372_036_854_775_807i64),
        json!(["2021-11-03T00:00:00Z", 42]),
        json!({"rank": 3, "key": "12/张晓燕"}),
        json!("四川大学"),
    ];
    for c in cursors {
        let t = tokens.encode(&c).unwrap();
        assert!(shape.is_match(&t), "{t}");
    }
    assert!(shape.is_match(""), "empty: the first page");
    for bad in [
        "x",
        "abc.def",
        "MjU.b8RnSeTG4bJAZFcAy8WXWw=",
        "MjU b8RnSeTG4bJAZFcAy8WXWw",
    ] {
        assert!(!shape.is_match(bad), "{bad}");
    }
}

// ------------------------------------------------------------ the spec

fn component<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let s = &doc["components"]["schemas"][name];
    assert!(s.is_object(), "component {name}");
    s
}

fn prop<'a>(doc: &'a Value, schema: &str, field: &str) -> &'a Value {
    let p = &component(doc, schema)["properties"][field];
    assert!(p.is_object(), "{schema}.{field}");
    p
}

fn params(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                out.push((
                    format!("{} {path}", method.to_uppercase()),
                    p["name"].as_str().unwrap().to_owned(),
                    p["schema"].clone(),
                ));
            }
        }
    }
    out
}

#[test]
fn the_spec_declares_the_servers_constraints() {
    let doc = spec();
    let name = prop(&doc, "DistrictInput", "name");
    assert_eq!(name["minLength"], 1);
    assert_eq!(name["maxLength"], 32);
    assert_eq!(name["pattern"], SINGLE_LINE_PATTERN);
    assert_eq!(prop(&doc, "SchoolInput", "name")["maxLength"], 64);
    assert_eq!(
        prop(&doc, "UpdateMe", "display_name")["pattern"],
        SINGLE_LINE_PATTERN
    );
    assert_eq!(
        prop(&doc, "UpdateMe", "real_name")["pattern"],
        OPTIONAL_LINE_PATTERN
    );
    assert_eq!(
        prop(&doc, "ObjectionInput", "text")["pattern"],
        PARAGRAPH_PATTERN
    );
    assert_eq!(prop(&doc, "ObjectionInput", "text")["minLength"], 5);
    assert_eq!(
        prop(&doc, "LateGrantInput", "reason")["pattern"],
        NOT_BLANK_PATTERN
    );
    assert_eq!(
        prop(&doc, "ArticleInput", "declared_original")["enum"],
        json!([true])
    );
    let quota = prop(&doc, "CampaignInput", "district_quota");
    assert_eq!(
        (quota["minimum"].clone(), quota["maximum"].clone()),
        (json!(1), json!(20))
    );
    let uses = prop(&doc, "InvitationInput", "max_uses");
    assert_eq!(
        (uses["minimum"].clone(), uses["maximum"].clone()),
        (json!(1), json!(500))
    );
    let years = prop(&doc, "SourceInput", "years");
    assert_eq!(years["maxItems"], 100);
    assert_eq!(years["items"]["minimum"], 2000);
    assert_eq!(years["items"]["maximum"], 2100);
    let ids = prop(&doc, "ForwardInput", "nomination_ids");
    assert_eq!(
        (ids["minItems"].clone(), ids["maxItems"].clone()),
        (json!(1), json!(20))
    );
    assert_eq!(
        prop(&doc, "SourceInput", "columns")["items"]["pattern"],
        SINGLE_LINE_PATTERN
    );

    let params = params(&doc);
    let mut years = 0;
    let mut lists = 0;
    for (op, name, schema) in &params {
        match name.as_str() {
            "year"
                if op.contains("{year}")
                    || op.ends_with("/articles")
                    || op.ends_with("/sources") =>
            {
                assert_eq!(schema["minimum"], 2000, "{op} year");
                assert_eq!(schema["maximum"], 2100, "{op} year");
                years += 1;
            }
            "page_size" => {
                assert_eq!(schema["minimum"], 1, "{op}");
                assert_eq!(schema["maximum"], 100, "{op}");
            }
            "page_token" => {
                assert_eq!(schema["pattern"], PAGE_TOKEN_PATTERN, "{op}");
                lists += 1;
            }
            _ => {}
        }
    }
    assert!(years >= 18, "path and query years: {years}");
    assert_eq!(lists, 13, "every list has a page_token");
}

/// Every `pattern` of the spec is one of the patterns the server states
/// (the text rules are spelled once, in `platform::text`), and compiles.
#[test]
fn every_pattern_in_the_spec_is_known_and_compiles() {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(p)) = m.get("pattern") {
                    out.push(p.clone());
                }
                m.values().for_each(|v| walk(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(&spec(), &mut found);
    let text = [
        SINGLE_LINE_PATTERN,
        OPTIONAL_LINE_PATTERN,
        PARAGRAPH_PATTERN,
        NOT_BLANK_PATTERN,
        PAGE_TOKEN_PATTERN,
    ];
    let single = found.iter().filter(|p| *p == SINGLE_LINE_PATTERN).count();
    assert!(single >= 15, "single-line fields: {single}");
    for p in &found {
        Regex::new(p).unwrap_or_else(|e| panic!("{p}: {e}"));
        // A text rule spelled by hand next to the constants would drift.
        if p.contains("\\u200B") {
            assert!(text.contains(&p.as_str()), "hand-spelled text pattern {p}");
        }
    }
}

#[test]
fn every_json_request_body_has_an_example() {
    let doc = spec();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let body = &op["requestBody"]["content"]["application/json"]["schema"]["$ref"];
            if let Some(r) = body.as_str() {
                let name = r.rsplit('/').next().unwrap();
                assert!(
                    component(&doc, name)["example"].is_object(),
                    "{method} {path}: {name} has no example"
                );
            }
        }
    }
}

// ------------------------------------------------------------ the server

async fn validation_pointer(res: reqwest::Response) -> String {
    let b = assert_problem(res, 422, "VALIDATION_FAILED").await;
    b["errors"][0]["pointer"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn example(doc: &Value, name: &str) -> Value {
    component(doc, name)["example"].clone()
}

#[tokio::test]
async fn the_examples_are_accepted_on_a_fresh_database() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let doc = spec();
    let res = app
        .post_as("/api/v1/districts", &admin, &example(&doc, "DistrictInput"))
        .await;
    assert_eq!(res.status(), 201);
    let district: Value = res.json().await.unwrap();
    let mut school = example(&doc, "SchoolInput");
    school["district_id"] = district["id"].clone();
    let res = app.post_as("/api/v1/schools", &admin, &school).await;
    assert_eq!(res.status(), 201);
    let school: Value = res.json().await.unwrap();
    let res = app
        .post_as("/api/v1/sources", &admin, &example(&doc, "SourceInput"))
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let mut invitation = example(&doc, "InvitationInput");
    invitation["school_id"] = school["id"].clone();
    let res = app
        .post_as("/api/v1/invitations", &admin, &invitation)
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let res = app
        .post_as("/api/v1/campaigns", &admin, &example(&doc, "CampaignInput"))
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let res = app
        .patch_as("/api/v1/me", &admin, &example(&doc, "UpdateMe"))
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn a_district_name_is_1_to_32_characters_on_one_line() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let ok = "川".repeat(32);
    let res = app
        .post_as("/api/v1/districts", &admin, &json!({"name": ok}))
        .await;
    assert_eq!(res.status(), 201);
    for bad in [
        "川".repeat(33),
        String::new(),
        " \u{3000}".into(),
        "成都\u{200B}片区".into(),
        "成都\n片区".into(),
    ] {
        let res = app
            .post_as("/api/v1/districts", &admin, &json!({"name": bad}))
            .await;
        assert_eq!(validation_pointer(res).await, "/name", "{bad:?}");
    }
}

#[tokio::test]
async fn profile_fields_follow_their_patterns() {
    let app = spawn_app().await;
    let me = app.login("张晓燕").await;
    let res = app
        .patch_as(
            "/api/v1/me",
            &me,
            &json!({"display_name": "晓".repeat(32), "department": ""}),
        )
        .await;
    assert_eq!(res.status(), 200);
    for (body, pointer) in [
        (json!({"display_name": "晓".repeat(33)}), "/display_name"),
        (json!({"display_name": "  "}), "/display_name"),
        (json!({"real_name": "张\u{0007}"}), "/real_name"),
        (json!({"position": "干事\u{202E}"}), "/position"),
    ] {
        let res = app.patch_as("/api/v1/me", &me, &body).await;
        assert_eq!(validation_pointer(res).await, pointer, "{body}");
    }
}

async fn status_of(app: &TestApp, path: &str, who: &crate::helpers::Session) -> u16 {
    app.get_as(path, who).await.status().as_u16()
}

#[tokio::test]
async fn years_in_queries_and_paths_are_2000_to_2100() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    for list in ["/api/v1/articles", "/api/v1/sources"] {
        for ok in [2000, 2100] {
            assert_eq!(
                status_of(&app, &format!("{list}?year={ok}"), &admin).await,
                200
            );
        }
        for bad in [1999, 2101] {
            let res = app.get_as(&format!("{list}?year={bad}"), &admin).await;
            let b = assert_problem(res, 400, "INVALID_PARAMETER").await;
            assert_eq!(b["parameter"], "year", "{b}");
        }
    }
    for bad in [1999, 2101] {
        let res = app
            .get(&format!("/api/v1/credit-years/{bad}/honours"))
            .await;
        assert_problem(res, 400, "INVALID_PARAMETER").await;
    }
    let res = app
        .get_as("/api/v1/credit-years/2000/standings", &admin)
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn page_size_is_1_to_100_on_every_list() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    for list in [
        "/api/v1/districts",
        "/api/v1/schools",
        "/api/v1/members",
        "/api/v1/audit-log",
    ] {
        for ok in [1, 100] {
            assert_eq!(
                status_of(&app, &format!("{list}?page_size={ok}"), &admin).await,
                200
            );
        }
        for bad in [0, 101] {
            let res = app.get_as(&format!("{list}?page_size={bad}"), &admin).await;
            assert_problem(res, 400, "INVALID_PARAMETER").await;
        }
        assert_eq!(
            status_of(&app, &format!("{list}?page_token="), &admin).await,
            200
        );
    }
}

#[tokio::test]
async fn numbers_and_lists_of_bodies_have_their_bounds() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (_, school) = app.district_and_school(&admin).await;
    let invitation = |uses: i64| {
        json!({"role": "correspondent", "school_id": school, "max_uses": uses,
               "expires_at": "2027-06-30T00:00:00+08:00"})
    };
    for ok in [1, 500] {
        let res = app
            .post_as("/api/v1/invitations", &admin, &invitation(ok))
            .await;
        assert_eq!(res.status(), 201, "max_uses {ok}");
    }
    for bad in [0, 501] {
        let res = app
            .post_as("/api/v1/invitations", &admin, &invitation(bad))
            .await;
        assert_eq!(validation_pointer(res).await, "/max_uses", "max_uses {bad}");
    }
    let source = |name: &str, years: Value| json!({"name": name, "kind": "bonus", "years": years});
    let res = app
        .post_as(
            "/api/v1/sources",
            &admin,
            &source("四川日报", json!([2000, 2100, 2100])),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    for (i, bad) in [
        json!([1999]),
        json!([2101]),
        json!((0..101).map(|i| 2000 + i).collect::<Vec<_>>()),
    ]
    .into_iter()
    .enumerate()
    {
        let res = app
            .post_as(
                "/api/v1/sources",
                &admin,
                &source(&format!("来源{i}"), bad.clone()),
            )
            .await;
        assert_eq!(validation_pointer(res).await, "/years", "{bad}");
    }
    let column = |c: String| json!({"name": "四川教育网", "kind": "bonus", "columns": [c]});
    let res = app
        .post_as("/api/v1/sources", &admin, &column(" 动".repeat(32)))
        .await;
    assert_eq!(res.status(), 201, "64 characters as sent");
    let res = app
        .post_as(
            "/api/v1/sources",
            &admin,
            &column(format!("{} ", "动".repeat(64))),
        )
        .await;
    assert_eq!(
        validation_pointer(res).await,
        "/columns",
        "65 characters as sent"
    );
    let campaign = |quota: i64| {
        let mut c = crate::helpers::seed_campaign_body();
        c["district_quota"] = json!(quota);
        c
    };
    for bad in [0, 21] {
        let res = app
            .post_as("/api/v1/campaigns", &admin, &campaign(bad))
            .await;
        assert_eq!(
            validation_pointer(res).await,
            "/district_quota",
            "quota {bad}"
        );
    }
    let res = app
        .post_as("/api/v1/campaigns", &admin, &campaign(20))
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
}
