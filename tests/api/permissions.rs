//! The permission table of SPEC §D, walked for every endpoint and every role:
//! allowed roles are never refused (401/403); the others get 401 (anonymous)
//! or 403 (logged in) with a code. The table must list every operation of the
//! OpenAPI document, so a new endpoint cannot skip it.

use std::collections::BTreeSet;

use association::access::roles::Role;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{Session, assert_problem, spawn_app, unique};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Anonymous,
    Member,
    Correspondent,
    DistrictLead,
    Secretariat,
    Council,
}

const EVERYONE: &[Who] = &[
    Who::Anonymous,
    Who::Member,
    Who::Correspondent,
    Who::DistrictLead,
    Who::Secretariat,
    Who::Council,
];
const LOGGED_IN: &[Who] = &[
    Who::Member,
    Who::Correspondent,
    Who::DistrictLead,
    Who::Secretariat,
    Who::Council,
];
const SECRETARIAT: &[Who] = &[Who::Secretariat];
const SECRETARIAT_OR_COUNCIL: &[Who] = &[Who::Secretariat, Who::Council];
const COUNCIL: &[Who] = &[Who::Council];
const STANDINGS_READERS: &[Who] = &[Who::Correspondent, Who::Secretariat, Who::Council];
/// SPEC §D: "file an objection during public notice" — members, correspondents, district leads.
const OBJECTORS: &[Who] = &[Who::Member, Who::Correspondent, Who::DistrictLead];
/// SPEC §D "file/edit/submit own district's nomination": district leads only.
const DISTRICT_LEAD: &[Who] = &[Who::DistrictLead];
/// Reading a nomination: the lead of its district and the secretariat.
const LEAD_OR_SECRETARIAT: &[Who] = &[Who::DistrictLead, Who::Secretariat];
/// Submit and withdraw articles (SPEC §D "submit/withdraw own articles").
const SUBMITTERS: &[Who] = &[Who::Correspondent, Who::Secretariat];
/// Read a school's articles (SPEC §D "read own school's articles and standing").
const ARTICLE_READERS: &[Who] = &[Who::Correspondent, Who::Secretariat, Who::Council];

struct Row {
    method: Method,
    /// The OpenAPI path template.
    template: &'static str,
    allowed: &'static [Who],
}

