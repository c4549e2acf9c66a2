//! No silent overwrites (issue 10, item 7): two members of the secretariat
//! deciding about one thing at once — one approving, one rejecting — both
//! used to be answered 200, and the last write won. Now a decision made on a
//! stale view answers 409 `STALE_DECISION` naming who decided what, and
//! changes nothing; a deliberate change of an earlier decision is an
//! explicit request with a reason, audited as such.

use serde_json::{Value, json};

use crate::articles::world;
use crate::helpers::{Session, TestApp, assert_problem, default_now, spawn_app, unique};

/// Races between two members, per operation.
const ROUNDS: usize = 20;

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

/// Of two answers to one race, asserts exactly one 200 and one 409
/// `STALE_DECISION` naming the winner and their decision; answers (index of
/// the winner, the winner's body).
async fn one_wins(
    answers: [reqwest::Response; 2],
    members: [&Session; 2],
    decisions: [&str; 2],
) -> (usize, Value) {
    let statuses = [answers[0].status().as_u16(), answers[1].status().as_u16()];
    let winner = match statuses {
        [200, 409] => 0,
        [409, 200] => 1,
        other => {
            let mut bodies = Vec::new();
            for a in answers {
                bodies.push(a.text().await.unwrap());
            }
            panic!("expected one 200 and one 409, got {other:?}: {bodies:?}");
        }
    };
    let loser = 1 - winner;
    let [a0, a1] = answers;
    let (won, lost) = if winner == 0 { (a0, a1) } else { (a1, a0) };
    let problem = assert_problem(lost, 409, "STALE_DECISION").await;
    assert_eq!(
        problem["decided_by"]["id"], members[winner].member_id,
        "names the winner: {problem}"
    );
    assert!(
        problem["decided_by"]["display_name"]
            .as_str()
            .is_some_and(|n| !n.is_empty()),
        "{problem}"
    );
    assert_eq!(problem["decision"], decisions[winner], "{problem}");
    assert!(problem["decided_at"].is_string(), "{problem}");
    assert_ne!(members[loser].member_id, members[winner].member_id);
    (winner, json_of(won).await)
}

// ------------------------------------------------------------------ articles

