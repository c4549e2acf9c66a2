//! The organisation: districts and schools (member units), their public
//! lists, and the secretariat's CSV import.

use std::collections::HashSet;

use association::access::roles::Role;
use association::entity::school;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, assert_problem, spawn_app};

async fn body(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

async fn create_district(app: &TestApp, admin: &Session, name: &str) -> i64 {
    let res = app
        .post_as("/api/v1/districts", admin, &json!({ "name": name }))
        .await;
    assert_eq!(res.status(), 201, "district {name}");
    body(res).await["id"].as_i64().unwrap()
}

async fn create_school(app: &TestApp, admin: &Session, name: &str, district_id: i64) -> i64 {
    let res = app
        .post_as(
            "/api/v1/schools",
            admin,
            &json!({ "name": name, "district_id": district_id }),
        )
        .await;
    assert_eq!(res.status(), 201, "school {name}");
    body(res).await["id"].as_i64().unwrap()
}

/// Every school of a public listing (no token), following the pages.
async fn all_schools(app: &TestApp, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut url = app.url(&format!("/api/v1/schools?page_size=100{query}"));
        if let Some(t) = &token {
            url.push_str(&format!("&page_token={t}"));
        }
        let res = app.client.get(url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let page = body(res).await;
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_page_token"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => return out,
        }
    }
}

fn names(schools: &[Value]) -> Vec<String> {
    let mut n: Vec<String> = schools
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect();
    n.sort();
    n
}

async fn school_count(app: &TestApp) -> u64 {
    school::Entity::find().count(&app.state.db).await.unwrap()
}

async fn import(app: &TestApp, who: &Session, bytes: Vec<u8>) -> reqwest::Response {
    app.authed(reqwest::Method::POST, "/api/v1/schools/import", who)
        .header("content-type", "text/csv")
        .body(bytes)
        .send()
        .await
        .unwrap()
}