fn table() -> Vec<Row> {
    use Method as M;
    let r = |method: Method, template: &'static str, allowed: &'static [Who]| Row {
        method,
        template,
        allowed,
    };
    vec![
        r(M::GET, "/healthz", EVERYONE),
        r(M::GET, "/readyz", EVERYONE),
        r(M::GET, "/metrics", EVERYONE),
        r(M::GET, "/openapi.json", EVERYONE),
        r(M::GET, "/api/v1/server-info", EVERYONE),
        r(M::POST, "/api/v1/auth/wechat/login", EVERYONE),
        r(M::POST, "/api/v1/auth/refresh", EVERYONE),
        r(M::POST, "/api/v1/auth/logout", EVERYONE),
        r(M::GET, "/api/v1/me", LOGGED_IN),
        r(M::PATCH, "/api/v1/me", LOGGED_IN),
        r(M::POST, "/api/v1/me/phone", LOGGED_IN),
        r(M::GET, "/api/v1/me/notifications", LOGGED_IN),
        r(M::GET, "/api/v1/me/notifications/unread-count", LOGGED_IN),
        r(M::POST, "/api/v1/me/notifications/{id}/read", LOGGED_IN),
        r(M::POST, "/api/v1/me/notifications/read-all", LOGGED_IN),
        r(M::GET, "/api/v1/me/subscriptions", LOGGED_IN),
        r(M::POST, "/api/v1/me/subscriptions", LOGGED_IN),
        r(M::POST, "/api/v1/me/invitations/redeem", LOGGED_IN),
        r(M::GET, "/api/v1/districts", EVERYONE),
        r(M::POST, "/api/v1/districts", SECRETARIAT),
        r(M::PATCH, "/api/v1/districts/{id}", SECRETARIAT),
        r(M::GET, "/api/v1/schools", EVERYONE),
        r(M::POST, "/api/v1/schools", SECRETARIAT),
        r(M::PATCH, "/api/v1/schools/{id}", SECRETARIAT),
        r(M::POST, "/api/v1/schools/import", SECRETARIAT),
        r(M::GET, "/api/v1/invitations", SECRETARIAT),
        r(M::POST, "/api/v1/invitations", SECRETARIAT),
        r(M::DELETE, "/api/v1/invitations/{id}", SECRETARIAT),
        r(M::GET, "/api/v1/members", SECRETARIAT),
        r(M::GET, "/api/v1/members/{id}", SECRETARIAT),
        r(M::PUT, "/api/v1/members/{id}/roles", SECRETARIAT),
        r(M::GET, "/api/v1/audit-log", SECRETARIAT_OR_COUNCIL),
        r(
            M::GET,
            "/api/v1/credit-years/{year}/standings",
            STANDINGS_READERS,
        ),
        r(
            M::GET,
            "/api/v1/credit-years/{year}/standings.xlsx",
            SECRETARIAT_OR_COUNCIL,
        ),
        r(M::PUT, "/api/v1/credit-years/{year}/settings", SECRETARIAT),
        r(M::POST, "/api/v1/credit-years/{year}/notice", SECRETARIAT),
        r(M::GET, "/api/v1/credit-years/{year}/notice", EVERYONE),
        r(M::GET, "/api/v1/credit-years/{year}/notice.xlsx", EVERYONE),
        r(M::POST, "/api/v1/credit-years/{year}/objections", OBJECTORS),
        r(M::GET, "/api/v1/credit-years/{year}/objections", LOGGED_IN),
        r(M::POST, "/api/v1/objections/{id}/resolve", SECRETARIAT),
        r(
            M::GET,
            "/api/v1/credit-years/{year}/eligibility/{school_id}",
            SECRETARIAT,
        ),
        r(
            M::PUT,
            "/api/v1/credit-years/{year}/eligibility/{school_id}",
            SECRETARIAT,
        ),
        r(
            M::GET,
            "/api/v1/credit-years/{year}/individual-eligibility/{key}",
            SECRETARIAT,
        ),
        r(
            M::PUT,
            "/api/v1/credit-years/{year}/individual-eligibility/{key}",
            SECRETARIAT,
        ),
        r(
            M::GET,
            "/api/v1/credit-years/{year}/school-eligibility",
            SECRETARIAT,
        ),
        r(
            M::POST,
            "/api/v1/credit-years/{year}/school-eligibility",
            SECRETARIAT,
        ),
        r(
            M::GET,
            "/api/v1/credit-years/{year}/individual-eligibility",
            SECRETARIAT,
        ),
        r(
            M::POST,
            "/api/v1/credit-years/{year}/individual-eligibility",
            SECRETARIAT,
        ),
        // A school's authors: its correspondents, the secretariat, the council.
        r(
            M::GET,
            "/api/v1/schools/{school_id}/authors",
            ARTICLE_READERS,
        ),
        r(
            M::POST,
            "/api/v1/schools/{school_id}/authors/{author_id}/merge",
            SECRETARIAT,
        ),
        r(M::POST, "/api/v1/credit-years/{year}/proposal", SECRETARIAT),
        r(
            M::GET,
            "/api/v1/credit-years/{year}/proposal",
            SECRETARIAT_OR_COUNCIL,
        ),
        r(
            M::PATCH,
            "/api/v1/credit-years/{year}/proposal",
            SECRETARIAT,
        ),
        r(
            M::POST,
            "/api/v1/credit-years/{year}/proposal/submit",
            SECRETARIAT,
        ),
        r(
            M::POST,
            "/api/v1/credit-years/{year}/proposal/approve",
            COUNCIL,
        ),
        r(
            M::POST,
            "/api/v1/credit-years/{year}/proposal/return",
            COUNCIL,
        ),
        r(M::GET, "/api/v1/credit-years/{year}/honours", EVERYONE),
        r(M::GET, "/api/v1/campaigns", EVERYONE),
        r(M::POST, "/api/v1/campaigns", SECRETARIAT),
        r(M::GET, "/api/v1/campaigns/{id}", EVERYONE),
        r(M::PATCH, "/api/v1/campaigns/{id}", SECRETARIAT),
        r(M::POST, "/api/v1/campaigns/{id}/late-grants", SECRETARIAT),
        r(M::POST, "/api/v1/campaigns/{id}/nominations", DISTRICT_LEAD),
        r(
            M::GET,
            "/api/v1/campaigns/{id}/nominations",
            LEAD_OR_SECRETARIAT,
        ),
        r(M::POST, "/api/v1/campaigns/{id}/forward", SECRETARIAT),
        r(M::GET, "/api/v1/campaigns/{id}/export.zip", SECRETARIAT),
        r(M::GET, "/api/v1/nominations/{id}", LEAD_OR_SECRETARIAT),
        r(M::PATCH, "/api/v1/nominations/{id}", DISTRICT_LEAD),
        r(M::DELETE, "/api/v1/nominations/{id}", DISTRICT_LEAD),
        r(M::POST, "/api/v1/nominations/{id}/submit", DISTRICT_LEAD),
        r(M::POST, "/api/v1/nominations/{id}/withdraw", DISTRICT_LEAD),
        r(
            M::POST,
            "/api/v1/nominations/{id}/attachments",
            DISTRICT_LEAD,
        ),
        r(
            M::GET,
            "/api/v1/nominations/{id}/attachments/{attachment_id}",
            LEAD_OR_SECRETARIAT,
        ),
        r(
            M::PUT,
            "/api/v1/nominations/{id}/attachments/{attachment_id}",
            DISTRICT_LEAD,
        ),
        r(
            M::DELETE,
            "/api/v1/nominations/{id}/attachments/{attachment_id}",
            DISTRICT_LEAD,
        ),
        r(
            M::GET,
            "/api/v1/nominations/{id}/form.docx",
            LEAD_OR_SECRETARIAT,
        ),
        r(M::POST, "/api/v1/nominations/{id}/review", SECRETARIAT),
        r(M::GET, "/api/v1/sources", EVERYONE),
        r(M::POST, "/api/v1/sources", SECRETARIAT),
        r(M::PATCH, "/api/v1/sources/{id}", SECRETARIAT),
        r(M::POST, "/api/v1/articles", SUBMITTERS),
        r(M::GET, "/api/v1/articles", ARTICLE_READERS),
        r(M::GET, "/api/v1/articles/{id}", ARTICLE_READERS),
        r(M::POST, "/api/v1/articles/{id}/review", SECRETARIAT),
        r(M::POST, "/api/v1/articles/reviews", SECRETARIAT),
        r(M::POST, "/api/v1/articles/{id}/merge", SECRETARIAT),
        r(M::POST, "/api/v1/articles/{id}/verification", SECRETARIAT),
        r(M::DELETE, "/api/v1/articles/{id}", SUBMITTERS),
    ]
}