/// Submits `n` articles (pending, with a publication date) and waits for
/// the server's fetch of their pages to finish; answers their ids.
async fn pending_articles(w: &crate::articles::World, n: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for _ in 0..n {
        let url = w.association.url(&format!("/{}.html", unique("race")));
        let res = w
            .submit_as(
                &w.writer,
                json!({"url": url, "first_author_name": "张三", "declared_original": true, "published_on": "2021-05-01"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        ids.push(json_of(res).await["id"].as_i64().unwrap());
    }
    for id in &ids {
        let a = w.app.verified_article(&w.writer, *id).await;
        assert_eq!(a["status"], "pending");
    }
    ids
}

#[tokio::test]
async fn two_members_reviewing_one_article_at_once_one_decides_the_other_is_told() {
    let w = world().await;
    let other = w.app.secretariat().await;
    let ids = pending_articles(&w, ROUNDS).await;
    let mut wins = [0; 2];
    for id in ids {
        let path = format!("/api/v1/articles/{id}/review");
        let approve = json!({"decision": "approve"});
        let reject = json!({"decision": "reject", "reason": "非本校稿件"});
        let (a, b) = tokio::join!(
            w.app.post_as(&path, &w.admin, &approve),
            w.app.post_as(&path, &other, &reject),
        );
        let (winner, body) = one_wins([a, b], [&w.admin, &other], ["approve", "reject"]).await;
        wins[winner] += 1;
        let expected = ["approved", "rejected"][winner];
        assert_eq!(body["status"], expected);
        // The stored decision is the winner's, and only the winner's review is on record.
        let stored = w.article(id).await;
        assert_eq!(stored["status"], expected);
        let audit = w.app.audit_of("article", &id.to_string()).await;
        let reviews: Vec<_> = audit
            .iter()
            .filter(|e| e.action == "article.review")
            .collect();
        assert_eq!(reviews.len(), 1);
        assert_eq!(
            reviews[0].actor_id,
            Some([w.admin.member_id, other.member_id][winner])
        );
    }
    eprintln!(
        "article review race: approve won {} / reject won {} of {ROUNDS}",
        wins[0], wins[1]
    );
}

#[tokio::test]
async fn a_deliberate_change_of_an_article_review_needs_a_reason_and_is_audited_as_a_revision() {
    let w = world().await;
    let other = w.app.secretariat().await;
    let id = pending_articles(&w, 1).await[0];
    let path = format!("/api/v1/articles/{id}/review");
    assert_eq!(
        w.app
            .post_as(&path, &w.admin, &json!({"decision": "approve"}))
            .await
            .status(),
        200
    );
    // Reviewing again as if it were still pending: stale, nothing changed.
    let res = w
        .app
        .post_as(
            &path,
            &other,
            &json!({"decision": "reject", "reason": "非本校稿件"}),
        )
        .await;
    let problem = assert_problem(res, 409, "STALE_DECISION").await;
    assert_eq!(problem["decided_by"]["id"], w.admin.member_id);
    assert_eq!(problem["decision"], "approve");
    assert_eq!(problem["current_status"], "approved");
    assert_eq!(w.article(id).await["status"], "approved");
    // A revision without a reason is refused.
    let res = w
        .app
        .post_as(
            &path,
            &other,
            &json!({"decision": "approve", "revises": "approved", "published_on": "2021-05-02"}),
        )
        .await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/reason");
    // A revision of a status the article no longer has is stale.
    let res = w
        .app
        .post_as(
            &path,
            &other,
            &json!({"decision": "approve", "revises": "rejected", "reason": "复核"}),
        )
        .await;
    assert_problem(res, 409, "STALE_DECISION").await;
    // Pending articles are reviewed, not revised.
    let fresh = pending_articles(&w, 1).await[0];
    let res = w
        .app
        .post_as(
            &format!("/api/v1/articles/{fresh}/review"),
            &other,
            &json!({"decision": "approve", "revises": "approved", "reason": "复核"}),
        )
        .await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/revises");
    assert_eq!(w.article(id).await["status"], "approved");
    assert_eq!(w.app.audit_of("article", &id.to_string()).await.len(), 1);
    // The explicit revision, with its reason.
    let res = w
        .app
        .post_as(
            &path,
            &other,
            &json!({"decision": "reject", "revises": "approved", "reason": "经核实非本校稿件"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(json_of(res).await["status"], "rejected");
    let audit = w.app.audit_of("article", &id.to_string()).await;
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0].action, "article.review");
    assert_eq!(audit[0].actor_id, Some(other.member_id));
    assert_eq!(audit[0].reason.as_deref(), Some("经核实非本校稿件"));
    let after: Value = serde_json::from_str(audit[0].after.as_deref().unwrap()).unwrap();
    assert_eq!(after["revision"]["revises"], "approved");
    assert_eq!(after["revision"]["decided_by"], w.admin.member_id);
    let before: Value = serde_json::from_str(audit[0].before.as_deref().unwrap()).unwrap();
    assert_eq!(before["status"], "approved");
    // The first review is no revision.
    let first: Value = serde_json::from_str(audit[1].after.as_deref().unwrap()).unwrap();
    assert!(first.get("revision").is_none());
}

#[tokio::test]
async fn a_merge_made_on_a_stale_view_is_refused_and_names_the_merge_in_force() {
    let w = world().await;
    let other = w.app.secretariat().await;
    let ids = pending_articles(&w, 3).await;
    let (a, b, c) = (ids[0], ids[1], ids[2]);
    // Both read the three articles alone; one merges A with B …
    let res = w
        .app
        .post_as(
            &format!("/api/v1/articles/{a}/merge"),
            &w.admin,
            &json!({"into_id": b, "reason": "同一篇报道", "expected_group_id": null, "expected_into_group_id": null}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // … the other, on the old view, merges A with C: refused, nothing changed.
    let res = w
        .app
        .post_as(
            &format!("/api/v1/articles/{a}/merge"),
            &other,
            &json!({"into_id": c, "expected_group_id": null, "expected_into_group_id": null}),
        )
        .await;
    let problem = assert_problem(res, 409, "STALE_DECISION").await;
    assert_eq!(problem["decided_by"]["id"], w.admin.member_id);
    assert_eq!(problem["decision"], "merge");
    assert_eq!(problem["reason"], "同一篇报道");
    assert_eq!(problem["article_id"], a);
    assert_eq!(problem["duplicate_group_id"], b);
    assert!(w.article(c).await["duplicate_group_id"].is_null());
    assert_eq!(w.article(a).await["duplicate_group_id"], b);
    // A stale view of the other article is refused as well.
    let res = w
        .app
        .post_as(
            &format!("/api/v1/articles/{c}/merge"),
            &other,
            &json!({"into_id": a, "expected_group_id": null, "expected_into_group_id": null}),
        )
        .await;
    let problem = assert_problem(res, 409, "STALE_DECISION").await;
    assert_eq!(problem["article_id"], a);
    // On the current view it goes through.
    let res = w
        .app
        .post_as(
            &format!("/api/v1/articles/{c}/merge"),
            &other,
            &json!({"into_id": a, "expected_group_id": null, "expected_into_group_id": b}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(w.article(c).await["duplicate_group_id"], b);
}

// ------------------------------------------------------------------ nominations

/// `n` submitted nominations of one district in a campaign whose district
/// quota allows them all.
async fn submitted_nominations(app: &TestApp, admin: &Session, n: usize) -> Vec<i64> {
    let mut body = crate::helpers::seed_campaign_body();
    body["district_quota"] = json!(n);
    let res = app.post_as("/api/v1/campaigns", admin, &body).await;
    assert_eq!(res.status(), 201);
    let campaign = json_of(res).await["id"].as_i64().unwrap();
    let (_d, lead) = app.district_with_lead(admin).await;
    let mut ids = Vec::new();
    for i in 0..n {
        let id = app
            .complete_draft(&lead, campaign, &format!("候选{i}号"))
            .await;
        assert_eq!(app.submit_nomination(&lead, id).await.status(), 200);
        ids.push(id);
    }
    ids
}

#[tokio::test]
async fn two_members_reviewing_one_nomination_at_once_one_decides_the_other_is_told() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let other = app.secretariat().await;
    let ids = submitted_nominations(&app, &admin, ROUNDS).await;
    let mut wins = [0; 2];
    for id in ids {
        let path = format!("/api/v1/nominations/{id}/review");
        let shortlist = json!({"decision": "shortlist"});
        let reject = json!({"decision": "reject", "reason": "事迹不够突出"});
        let (a, b) = tokio::join!(
            app.post_as(&path, &admin, &shortlist),
            app.post_as(&path, &other, &reject),
        );
        let (winner, body) = one_wins([a, b], [&admin, &other], ["shortlist", "reject"]).await;
        wins[winner] += 1;
        let expected = ["shortlisted", "rejected"][winner];
        assert_eq!(body["status"], expected);
        let stored = json_of(
            app.get_as(&format!("/api/v1/nominations/{id}"), &admin)
                .await,
        )
        .await;
        assert_eq!(stored["status"], expected);
        let audit = app.audit_of("nomination", &id.to_string()).await;
        let reviews: Vec<_> = audit
            .iter()
            .filter(|e| e.action == "nomination.review")
            .collect();
        assert_eq!(reviews.len(), 1);
    }
    eprintln!(
        "nomination review race: shortlist won {} / reject won {} of {ROUNDS}",
        wins[0], wins[1]
    );
}

#[tokio::test]
async fn a_deliberate_change_of_a_nomination_review_needs_a_reason_and_honours_if_match() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let other = app.secretariat().await;
    let id = submitted_nominations(&app, &admin, 1).await[0];
    let path = format!("/api/v1/nominations/{id}/review");
    let seen = app.etag_of(&other, id).await;
    app.review_nomination(&admin, id, "shortlist", None).await;
    // On the old view (If-Match of the submitted nomination): stale.
    let res = app
        .authed(reqwest::Method::POST, &path, &other)
        .header("If-Match", &seen)
        .json(&json!({"decision": "reject", "revises": "shortlisted", "reason": "复核"}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(res, 409, "STALE_DECISION").await;
    assert_eq!(problem["decided_by"]["id"], admin.member_id);
    assert_eq!(problem["decision"], "shortlist");
    let current = problem["etag"].as_str().unwrap().to_owned();
    assert_eq!(current, app.etag_of(&other, id).await);
    // Without `revises`: stale too.
    let res = app
        .post_as(
            &path,
            &other,
            &json!({"decision": "reject", "reason": "复核"}),
        )
        .await;
    assert_problem(res, 409, "STALE_DECISION").await;
    // A revision without a reason is refused.
    let res = app
        .post_as(
            &path,
            &other,
            &json!({"decision": "shortlist", "revises": "shortlisted"}),
        )
        .await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/reason");
    let view = json_of(
        app.get_as(&format!("/api/v1/nominations/{id}"), &admin)
            .await,
    )
    .await;
    assert_eq!(view["status"], "shortlisted");
    let reviews = app.audit_of("nomination", &id.to_string()).await;
    assert_eq!(
        reviews
            .iter()
            .filter(|e| e.action == "nomination.review")
            .count(),
        1
    );
    // The explicit revision on the current view.
    let res = app
        .authed(reqwest::Method::POST, &path, &other)
        .header("If-Match", &current)
        .json(&json!({"decision": "reject", "revises": "shortlisted", "reason": "经复核事迹不够突出"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_ne!(res.headers()["etag"].to_str().unwrap(), current);
    assert_eq!(json_of(res).await["status"], "rejected");
    let audit = app.audit_of("nomination", &id.to_string()).await;
    assert_eq!(audit[0].action, "nomination.review");
    assert_eq!(audit[0].reason.as_deref(), Some("经复核事迹不够突出"));
    let after: Value = serde_json::from_str(audit[0].after.as_deref().unwrap()).unwrap();
    assert_eq!(after["revision"]["revises"], "shortlisted");
    assert_eq!(after["revision"]["decided_by"], admin.member_id);
}

// ------------------------------------------------------------------ honours

/// A school with one approved 2021 article of one site point, put in place directly.
async fn school_with_points(app: &TestApp, admin: &Session, district_id: i64) -> i64 {
    use sea_orm::{ActiveModelTrait, Set};
    let s: Value = json_of(
        app.post_as(
            "/api/v1/schools",
            admin,
            &json!({"name": unique("学校"), "district_id": district_id}),
        )
        .await,
    )
    .await;
    let school_id = s["id"].as_i64().unwrap();
    let now = default_now();
    let source = association::entity::source::ActiveModel {
        name: Set(unique("站点")),
        kind: Set("official".into()),
        hosts: Set(json!([format!("{}.example.cn", unique("h"))]).to_string()),
        columns: Set("[]".into()),
        years: Set("[]".into()),
        needs_confirmation: Set(false),
        allow_private_network: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    let url = format!("https://news.example.cn/{}.html", unique("a"));
    association::entity::article::ActiveModel {
        school_id: Set(school_id),
        submitted_by: Set(admin.member_id),
        first_author_name: Set(Some("张三".to_owned())),
        author_key: Set(association::articles::rules::author_key(None, Some("张三"))),
        url: Set(url.clone()),
        canonical_url: Set(url),
        url_key: Set(Some(unique("k"))),
        host: Set("news.example.cn".into()),
        source_id: Set(source.id),
        source_kind: Set("official".into()),
        title: Set(Some(unique("标题"))),
        credit_year: Set(Some(2021)),
        declared_original: Set(true),
        verification_status: Set("verified".into()),
        status: Set("approved".into()),
        site_points: Set(1),
        bonus_points: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    app.articles_loaded().await;
    school_id
}

const CHECKED: &str =
    r#"{"mechanism": true, "process": true, "archive": true, "dedicated_staff": true}"#;

#[tokio::test]
async fn two_members_recording_one_schools_eligibility_at_once_one_decides_the_other_is_told() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let other = app.secretariat().await;
    let (district_id, _) = app.district_and_school(&admin).await;
    let all: Value = serde_json::from_str(CHECKED).unwrap();
    let lacking = json!({"mechanism": true, "process": true, "archive": true, "dedicated_staff": false, "note": "无专职人员"});
    for _ in 0..ROUNDS / 2 {
        let school = school_with_points(&app, &admin, district_id).await;
        let path = format!("/api/v1/credit-years/2021/eligibility/{school}");
        let (a, b) = tokio::join!(
            app.put_as(&path, &admin, &all),
            app.put_as(&path, &other, &lacking)
        );
        let (winner, body) = one_wins([a, b], [&admin, &other], ["eligible", "not_eligible"]).await;
        assert_eq!(body["eligible"], winner == 0);
        let stored = json_of(app.get_as(&path, &admin).await).await;
        assert_eq!(stored["eligible"], winner == 0);
        assert_eq!(
            stored["decided_by"]["id"],
            [admin.member_id, other.member_id][winner]
        );
        let recorded = app.audit_of("school", &school.to_string()).await;
        assert_eq!(
            recorded
                .iter()
                .filter(|e| e.action == "eligibility.school")
                .count(),
            1
        );
    }
}

#[tokio::test]
async fn a_stale_eligibility_change_is_refused_and_a_deliberate_one_needs_a_reason() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let other = app.secretariat().await;
    let (district_id, _) = app.district_and_school(&admin).await;
    let school = school_with_points(&app, &admin, district_id).await;
    let path = format!("/api/v1/credit-years/2021/eligibility/{school}");
    assert_problem(app.get_as(&path, &admin).await, 404, "NOT_FOUND").await;
    let all: Value = serde_json::from_str(CHECKED).unwrap();
    let res = app.put_as(&path, &admin, &all).await;
    assert_eq!(res.status(), 200);
    let first_etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let first = json_of(res).await;
    assert_eq!(first["etag"], first_etag.as_str());
    assert_eq!(first["decided_by"]["id"], admin.member_id);
    // Both read it; one changes it deliberately (If-Match and a reason) …
    let seen = json_of(app.get_as(&path, &other).await).await["etag"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(seen, first_etag);
    let put = |who: &Session, etag: Option<&str>, body: Value| {
        let mut req = app.authed(reqwest::Method::PUT, &path, who).json(&body);
        if let Some(e) = etag {
            req = req.header("If-Match", e);
        }
        req.send()
    };
    let without_reason =
        json!({"mechanism": true, "process": true, "archive": false, "dedicated_staff": true});
    let res = put(&admin, Some(&seen), without_reason).await.unwrap();
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/reason");
    let res = put(
        &admin,
        Some(&seen),
        json!({"mechanism": true, "process": true, "archive": false, "dedicated_staff": true, "reason": "档案材料缺失"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let changed = json_of(res).await;
    assert_eq!(changed["eligible"], false);
    // … the other, on the old view, changes it too: refused, nothing changed.
    let res = put(
        &other,
        Some(&seen),
        json!({"mechanism": true, "process": true, "archive": true, "dedicated_staff": true, "note": "复核通过", "reason": "复核"}),
    )
    .await
    .unwrap();
    let problem = assert_problem(res, 409, "STALE_DECISION").await;
    assert_eq!(problem["decided_by"]["id"], admin.member_id);
    assert_eq!(problem["decision"], "not_eligible");
    assert_eq!(problem["etag"], changed["etag"]);
    // Without If-Match on a recorded checklist: stale as well.
    let res = put(&other, None, all.clone()).await.unwrap();
    assert_problem(res, 409, "STALE_DECISION").await;
    let stored = json_of(app.get_as(&path, &admin).await).await;
    assert_eq!(stored["eligible"], false);
    assert_eq!(stored["etag"], changed["etag"]);
    let audit: Vec<_> = app
        .audit_of("school", &school.to_string())
        .await
        .into_iter()
        .filter(|e| e.action == "eligibility.school")
        .collect();
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0].action, "eligibility.school");
    assert_eq!(audit[0].reason.as_deref(), Some("档案材料缺失"));
    assert!(
        audit[0]
            .before
            .as_deref()
            .unwrap()
            .contains("\"archive\":true")
    );
    // A person's confirmation follows the same rule.
    let key = format!("{school}/name:张三");
    let encoded: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
    let path = format!("/api/v1/credit-years/2021/individual-eligibility/{encoded}");
    let res = app
        .put_as(&path, &admin, &json!({"logistics_staff": true}))
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .put_as(&path, &other, &json!({"logistics_staff": false}))
        .await;
    let problem = assert_problem(res, 409, "STALE_DECISION").await;
    assert_eq!(problem["decision"], "logistics_staff");
    assert_eq!(problem["decided_by"]["id"], admin.member_id);
    let view = json_of(app.get_as(&path, &other).await).await;
    assert_eq!(view["logistics_staff"], true);
}

/// A year with a published notice and a built proposal (one eligible school).
async fn built_proposal(app: &TestApp, admin: &Session) -> Value {
    let (district_id, _) = app.district_and_school(admin).await;
    let school = school_with_points(app, admin, district_id).await;
    for _ in 0..4 {
        school_with_points(app, admin, district_id).await;
    }
    let all: Value = serde_json::from_str(CHECKED).unwrap();
    let res = app
        .put_as(
            &format!("/api/v1/credit-years/2021/eligibility/{school}"),
            admin,
            &all,
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post_as(
            "/api/v1/credit-years/2021/notice",
            admin,
            &json!({"opens_at": "2021-11-01T00:00:00+08:00", "closes_at": "2021-11-08T00:00:00+08:00"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .post_as("/api/v1/credit-years/2021/proposal", admin, &json!({}))
        .await;
    assert_eq!(res.status(), 201);
    assert!(res.headers().contains_key("etag"));
    app.close_notice_window(2021).await;
    json_of(res).await
}

fn with_if_match(req: reqwest::RequestBuilder, etag: &str) -> reqwest::RequestBuilder {
    req.header("If-Match", etag)
}

#[tokio::test]
async fn a_stale_proposal_change_is_refused_and_names_the_change_in_force() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let other = app.secretariat().await;
    let built = built_proposal(&app, &admin).await;
    let seen = built["etag"].as_str().unwrap().to_owned();
    let key = built["schools"]["entries"][0]["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = "/api/v1/credit-years/2021/proposal";
    // One member changes it on the current view …
    let res = with_if_match(app.authed(reqwest::Method::PATCH, path, &admin), &seen)
        .json(&json!({"remove": [{"scope": "schools", "key": key, "reason": "材料不全"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let edited = json_of(res).await;
    // … the other, on the old view: refused, nothing changed.
    let res = with_if_match(app.authed(reqwest::Method::PATCH, path, &other), &seen)
        .json(&json!({"remove": [{"scope": "schools", "key": key, "reason": "重复"}]}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(res, 409, "STALE_DECISION").await;
    assert_eq!(problem["decided_by"]["id"], admin.member_id);
    assert_eq!(problem["decision"], "edit");
    assert_eq!(problem["reason"], "材料不全");
    assert_eq!(problem["etag"], edited["etag"]);
    // Rebuilding would discard the manual change: only with If-Match.
    let res = app.post_as(path, &other, &json!({})).await;
    let problem = assert_problem(res, 409, "STALE_DECISION").await;
    assert_eq!(problem["decision"], "edit");
    let res = with_if_match(app.authed(reqwest::Method::POST, path, &other), &seen)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 409, "STALE_DECISION").await;
    let now = json_of(app.get_as(path, &admin).await).await;
    assert_eq!(now["version"], edited["version"]);
    assert!(now["schools"]["entries"].as_array().unwrap().is_empty());
    let res = with_if_match(
        app.authed(reqwest::Method::POST, path, &other),
        edited["etag"].as_str().unwrap(),
    )
    .json(&json!({}))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let rebuilt = json_of(res).await;
    assert_eq!(rebuilt["schools"]["entries"][0]["key"], key.as_str());
    // Submitting on an old view is refused too.
    let res = with_if_match(
        app.authed(reqwest::Method::POST, &format!("{path}/submit"), &admin),
        &seen,
    )
    .json(&json!({}))
    .send()
    .await
    .unwrap();
    assert_problem(res, 409, "STALE_DECISION").await;
    let log = app.audit_of("proposal", "2021").await;
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["proposal.build", "proposal.edit", "proposal.build"]
    );
}

#[tokio::test]
async fn two_council_members_deciding_at_once_one_decides_the_other_is_told() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let council = [
        app.member_with(association::identity::roles::Role::Council, None, None)
            .await,
        app.member_with(association::identity::roles::Role::Council, None, None)
            .await,
    ];
    built_proposal(&app, &admin).await;
    let path = "/api/v1/credit-years/2021/proposal";
    let mut rounds = 0;
    loop {
        rounds += 1;
        let res = app
            .post_as(&format!("{path}/submit"), &admin, &json!({}))
            .await;
        assert_eq!(res.status(), 200);
        let etag = json_of(res).await["etag"].as_str().unwrap().to_owned();
        let (a, b) = tokio::join!(
            with_if_match(
                app.authed(
                    reqwest::Method::POST,
                    &format!("{path}/approve"),
                    &council[0]
                ),
                &etag
            )
            .json(&json!({}))
            .send(),
            with_if_match(
                app.authed(
                    reqwest::Method::POST,
                    &format!("{path}/return"),
                    &council[1]
                ),
                &etag
            )
            .json(&json!({"note": "请补充材料"}))
            .send(),
        );
        let (winner, body) = one_wins(
            [a.unwrap(), b.unwrap()],
            [&council[0], &council[1]],
            ["approve", "return"],
        )
        .await;
        let expected = ["approved", "returned"][winner];
        assert_eq!(body["status"], expected);
        assert_eq!(
            json_of(app.get_as(path, &admin).await).await["status"],
            expected
        );
        if winner == 0 || rounds == 10 {
            break;
        }
    }
}