fn statuses(report: &Value) -> Vec<(u64, String)> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Districts and schools
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_secretariat_creates_and_renames_districts_and_schools() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;

    let res = app
        .post_as("/api/v1/districts", &admin, &json!({"name": " 成都片区 "}))
        .await;
    assert_eq!(res.status(), 201);
    let d = body(res).await;
    assert_eq!(d["name"], "成都片区", "the name is trimmed");
    let district_id = d["id"].as_i64().unwrap();

    let res = app
        .patch_as(
            &format!("/api/v1/districts/{district_id}"),
            &admin,
            &json!({"name": "成都东片区"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        body(res).await,
        json!({"id": district_id, "name": "成都东片区"})
    );

    let res = app
        .post_as(
            "/api/v1/schools",
            &admin,
            &json!({"name": "四川大学", "district_id": district_id}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let s = body(res).await;
    assert_eq!(s["name"], "四川大学");
    assert_eq!(s["district_id"], district_id);
    assert_eq!(s["active"], true, "active by default");
    let school_id = s["id"].as_i64().unwrap();

    let res = app
        .patch_as(
            &format!("/api/v1/schools/{school_id}"),
            &admin,
            &json!({"name": "四川大学（望江校区）", "active": false}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let s = body(res).await;
    assert_eq!(s["name"], "四川大学（望江校区）");
    assert_eq!(s["active"], false);
    assert_eq!(
        s["left_on"], "2021-11-01",
        "active: false alone is leaving today"
    );
    assert_eq!(s["district_id"], district_id, "absent fields stay");

    // Both lists are public and show the new names.
    let res = app.get("/api/v1/districts").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        body(res).await["items"],
        json!([{"id": district_id, "name": "成都东片区"}])
    );
    let schools = all_schools(&app, "").await;
    assert_eq!(
        schools,
        vec![
            json!({"id": school_id, "name": "四川大学（望江校区）", "district_id": district_id, "active": false, "left_on": "2021-11-01"})
        ]
    );

    // Every change is audited.
    let actions: Vec<String> = app
        .audit_of("district", &district_id.to_string())
        .await
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(actions, ["district.update", "district.create"]);
    let actions: Vec<String> = app
        .audit_of("school", &school_id.to_string())
        .await
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(actions, ["school.update", "school.create"]);
}

#[tokio::test]
async fn a_duplicate_name_is_a_409_conflict() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let chengdu = create_district(&app, &admin, "成都片区").await;
    let other = create_district(&app, &admin, "川南片区").await;

    // A district named like another (after trimming).
    let b = assert_problem(
        app.post_as("/api/v1/districts", &admin, &json!({"name": "成都片区 "}))
            .await,
        409,
        "CONFLICT",
    )
    .await;
    assert_eq!(b["field"], "/name", "{b}");
    assert_problem(
        app.patch_as(
            &format!("/api/v1/districts/{other}"),
            &admin,
            &json!({"name": "成都片区"}),
        )
        .await,
        409,
        "CONFLICT",
    )
    .await;

    // A school named like another, on create and on rename.
    create_school(&app, &admin, "西南交通大学", chengdu).await;
    let second = create_school(&app, &admin, "西南财经大学", chengdu).await;
    assert_problem(
        app.post_as(
            "/api/v1/schools",
            &admin,
            &json!({"name": "西南交通大学", "district_id": other}),
        )
        .await,
        409,
        "CONFLICT",
    )
    .await;
    assert_problem(
        app.patch_as(
            &format!("/api/v1/schools/{second}"),
            &admin,
            &json!({"name": "西南交通大学"}),
        )
        .await,
        409,
        "CONFLICT",
    )
    .await;

    // Nothing changed.
    assert_eq!(
        names(&all_schools(&app, "").await),
        ["西南交通大学", "西南财经大学"]
    );
    let districts = body(app.get("/api/v1/districts").await).await;
    assert_eq!(districts["items"].as_array().unwrap().len(), 2);
    assert_eq!(districts["items"][1]["name"], "川南片区");
}

#[tokio::test]
async fn a_school_in_a_missing_district_is_a_404_pointing_at_district_id() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (_, school_id) = app.district_and_school(&admin).await;

    let b = assert_problem(
        app.post_as(
            "/api/v1/schools",
            &admin,
            &json!({"name": "成都大学", "district_id": 987_654}),
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(b["errors"][0]["pointer"], "/district_id", "{b}");

    let b = assert_problem(
        app.patch_as(
            &format!("/api/v1/schools/{school_id}"),
            &admin,
            &json!({"district_id": 987_654}),
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(b["errors"][0]["pointer"], "/district_id", "{b}");
    assert_eq!(school_count(&app).await, 1, "nothing created");
}

#[tokio::test]
async fn patching_a_missing_district_or_school_is_a_404() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    assert_problem(
        app.patch_as(
            "/api/v1/districts/987654",
            &admin,
            &json!({"name": "成都片区"}),
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_problem(
        app.patch_as(
            "/api/v1/schools/987654",
            &admin,
            &json!({"name": "成都大学"}),
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn fields_of_the_wrong_type_are_a_422_with_a_pointer() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (district_id, school_id) = app.district_and_school(&admin).await;

    let cases = [
        (
            reqwest::Method::POST,
            "/api/v1/districts".to_owned(),
            json!({"name": 5}),
            "/name",
        ),
        (
            reqwest::Method::POST,
            "/api/v1/schools".to_owned(),
            json!({"name": "成都大学", "district_id": "one"}),
            "/district_id",
        ),
        (
            reqwest::Method::POST,
            "/api/v1/schools".to_owned(),
            json!({"name": "成都大学"}),
            "/district_id",
        ),
        (
            reqwest::Method::POST,
            "/api/v1/schools".to_owned(),
            json!({"name": "", "district_id": district_id}),
            "/name",
        ),
        (
            reqwest::Method::PATCH,
            format!("/api/v1/schools/{school_id}"),
            json!({"active": "yes"}),
            "/active",
        ),
    ];
    for (method, path, input, pointer) in cases {
        let res = app
            .authed(method, &path, &admin)
            .json(&input)
            .send()
            .await
            .unwrap();
        let b = assert_problem(res, 422, "VALIDATION_FAILED").await;
        assert_eq!(b["errors"][0]["pointer"], pointer, "{input}: {b}");
    }
    assert_eq!(school_count(&app).await, 1);
}

#[tokio::test]
async fn creating_a_district_or_school_is_for_the_secretariat_only() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (district_id, school_id) = app.district_and_school(&admin).await;
    let correspondent = app
        .member_with(Role::Correspondent, Some(school_id), None)
        .await;
    assert_problem(
        app.post_as(
            "/api/v1/districts",
            &correspondent,
            &json!({"name": "川北片区"}),
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;
    assert_problem(
        app.post_as(
            "/api/v1/schools",
            &correspondent,
            &json!({"name": "成都大学", "district_id": district_id}),
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;
    let res = app
        .client
        .post(app.url("/api/v1/districts"))
        .json(&json!({"name": "川北片区"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "UNAUTHENTICATED").await;
}

// ---------------------------------------------------------------------------
// Public list, pagination, filters
// ---------------------------------------------------------------------------

#[tokio::test]
async fn schools_are_public_and_paginate_with_next_page_token() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let d = create_district(&app, &admin, "成都片区").await;
    let mut created = Vec::new();
    for n in [
        "四川大学",
        "电子科技大学",
        "西南交通大学",
        "西南财经大学",
        "成都理工大学",
    ] {
        created.push(create_school(&app, &admin, n, d).await);
    }

    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut path = "/api/v1/schools?page_size=2".to_owned();
        if let Some(t) = &token {
            path.push_str(&format!("&page_token={t}"));
        }
        // No Authorization header: the list is public.
        let res = app.get(&path).await;
        assert_eq!(res.status(), 200);
        let page = body(res).await;
        let items = page["items"].as_array().unwrap();
        sizes.push(items.len());
        seen.extend(items.iter().map(|s| s["id"].as_i64().unwrap()));
        match page["next_page_token"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => {
                assert!(page.get("next_page_token").is_none(), "{page}");
                break;
            }
        }
        assert!(sizes.len() < 10, "runaway paging");
    }
    assert_eq!(sizes, [2, 2, 1], "three pages");
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no duplicates: {seen:?}");
    assert_eq!(seen, created, "every school, by id");
}

#[tokio::test]
async fn a_tampered_page_token_is_a_400() {
    use base64::Engine;
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let d = create_district(&app, &admin, "成都片区").await;
    for n in ["四川大学", "电子科技大学", "西南交通大学"] {
        create_school(&app, &admin, n, d).await;
    }
    let page = body(app.get("/api/v1/schools?page_size=1").await).await;
    let token = page["next_page_token"].as_str().unwrap().to_owned();
    // Same signature, another cursor.
    let (payload, mac) = token.split_once('.').unwrap();
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let cursor: Value = serde_json::from_slice(&e.decode(payload).unwrap()).unwrap();
    let forged_cursor = json!(cursor.as_i64().unwrap() + 1);
    let forged = format!(
        "{}.{mac}",
        e.encode(serde_json::to_vec(&forged_cursor).unwrap())
    );
    for bad in [forged, "garbage".to_owned(), format!("{payload}.AAAA")] {
        assert_problem(
            app.get(&format!("/api/v1/schools?page_size=1&page_token={bad}"))
                .await,
            400,
            "INVALID_PAGE_TOKEN",
        )
        .await;
    }
    // The genuine token still works.
    let res = app
        .get(&format!("/api/v1/schools?page_size=1&page_token={token}"))
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_page_token_of_another_filter_is_a_400() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let a = create_district(&app, &admin, "成都片区").await;
    let b = create_district(&app, &admin, "川南片区").await;
    for n in ["四川大学", "电子科技大学", "西南交通大学"] {
        create_school(&app, &admin, n, a).await;
    }
    create_school(&app, &admin, "宜宾学院", b).await;
    let page = body(
        app.get(&format!("/api/v1/schools?page_size=1&district_id={a}"))
            .await,
    )
    .await;
    let token = page["next_page_token"].as_str().unwrap().to_owned();
    for other in [
        format!("district_id={b}"),
        String::new(),
        format!("district_id={a}&q=大学"),
    ] {
        assert_problem(
            app.get(&format!(
                "/api/v1/schools?page_size=1&{other}&page_token={token}"
            ))
            .await,
            400,
            "INVALID_PAGE_TOKEN",
        )
        .await;
    }
}

#[tokio::test]
async fn schools_filter_by_district_and_by_name() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let chengdu = create_district(&app, &admin, "成都片区").await;
    let south = create_district(&app, &admin, "川南片区").await;
    create_school(&app, &admin, "四川师范大学", chengdu).await;
    create_school(&app, &admin, "成都理工大学", chengdu).await;
    create_school(&app, &admin, "内江师范学院", south).await;
    create_school(&app, &admin, "宜宾学院", south).await;

    assert_eq!(
        names(&all_schools(&app, &format!("&district_id={chengdu}")).await),
        ["四川师范大学", "成都理工大学"]
    );
    assert_eq!(
        names(&all_schools(&app, &format!("&district_id={south}")).await),
        ["内江师范学院", "宜宾学院"]
    );
    assert_eq!(
        names(&all_schools(&app, "&q=师范").await),
        ["内江师范学院", "四川师范大学"]
    );
    assert_eq!(
        names(&all_schools(&app, &format!("&q=师范&district_id={south}")).await),
        ["内江师范学院"]
    );
    assert!(all_schools(&app, "&q=不存在").await.is_empty());
    assert!(all_schools(&app, "&district_id=987654").await.is_empty());
    assert_eq!(
        all_schools(&app, "&q=%20%20").await.len(),
        4,
        "blank q is no filter"
    );
}

#[tokio::test]
async fn the_name_filter_takes_percent_and_underscore_literally() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let d = create_district(&app, &admin, "成都片区").await;
    create_school(&app, &admin, "四川大学", d).await;
    create_school(&app, &admin, "成都大学", d).await;
    for q in ["%25", "_", "川_"] {
        assert!(
            all_schools(&app, &format!("&q={q}")).await.is_empty(),
            "q={q} matches no name"
        );
    }
}

// ---------------------------------------------------------------------------
// CSV import
// ---------------------------------------------------------------------------

/// Districts 成都片区 and 川南片区, and two schools already there.
async fn import_fixture(app: &TestApp, admin: &Session) -> (i64, i64) {
    let chengdu = create_district(app, admin, "成都片区").await;
    let south = create_district(app, admin, "川南片区").await;
    create_school(app, admin, "四川大学", chengdu).await;
    create_school(app, admin, "宜宾学院", chengdu).await;
    (chengdu, south)
}

const CHINESE_CSV: &str = "学校名称,片区\r\n四川大学,成都片区\r\n宜宾学院,川南片区\r\n电子科技大学,成都片区\r\n\r\n内江师范学院, 川南片区 \r\n";

#[tokio::test]
async fn import_reads_utf8_with_bom_and_chinese_headers() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (chengdu, south) = import_fixture(&app, &admin).await;

    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(CHINESE_CSV.as_bytes());
    let res = import(&app, &admin, bytes).await;
    assert_eq!(res.status(), 200);
    let report = body(res).await;
    assert_eq!(report["created"], 2, "{report}");
    assert_eq!(report["updated"], 1, "{report}");
    assert_eq!(report["unchanged"], 1, "{report}");
    let by_name: Vec<(&str, &str, &str)> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap(),
                r["district"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by_name,
        [
            ("四川大学", "成都片区", "unchanged"),
            ("宜宾学院", "川南片区", "updated"),
            ("电子科技大学", "成都片区", "created"),
            ("内江师范学院", "川南片区", "created"),
        ],
        "one row per data line, in file order, trimmed, blank line skipped"
    );

    let schools = all_schools(&app, "").await;
    let district_of = |name: &str| {
        schools
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {schools:?}"))["district_id"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(schools.len(), 4);
    assert_eq!(district_of("四川大学"), chengdu);
    assert_eq!(district_of("宜宾学院"), south, "moved to its district");
    assert_eq!(district_of("电子科技大学"), chengdu);
    assert_eq!(district_of("内江师范学院"), south);
}

#[tokio::test]
async fn the_import_report_names_the_line_of_the_file() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    import_fixture(&app, &admin).await;
    // As Excel saves it: CRLF line ends. The bad row is line 3 of the file.
    let crlf = "学校名称,片区\r\n电子科技大学,成都片区\r\n西昌学院,攀西片区\r\n";
    // A blank line before the bad row: it is line 4 of the file.
    let blank = "学校名称,片区\n电子科技大学,成都片区\n\n西昌学院,攀西片区\n";
    let mut wrong = Vec::new();
    for (csv, bad_line) in [(crlf, 3), (blank, 4)] {
        let b = assert_problem(
            import(&app, &admin, csv.as_bytes().to_vec()).await,
            422,
            "IMPORT_REJECTED",
        )
        .await;
        let bad: Vec<u64> = statuses(&b)
            .into_iter()
            .filter(|(_, s)| s == "error")
            .map(|(line, _)| line)
            .collect();
        if bad != [bad_line] {
            wrong.push(format!("{csv:?}: error on line {bad:?}, not {bad_line}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[tokio::test]
async fn import_reads_gb18030_as_excel_saves_it_in_china() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    import_fixture(&app, &admin).await;

    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(CHINESE_CSV);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
    let res = import(&app, &admin, bytes.into_owned()).await;
    assert_eq!(res.status(), 200);
    let report = body(res).await;
    assert_eq!(
        (&report["created"], &report["updated"], &report["unchanged"]),
        (&json!(2), &json!(1), &json!(1)),
        "{report}"
    );
    assert_eq!(
        names(&all_schools(&app, "").await),
        ["内江师范学院", "四川大学", "宜宾学院", "电子科技大学"]
    );
}

#[tokio::test]
async fn import_accepts_english_headers() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (chengdu, _) = import_fixture(&app, &admin).await;

    let csv = "Name,District\n电子科技大学,成都片区\n成都理工大学,成都片区\n";
    let res = import(&app, &admin, csv.as_bytes().to_vec()).await;
    assert_eq!(res.status(), 200);
    let report = body(res).await;
    assert_eq!(report["created"], 2, "{report}");
    assert_eq!(
        statuses(&report),
        [(2, "created".to_owned()), (3, "created".to_owned())]
    );
    assert_eq!(
        names(&all_schools(&app, &format!("&district_id={chengdu}")).await),
        ["四川大学", "宜宾学院", "成都理工大学", "电子科技大学"]
    );
}

/// The file is refused as a whole: 422 with the per-row report, nothing imported.
async fn assert_import_rejected(csv: &str, bad_line: u64) {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    import_fixture(&app, &admin).await;
    let before = names(&all_schools(&app, "").await);

    let res = import(&app, &admin, csv.as_bytes().to_vec()).await;
    let b = assert_problem(res, 422, "IMPORT_REJECTED").await;
    let rows = statuses(&b);
    assert!(!rows.is_empty(), "{b}");
    for (line, status) in &rows {
        if *line == bad_line {
            assert_eq!(status, "error", "{b}");
        } else {
            assert_ne!(status, "error", "only line {bad_line} is wrong: {b}");
        }
    }
    let bad = b["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["line"] == bad_line)
        .unwrap_or_else(|| panic!("line {bad_line} in report: {b}"));
    assert!(
        bad["errors"].as_array().is_some_and(|e| !e.is_empty()),
        "the row says why: {b}"
    );

    assert_eq!(
        names(&all_schools(&app, "").await),
        before,
        "nothing imported"
    );
    assert!(
        app.audit_of("school", "import").await.is_empty(),
        "no import recorded"
    );
}

#[tokio::test]
async fn an_import_row_with_an_unknown_district_rejects_the_whole_file() {
    assert_import_rejected(
        "学校名称,片区\n电子科技大学,成都片区\n宜宾学院,川南片区\n西昌学院,攀西片区\n",
        4,
    )
    .await;
}

#[tokio::test]
async fn an_import_row_with_an_empty_name_rejects_the_whole_file() {
    assert_import_rejected(
        "学校名称,片区\n电子科技大学,成都片区\n ,川南片区\n成都理工大学,成都片区\n",
        3,
    )
    .await;
}

#[tokio::test]
async fn a_name_twice_in_an_import_rejects_the_whole_file() {
    assert_import_rejected(
        "学校名称,片区\n电子科技大学,成都片区\n成都理工大学,成都片区\n电子科技大学,川南片区\n",
        4,
    )
    .await;
}

#[tokio::test]
async fn an_import_without_the_expected_headers_is_rejected() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    import_fixture(&app, &admin).await;
    for csv in ["学校,地区\n电子科技大学,成都片区\n", "", "学校名称,片区\n"] {
        assert_problem(
            import(&app, &admin, csv.as_bytes().to_vec()).await,
            422,
            "IMPORT_REJECTED",
        )
        .await;
    }
    assert_eq!(school_count(&app).await, 2);
}

#[tokio::test]
async fn importing_the_same_file_again_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    import_fixture(&app, &admin).await;

    let first = import(&app, &admin, CHINESE_CSV.as_bytes().to_vec()).await;
    assert_eq!(first.status(), 200);
    let after_first = all_schools(&app, "").await;

    let res = import(&app, &admin, CHINESE_CSV.as_bytes().to_vec()).await;
    assert_eq!(res.status(), 200);
    let report = body(res).await;
    assert_eq!(report["created"], 0, "{report}");
    assert_eq!(report["updated"], 0, "{report}");
    assert_eq!(report["unchanged"], 4, "{report}");
    assert!(
        statuses(&report).iter().all(|(_, s)| s == "unchanged"),
        "{report}"
    );
    assert_eq!(all_schools(&app, "").await, after_first);
}

#[tokio::test]
async fn an_import_is_audited() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    import_fixture(&app, &admin).await;

    let res = import(&app, &admin, CHINESE_CSV.as_bytes().to_vec()).await;
    assert_eq!(res.status(), 200);
    let entries = app.audit_of("school", "import").await;
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(e.action, "school.import");
    assert_eq!(e.actor_id, Some(admin.member_id));
    assert_eq!(e.actor_role.as_deref(), Some("secretariat"));
    assert_eq!(e.created_at, crate::helpers::default_now());
    let after: Value = serde_json::from_str(e.after.as_deref().unwrap()).unwrap();
    assert_eq!(after, json!({"created": 2, "updated": 1, "unchanged": 1}));
}

#[tokio::test]
async fn only_the_secretariat_may_import() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    import_fixture(&app, &admin).await;
    let (district_id, _) = app.district_and_school(&admin).await;
    let lead = app
        .member_with(Role::DistrictLead, None, Some(district_id))
        .await;
    let plain = app.login("plain-member").await;
    let before = school_count(&app).await;

    for who in [&lead, &plain] {
        assert_problem(
            import(&app, who, CHINESE_CSV.as_bytes().to_vec()).await,
            403,
            "FORBIDDEN",
        )
        .await;
    }
    let res = app
        .client
        .post(app.url("/api/v1/schools/import"))
        .header("content-type", "text/csv")
        .body(CHINESE_CSV)
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "UNAUTHENTICATED").await;
    assert_eq!(school_count(&app).await, before, "nothing imported");
}