#[test]
fn the_permission_table_covers_every_operation_of_the_spec() {
    let doc: serde_json::Value =
        serde_json::from_str(&association::api::openapi::document_json().unwrap()).unwrap();
    let mut in_spec = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            in_spec.insert((method.to_uppercase(), path.clone()));
        }
    }
    let in_table: BTreeSet<(String, String)> = table()
        .iter()
        .map(|r| (r.method.as_str().to_owned(), r.template.to_owned()))
        .collect();
    assert_eq!(
        in_table, in_spec,
        "the permission table and the spec list different operations"
    );
}

#[tokio::test]
async fn every_endpoint_allows_exactly_the_roles_of_the_permission_table() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (district_id, school_id) = app.district_and_school(&admin).await;
    let target = app.login("target").await;
    let invitation: serde_json::Value = app
        .post_as(
            "/api/v1/invitations",
            &admin,
            &json!({"role": "council", "expires_at": "2030-01-01T00:00:00+08:00"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let invitation_id = invitation["id"].as_i64().unwrap();
    // Articles on a source whose host is a private address: the server refuses to fetch it (no packet sent).
    let source_id = app
        .create_source(
            &admin,
            json!({"name": "权限来源", "kind": "official", "hosts": ["10.0.0.1"]}),
        )
        .await;
    let article = |path: &str| {
        let (app, admin) = (&app, &admin);
        let body = json!({"url": format!("http://10.0.0.1{path}"), "first_author_name": "张三", "declared_original": true, "school_id": school_id});
        async move {
            app.post_as("/api/v1/articles", admin, &body)
                .await
                .json::<serde_json::Value>()
                .await
                .unwrap()["id"]
                .as_i64()
                .unwrap()
        }
    };
    let article_id = article("/perm/1.html").await;
    let other_article_id = article("/perm/2.html").await;

    let mut sessions: Vec<(Who, Option<Session>)> = vec![(Who::Anonymous, None)];
    sessions.push((Who::Member, Some(app.login("plain").await)));
    sessions.push((
        Who::Correspondent,
        Some(
            app.member_with(Role::Correspondent, Some(school_id), None)
                .await,
        ),
    ));
    let lead = app
        .member_with(Role::DistrictLead, None, Some(district_id))
        .await;
    sessions.push((Who::DistrictLead, Some(lead.clone())));
    let campaign_id = app.seed_campaign(&admin).await;
    let nomination_id = app
        .draft(
            &lead,
            campaign_id,
            "person",
            crate::helpers::person_form("权限测试", "四川大学"),
        )
        .await;
    app.upload_all(&lead, nomination_id, true).await;
    // Deleting a draft takes one of its own.
    let spare_nomination_id = app.draft(&lead, campaign_id, "person", json!({})).await;
    let nomination: serde_json::Value = app
        .get_as(&format!("/api/v1/nominations/{nomination_id}"), &lead)
        .await
        .json()
        .await
        .unwrap();
    let attachment_id = nomination["attachments"][0]["id"].as_i64().unwrap();
    sessions.push((
        Who::Council,
        Some(app.member_with(Role::Council, None, None).await),
    ));
    sessions.push((Who::Secretariat, Some(app.secretariat().await)));

    // Logout last: from then on it refuses the caller's access token.
    let mut rows = table();
    rows.sort_by_key(|r| r.template == "/api/v1/auth/logout");
    for row in rows {
        let path = row
            .template
            .replace("/districts/{id}", &format!("/districts/{district_id}"))
            .replace("/schools/{id}", &format!("/schools/{school_id}"))
            .replace(
                "/invitations/{id}",
                &format!("/invitations/{invitation_id}"),
            )
            .replace("/members/{id}", &format!("/members/{}", target.member_id))
            .replace("{year}", "2021")
            .replace("{school_id}", &school_id.to_string())
            .replace("{key}", "1%2Fname%3Anobody")
            .replace("/objections/{id}", "/objections/999999")
            .replace("/campaigns/{id}", &format!("/campaigns/{campaign_id}"))
            .replace(
                "/nominations/{id}",
                &format!(
                    "/nominations/{}",
                    if row.method == Method::DELETE && row.template == "/api/v1/nominations/{id}" {
                        spare_nomination_id
                    } else {
                        nomination_id
                    }
                ),
            )
            .replace("{attachment_id}", &attachment_id.to_string())
            .replace("{author_id}", "999999")
            .replace("/sources/{id}", &format!("/sources/{source_id}"))
            .replace("/articles/{id}", &format!("/articles/{article_id}"));
        let body = match (row.method.as_str(), row.template) {
            ("POST", "/api/v1/auth/wechat/login") => {
                json!({"code": format!("dev:{}", &unique("p")[..10])})
            }
            ("POST", "/api/v1/districts") => {
                json!({"name": unique("d").chars().take(10).collect::<String>()})
            }
            ("PATCH", "/api/v1/districts/{id}") => json!({"name": "权限片区"}),
            ("POST", "/api/v1/schools") => json!({"name": unique("s"), "district_id": district_id}),
            ("PATCH", "/api/v1/schools/{id}") => json!({"active": true}),
            ("POST", "/api/v1/invitations") => {
                json!({"role": "council", "expires_at": "2030-01-01T00:00:00+08:00"})
            }
            ("PUT", "/api/v1/members/{id}/roles") => json!({"roles": []}),
            ("POST", "/api/v1/me/phone") => json!({"code": "dev:13800138000"}),
            ("POST", "/api/v1/me/subscriptions") => json!({"accepted": ["TEMPLATE"]}),
            ("POST", "/api/v1/me/invitations/redeem") => json!({"code": "NOPE"}),
            ("PATCH", "/api/v1/me") => json!({"department": "后勤处"}),
            ("PUT", "/api/v1/credit-years/{year}/settings") => json!({"ranking_key": "total"}),
            ("POST", "/api/v1/credit-years/{year}/school-eligibility") => {
                json!({"items": [{"school_id": school_id, "mechanism": true, "process": true, "archive": true, "dedicated_staff": true}]})
            }
            ("POST", "/api/v1/credit-years/{year}/individual-eligibility") => {
                json!({"items": [{"key": "1/name:nobody", "logistics_staff": true}]})
            }
            ("POST", "/api/v1/schools/{school_id}/authors/{author_id}/merge") => {
                json!({"into": 999998, "reason": "权限测试"})
            }
            ("POST", "/api/v1/credit-years/{year}/objections") => {
                json!({"scope": "schools", "row_key": "1", "text": "权限测试的异议内容"})
            }
            ("POST", "/api/v1/campaigns") => crate::helpers::seed_campaign_body(),
            ("PATCH", "/api/v1/campaigns/{id}") => json!({"title": "2021年度最美后勤人"}),
            ("POST", "/api/v1/campaigns/{id}/late-grants") => {
                json!({"district_id": district_id, "until": "2021-11-05T00:00:00+08:00", "reason": "补报"})
            }
            ("POST", "/api/v1/campaigns/{id}/nominations") => json!({"kind": "person"}),
            ("POST", "/api/v1/campaigns/{id}/forward") => {
                json!({"nomination_ids": [nomination_id]})
            }
            ("PATCH", "/api/v1/nominations/{id}") => json!({"form": {"age": 46}}),
            ("POST", "/api/v1/nominations/{id}/review") => json!({"decision": "shortlist"}),
            ("POST", "/api/v1/sources") => json!({"name": unique("来源"), "kind": "bonus"}),
            ("PATCH", "/api/v1/sources/{id}") => json!({"columns": []}),
            ("POST", "/api/v1/articles") => {
                json!({"url": "http://10.0.0.1/perm/new.html", "first_author_name": "张三", "declared_original": true, "school_id": school_id})
            }
            ("POST", "/api/v1/articles/{id}/review") => {
                json!({"decision": "approve", "published_on": "2021-05-01"})
            }
            ("POST", "/api/v1/articles/{id}/merge") => json!({"into_id": other_article_id}),
            ("POST", "/api/v1/articles/reviews") => {
                json!({"items": [{"article_id": article_id, "review": {"decision": "approve", "published_on": "2021-05-01"}}]})
            }
            _ => json!({"refresh_token": "unknown"}),
        };
        for (who, session) in &sessions {
            let mut req = app.client.request(row.method.clone(), app.url(&path));
            if let Some(s) = session {
                req = req.bearer_auth(&s.access_token);
            }
            req = if row.template == "/api/v1/schools/import" {
                req.header("content-type", "text/csv")
                    .body("学校名称,片区\n")
            } else if row.template == "/api/v1/nominations/{id}/attachments" {
                let part =
                    reqwest::multipart::Part::bytes(crate::helpers::pdf_bytes()).file_name("c.pdf");
                req.multipart(
                    reqwest::multipart::Form::new()
                        .text("kind", "certificate")
                        .part("file", part),
                )
            } else if row.template == "/api/v1/nominations/{id}/attachments/{attachment_id}"
                && row.method == Method::PUT
            {
                let part =
                    reqwest::multipart::Part::bytes(crate::helpers::pdf_bytes()).file_name("c.pdf");
                req.multipart(reqwest::multipart::Form::new().part("file", part))
            } else if row.method != Method::GET && row.method != Method::DELETE {
                req.json(&body)
            } else {
                req
            };
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let what = format!("{} {} as {who:?}", row.method, row.template);
            if row.allowed.contains(who) {
                let text = res.text().await.unwrap();
                let code = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|b| b["code"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                let refused = status == 403 || (status == 401 && code == "UNAUTHENTICATED");
                assert!(!refused, "{what} was refused: {status} {text}");
            } else if *who == Who::Anonymous {
                assert_eq!(status, 401, "{what} should be refused");
                assert_problem(res, 401, "UNAUTHENTICATED").await;
            } else {
                assert_eq!(status, 403, "{what} should be forbidden");
                let body = assert_problem(res, 403, "FORBIDDEN").await;
                assert!(!body.to_string().contains("target"), "{what} leaks data");
            }
        }
    }
}
