//! The honours round as seed 000 means it: eligibility at the mechanism
//! every path into the list passes (§六(三) "满足……评选条件"), the procedure in
//! order (notice → objections → the list → the council), separation of
//! duties, eligibility read back and recorded in batches, and authors as
//! people (two records of one person merged).

use association::access::roles::Role;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, sea_query::Expr};
use serde_json::{Value, json};

use crate::articles::{STORY_DORM, STORY_ENERGY, world};
use crate::helpers::{PageSpec, Session, TestApp, assert_problem, default_now, spawn_app, unique};

const ALL_MET: &str =
    r#"{"mechanism": true, "process": true, "archive": true, "dedicated_staff": true}"#;

struct Round {
    app: TestApp,
    admin: Session,
    district_id: i64,
    source_id: i64,
}

async fn round() -> Round {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (district_id, _) = app.district_and_school(&admin).await;
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
    Round {
        app,
        admin,
        district_id,
        source_id: source.id,
    }
}

impl Round {
    async fn school(&self) -> i64 {
        let s: Value = self
            .app
            .post_as(
                "/api/v1/schools",
                &self.admin,
                &json!({"name": unique("校"), "district_id": self.district_id}),
            )
            .await
            .json()
            .await
            .unwrap();
        s["id"].as_i64().unwrap()
    }

    /// `n` approved 2021 articles of one site point by `author` of `school`.
    async fn articles(&self, school_id: i64, author: &str, n: usize) {
        let now = default_now();
        for _ in 0..n {
            let url = format!("https://news.example.cn/{}.html", unique("a"));
            association::entity::article::ActiveModel {
                school_id: Set(school_id),
                submitted_by: Set(self.admin.member_id),
                first_author_name: Set(Some(author.to_owned())),
                author_key: Set(association::articles::rules::author_key(None, Some(author))),
                url: Set(url.clone()),
                canonical_url: Set(url.clone()),
                url_key: Set(Some(unique("k"))),
                host: Set("news.example.cn".into()),
                source_id: Set(self.source_id),
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
            .insert(&self.app.state.db)
            .await
            .unwrap();
        }
        self.app.articles_loaded().await;
    }

    async fn checklist(&self, school_id: i64, body: Value) -> reqwest::Response {
        self.app
            .put_as(
                &format!("/api/v1/credit-years/2021/eligibility/{school_id}"),
                &self.admin,
                &body,
            )
            .await
    }

    async fn person(&self, key: &str, body: Value) -> reqwest::Response {
        let mut item = body;
        item["key"] = json!(key);
        self.app
            .post_as(
                "/api/v1/credit-years/2021/individual-eligibility",
                &self.admin,
                &json!({"items": [item]}),
            )
            .await
    }

    async fn publish(&self) {
        let res = self
            .app
            .post_as(
                "/api/v1/credit-years/2021/notice",
                &self.admin,
                &json!({"opens_at": "2021-11-01T00:00:00+08:00", "closes_at": "2021-11-08T00:00:00+08:00"}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }

    async fn build(&self) -> Value {
        let res = self
            .app
            .post_as(
                "/api/v1/credit-years/2021/proposal",
                &self.admin,
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), 201);
        res.json().await.unwrap()
    }

    async fn proposal(&self) -> Value {
        self.app
            .get_as("/api/v1/credit-years/2021/proposal", &self.admin)
            .await
            .json()
            .await
            .unwrap()
    }

    async fn add(&self, scope: &str, key: &str) -> reqwest::Response {
        self.app
            .patch_as(
                "/api/v1/credit-years/2021/proposal",
                &self.admin,
                &json!({"add": [{"scope": scope, "key": key, "reason": "秘书处补入"}]}),
            )
            .await
    }

    async fn submit(&self, who: &Session) -> reqwest::Response {
        self.app
            .post_as("/api/v1/credit-years/2021/proposal/submit", who, &json!({}))
            .await
    }

    async fn decide(&self, who: &Session, what: &str) -> reqwest::Response {
        let body = if what == "return" {
            json!({"note": "请再核实"})
        } else {
            json!({})
        };
        self.app
            .post_as(
                &format!("/api/v1/credit-years/2021/proposal/{what}"),
                who,
                &body,
            )
            .await
    }

    async fn standings(&self, who: &Session, scope: &str) -> Value {
        let res = self
            .app
            .get_as(
                &format!("/api/v1/credit-years/2021/standings?scope={scope}&page_size=100"),
                who,
            )
            .await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    /// Opens the notice window again (as a clock or a data fix could):
    /// the later steps must still hold.
    async fn reopen_window(&self) {
        use association::entity::notice;
        notice::Entity::update_many()
            .col_expr(
                notice::Column::OpensAt,
                Expr::value(default_now() - chrono::Duration::hours(1)),
            )
            .col_expr(
                notice::Column::ClosesAt,
                Expr::value(default_now() + chrono::Duration::days(1)),
            )
            .filter(notice::Column::Year.eq(2021))
            .exec(&self.app.state.db)
            .await
            .unwrap();
    }
}

fn keys(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap().to_owned())
        .collect()
}

fn unmet_of(problem: &Value) -> Vec<String> {
    problem["unmet"][0]["unmet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn only_rows_meeting_the_conditions_enter_the_list_by_any_path_not_eligible() {
    let r = round().await;
    let mut ids = Vec::new();
    for (i, n) in [5, 4, 3, 1, 1, 1, 1, 1, 1, 1].iter().enumerate() {
        let s = r.school().await;
        r.articles(s, &format!("作者{i}"), *n).await;
        ids.push(s);
    }
    // Top school: every condition; second: no dedicated staff; third: nothing recorded.
    assert_eq!(
        r.checklist(ids[0], serde_json::from_str(ALL_MET).unwrap())
            .await
            .status(),
        200
    );
    let res = r
        .checklist(
            ids[1],
            json!({"mechanism": true, "process": true, "archive": true, "dedicated_staff": false}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let people = r.standings(&r.admin, "individuals").await;
    let top = people["items"][0]["key"].as_str().unwrap().to_owned();
    let second = people["items"][1]["key"].as_str().unwrap().to_owned();
    // The top person is recorded as not logistics staff; the second never confirmed.
    let res = r
        .person(
            &top,
            json!({"logistics_staff": false, "qualities_confirmed": true}),
        )
        .await;
    assert_eq!(res.status(), 200);
    r.publish().await;
    let built = r.build().await;
    assert_eq!(keys(&built["schools"]["entries"]), vec![ids[0].to_string()]);
    assert!(
        built["individuals"]["entries"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // The list says why the second school is out.
    let left = &built["schools"]["left_out"][0];
    assert_eq!(left["key"], ids[1].to_string());
    assert_eq!(left["why"]["unmet"], json!(["dedicated_staff"]));
    assert_eq!(left["why"]["in_list"], false);

    // By hand: refused, naming the condition; nothing changes.
    let version = r.proposal().await["version"].clone();
    let problem = assert_problem(
        r.add("schools", &ids[1].to_string()).await,
        409,
        "NOT_ELIGIBLE",
    )
    .await;
    assert_eq!(unmet_of(&problem), ["dedicated_staff"]);
    assert_eq!(problem["unmet"][0]["key"], ids[1].to_string());
    let problem = assert_problem(
        r.add("schools", &ids[2].to_string()).await,
        409,
        "NOT_ELIGIBLE",
    )
    .await;
    assert_eq!(unmet_of(&problem), ["checklist_not_recorded"]);
    let problem = assert_problem(r.add("individuals", &top).await, 409, "NOT_ELIGIBLE").await;
    assert_eq!(unmet_of(&problem), ["not_logistics_staff"]);
    let problem = assert_problem(r.add("individuals", &second).await, 409, "NOT_ELIGIBLE").await;
    assert_eq!(
        unmet_of(&problem),
        ["staff_not_confirmed", "qualities_not_confirmed"]
    );
    let after = r.proposal().await;
    assert_eq!(after["version"], version);
    assert_eq!(keys(&after["schools"]["entries"]), vec![ids[0].to_string()]);

    // The standings say it too: the secretariat sees the conditions, a correspondent the cap only.
    let schools = r.standings(&r.admin, "schools").await;
    assert_eq!(schools["items"][0]["why"]["in_list"], true);
    assert_eq!(
        schools["items"][1]["why"]["unmet"],
        json!(["dedicated_staff"])
    );
    assert_eq!(schools["items"][1]["why"]["in_list"], false);
    assert!(
        schools["items"][1]["why"]["text"]
            .as_str()
            .unwrap()
            .contains("专职人员"),
        "{}",
        schools["items"][1]["why"]
    );
    assert_eq!(schools["items"][3]["why"]["cap"], "below_cap");
    let writer = r
        .app
        .member_with(Role::Correspondent, Some(ids[1]), None)
        .await;
    let seen = r.standings(&writer, "schools").await;
    assert!(seen["items"][1]["why"].get("unmet").is_none());
}

#[tokio::test]
async fn submitting_and_approving_recheck_the_whole_list() {
    let r = round().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let s = r.school().await;
        r.articles(s, &format!("作者{i}"), 5 - i).await;
        ids.push(s);
    }
    let res = r
        .checklist(ids[0], serde_json::from_str(ALL_MET).unwrap())
        .await;
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    r.publish().await;
    r.build().await;
    // The checklist changes after the row went in.
    let res = r
        .app
        .authed(
            reqwest::Method::PUT,
            &format!("/api/v1/credit-years/2021/eligibility/{}", ids[0]),
            &r.admin,
        )
        .header("If-Match", etag)
        .json(&json!({"mechanism": true, "process": true, "archive": false, "dedicated_staff": true, "reason": "档案管理材料缺失"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    r.app.close_notice_window(2021).await;
    let problem = assert_problem(r.submit(&r.admin).await, 409, "NOT_ELIGIBLE").await;
    assert_eq!(unmet_of(&problem), ["archive"]);
    assert_eq!(r.proposal().await["status"], "draft");
}

#[tokio::test]
async fn the_round_keeps_seed_000s_order_notice_objections_list_council() {
    let r = round().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let s = r.school().await;
        r.articles(s, &format!("作者{i}"), 5 - i).await;
        ids.push(s);
    }
    r.checklist(ids[0], serde_json::from_str(ALL_MET).unwrap())
        .await;
    r.publish().await;
    r.build().await;
    // While the notice is open the list cannot go to the council.
    let problem = assert_problem(r.submit(&r.admin).await, 409, "NOTICE_WINDOW_OPEN").await;
    assert!(problem["detail"].as_str().unwrap().contains("公示期"));
    r.app.close_notice_window(2021).await;
    assert_eq!(r.submit(&r.admin).await.status(), 200);
    // With the council: no new notice, no record changes, no objection.
    let res = r
        .app
        .post_as(
            "/api/v1/credit-years/2021/notice",
            &r.admin,
            &json!({"opens_at": "2021-11-01T00:00:00+08:00", "closes_at": "2021-11-20T00:00:00+08:00"}),
        )
        .await;
    assert_problem(res, 409, "PROPOSAL_NOT_EDITABLE").await;
    let res = r
        .checklist(ids[1], serde_json::from_str(ALL_MET).unwrap())
        .await;
    assert_problem(res, 409, "PROPOSAL_NOT_EDITABLE").await;
    r.reopen_window().await;
    let member = r.app.login(&format!("m-{}", &unique("")[..10])).await;
    let objection = json!({"scope": "schools", "row_key": ids[0].to_string(), "text": "请核实该校的稿件数量。"});
    let res = r
        .app
        .post_as("/api/v1/credit-years/2021/objections", &member, &objection)
        .await;
    assert_problem(res, 409, "PROPOSAL_NOT_EDITABLE").await;
    // Approved: final, and an objection is refused for good.
    let council = r.app.member_with(Role::Council, None, None).await;
    assert_eq!(r.decide(&council, "approve").await.status(), 200);
    let res = r
        .app
        .post_as("/api/v1/credit-years/2021/objections", &member, &objection)
        .await;
    assert_problem(res, 409, "PROPOSAL_FINAL").await;
    let objections: Value = r
        .app
        .get_as("/api/v1/credit-years/2021/objections", &r.admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(objections["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_member_who_submitted_the_list_cannot_approve_or_return_it_separation_of_duties() {
    let r = round().await;
    let s = r.school().await;
    r.articles(s, "张三", 3).await;
    for i in 0..4 {
        let other = r.school().await;
        r.articles(other, &format!("作者{i}"), 1).await;
    }
    r.checklist(s, serde_json::from_str(ALL_MET).unwrap()).await;
    // One member holding both roles.
    let name = format!("both-{}", &unique("")[..10]);
    r.app.grant(&name, Role::Secretariat, None, None).await;
    r.app.grant(&name, Role::Council, None, None).await;
    let both = r.app.login(&name).await;
    r.publish().await;
    r.build().await;
    r.app.close_notice_window(2021).await;
    assert_eq!(r.submit(&both).await.status(), 200);
    assert_problem(
        r.decide(&both, "approve").await,
        403,
        "SEPARATION_OF_DUTIES",
    )
    .await;
    assert_problem(r.decide(&both, "return").await, 403, "SEPARATION_OF_DUTIES").await;
    assert_eq!(r.proposal().await["status"], "submitted");
    let log = r.app.audit_of("proposal", "2021").await;
    let refused: Vec<_> = log
        .iter()
        .filter(|e| e.action == "proposal.refused")
        .collect();
    assert_eq!(refused.len(), 2);
    assert!(refused.iter().all(|e| e.actor_id == Some(both.member_id)));
    // Another council member decides.
    let council = r.app.member_with(Role::Council, None, None).await;
    assert_eq!(r.decide(&council, "approve").await.status(), 200);
    // The public list names who was honoured, not the secretariat's reasoning.
    let honours: Value = r
        .app
        .get("/api/v1/credit-years/2021/honours")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(honours["schools"][0]["key"], s.to_string());
    assert!(honours["schools"][0].get("why").is_none(), "{honours}");
}

#[tokio::test]
async fn eligibility_is_recorded_in_batches_and_read_back() {
    let r = round().await;
    let a = r.school().await;
    let b = r.school().await;
    r.articles(a, "张三", 2).await;
    let batch = json!({"items": [
        {"school_id": a, "mechanism": true, "process": true, "archive": true, "dedicated_staff": true},
        {"school_id": 999_999, "mechanism": true, "process": true, "archive": true, "dedicated_staff": true},
        {"school_id": b, "mechanism": true, "process": false, "archive": true, "dedicated_staff": true, "note": "无发布流程"}
    ]});
    let path = "/api/v1/credit-years/2021/school-eligibility";
    let res = r.app.post_as(path, &r.admin, &batch).await;
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.unwrap();
    assert_eq!(
        (out["done"].as_u64(), out["refused"].as_u64()),
        (Some(2), Some(1))
    );
    let statuses: Vec<u64> = out["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 404, 200]);
    assert_eq!(out["items"][1]["problem"]["code"], "NOT_FOUND");
    assert_eq!(out["items"][2]["result"]["unmet"], json!(["process"]));
    // Sent again: nothing changes twice; each recorded item names the record.
    let again: Value = r
        .app
        .post_as(path, &r.admin, &batch)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["done"], 0);
    assert_eq!(again["items"][0]["problem"]["code"], "STALE_DECISION");
    // Read back, one by one and all at once; each audited once.
    let list: Value = r.app.get_as(path, &r.admin).await.json().await.unwrap();
    let schools: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["school_id"].as_i64().unwrap())
        .collect();
    assert_eq!(schools, [a.min(b), a.max(b)]);
    let one = r
        .app
        .get_as(
            &format!("/api/v1/credit-years/2021/eligibility/{b}"),
            &r.admin,
        )
        .await;
    assert_eq!(one.status(), 200);
    assert_eq!(
        r.app
            .audit_of("school", &a.to_string())
            .await
            .iter()
            .filter(|e| e.action == "eligibility.school")
            .count(),
        1
    );
    // A school named twice: the first records, the second is told so.
    let c = r.school().await;
    let twice = json!({"items": [
        {"school_id": c, "mechanism": true, "process": true, "archive": true, "dedicated_staff": true},
        {"school_id": c, "mechanism": false, "process": true, "archive": true, "dedicated_staff": true}
    ]});
    let out: Value = r
        .app
        .post_as(path, &r.admin, &twice)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(out["items"][0]["status"], 200);
    assert_eq!(out["items"][1]["problem"]["code"], "STALE_DECISION");
    let c_now: Value = r
        .app
        .get_as(
            &format!("/api/v1/credit-years/2021/eligibility/{c}"),
            &r.admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c_now["mechanism"], true);
    // People by key in the body; a key matching nobody is refused, singly too.
    let key = format!("{a}/name:张三");
    let res = r
        .app
        .post_as(
            "/api/v1/credit-years/2021/individual-eligibility",
            &r.admin,
            &json!({"items": [
                {"key": key, "logistics_staff": true, "qualities_confirmed": true},
                {"key": format!("{a}/name:无此人"), "logistics_staff": true}
            ]}),
        )
        .await;
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["items"][0]["status"], 200);
    assert_eq!(out["items"][0]["result"]["eligible"], true);
    assert_eq!(out["items"][1]["problem"]["code"], "NOT_FOUND");
    let encoded: String =
        url::form_urlencoded::byte_serialize(format!("{a}/name:无此人").as_bytes()).collect();
    let res = r
        .app
        .put_as(
            &format!("/api/v1/credit-years/2021/individual-eligibility/{encoded}"),
            &r.admin,
            &json!({"logistics_staff": true}),
        )
        .await;
    assert_problem(res, 404, "NOT_FOUND").await;
    let people: Value = r
        .app
        .get_as("/api/v1/credit-years/2021/individual-eligibility", &r.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(keys(&people), vec![key]);
}

#[tokio::test]
async fn one_person_under_a_typed_name_and_a_member_is_one_row_once_merged() {
    let w = world().await;
    // The correspondent's real name: a typed name equal to it is them.
    let mut me: association::entity::member::ActiveModel =
        association::entity::member::Entity::find_by_id(w.writer.member_id)
            .one(&w.app.state.db)
            .await
            .unwrap()
            .unwrap()
            .into();
    me.real_name = Set(Some("张晓燕".into()));
    me.update(&w.app.state.db).await.unwrap();
    let submit = |path: &'static str, title: &'static str, author: &'static str| {
        let w = &w;
        async move {
            let url = w
                .on_association_site(
                    path,
                    &PageSpec {
                        title,
                        published: "2021-05-10 09:00",
                        column: "学校后勤动态",
                        body: STORY_ENERGY,
                    },
                )
                .await;
            let res = w
                .submit_as(
                    &w.writer,
                    json!({"url": url, "first_author_name": author, "declared_original": true}),
                )
                .await;
            let body: Value = res.json().await.unwrap();
            let id = body["id"].as_i64().unwrap_or_else(|| panic!("{body}"));
            w.app.verified_article(&w.writer, id).await;
            w.approve(id).await;
            id
        }
    };
    submit("/a1.html", "电子科技大学推进节约型校园建设", "张 晓燕").await;
    submit("/a2.html", "学生公寓维修改造工程顺利完工", "张小燕").await;
    let _ = STORY_DORM;
    let member_key = format!("{}/member:{}", w.school_id, w.writer.member_id);
    let typo_key = format!("{}/name:张小燕", w.school_id);
    let rows = individual_totals(&w.app, &w.admin).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows.contains(&(member_key.clone(), 1)),
        "the typed real name is the member: {rows:?}"
    );
    // The registry lists both; the secretariat merges the typo into the member.
    let path = format!("/api/v1/schools/{}/authors", w.school_id);
    let registry: Value = w.app.get_as(&path, &w.writer).await.json().await.unwrap();
    let id_of = |key: &str| {
        registry
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["row_key"] == key)
            .unwrap_or_else(|| panic!("{key} in {registry}"))["id"]
            .as_i64()
            .unwrap()
    };
    let (person, typo) = (id_of(&member_key), id_of(&typo_key));
    let merge = format!("{path}/{typo}/merge");
    let body = json!({"into": person, "reason": "同一人，姓名录入有误"});
    assert_problem(
        w.app.post_as(&merge, &w.writer, &body).await,
        403,
        "FORBIDDEN",
    )
    .await;
    let res = w.app.post_as(&merge, &w.admin, &body).await;
    assert_eq!(res.status(), 200);
    let kept: Value = res.json().await.unwrap();
    assert_eq!(kept["articles"], 2);
    assert_eq!(
        individual_totals(&w.app, &w.admin).await,
        vec![(member_key.clone(), 2)]
    );
    let audit = w.app.audit_of("author", &typo.to_string()).await;
    assert_eq!(audit[0].action, "author.merge");
    assert_eq!(audit[0].reason.as_deref(), Some("同一人，姓名录入有误"));
    // Merged twice: refused; the alias keeps working for later submissions.
    assert_problem(
        w.app.post_as(&merge, &w.admin, &body).await,
        409,
        "CONFLICT",
    )
    .await;
    let url = w
        .on_association_site(
            "/a3.html",
            &PageSpec {
                title: "后勤保障部开展消防演练",
                published: "2021-06-01 09:00",
                column: "学校后勤动态",
                body: STORY_DORM,
            },
        )
        .await;
    let res = w
        .submit_as(
            &w.writer,
            json!({"url": url, "first_author_name": "张小燕", "declared_original": true}),
        )
        .await;
    let third: Value = res.json().await.unwrap();
    let stored = association::entity::article::Entity::find_by_id(third["id"].as_i64().unwrap())
        .one(&w.app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.author_key, format!("member:{}", w.writer.member_id));
}

/// The individuals' standings as (key, total).
async fn individual_totals(app: &TestApp, admin: &Session) -> Vec<(String, i64)> {
    let v: Value = app
        .get_as(
            "/api/v1/credit-years/2021/standings?scope=individuals",
            admin,
        )
        .await
        .json()
        .await
        .unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["key"].as_str().unwrap().to_owned(),
                i["total"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_school_no_longer_a_member_in_the_year_is_refused_on_approval_inactive_school() {
    let r = round().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let s = r.school().await;
        r.articles(s, &format!("作者{i}"), 5 - i).await;
        ids.push(s);
    }
    r.checklist(ids[0], serde_json::from_str(ALL_MET).unwrap())
        .await;
    r.publish().await;
    r.build().await;
    r.app.close_notice_window(2021).await;
    assert_eq!(r.submit(&r.admin).await.status(), 200);
    // Recorded afterwards: the school left before the year began.
    let res = r
        .app
        .patch_as(
            &format!("/api/v1/schools/{}", ids[0]),
            &r.admin,
            &json!({"left_on": "2021-01-01"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let council = r.app.member_with(Role::Council, None, None).await;
    let problem = assert_problem(r.decide(&council, "approve").await, 409, "NOT_ELIGIBLE").await;
    assert_eq!(unmet_of(&problem), ["inactive_school"]);
    assert_eq!(r.proposal().await["status"], "submitted");
    // Returned, the list is rebuilt without it.
    assert_eq!(r.decide(&council, "return").await.status(), 200);
    let res = r
        .app
        .authed(
            reqwest::Method::POST,
            "/api/v1/credit-years/2021/proposal",
            &r.admin,
        )
        .header("If-Match", r.proposal().await["etag"].as_str().unwrap())
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let rebuilt: Value = res.json().await.unwrap();
    assert!(rebuilt["schools"]["entries"].as_array().unwrap().is_empty());
    assert_eq!(
        rebuilt["schools"]["left_out"][0]["why"]["unmet"][0],
        "inactive_school"
    );
}

#[tokio::test]
async fn two_phones_naming_the_same_new_author_at_once_make_one_author() {
    let w = world().await;
    let mut urls = Vec::new();
    for (i, title) in ["后勤保障部开展消防演练", "食堂开展光盘行动"]
        .iter()
        .enumerate()
    {
        urls.push(
            w.on_association_site(
                &format!("/race{i}.html"),
                &PageSpec {
                    title,
                    published: "2021-05-10 09:00",
                    column: "学校后勤动态",
                    body: if i == 0 { STORY_ENERGY } else { STORY_DORM },
                },
            )
            .await,
        );
    }
    let submit = |url: String| {
        let w = &w;
        async move {
            w.submit_as(
                &w.writer,
                json!({"url": url, "first_author_name": "李新", "declared_original": true}),
            )
            .await
            .status()
        }
    };
    let (a, b) = tokio::join!(submit(urls[0].clone()), submit(urls[1].clone()));
    assert_eq!((a.as_u16(), b.as_u16()), (201, 201));
    let registry: Value = w
        .app
        .get_as(
            &format!("/api/v1/schools/{}/authors", w.school_id),
            &w.admin,
        )
        .await
        .json()
        .await
        .unwrap();
    let named: Vec<&Value> = registry
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["author_key"] == "name:李新")
        .collect();
    assert_eq!(named.len(), 1, "{registry}");
    assert_eq!(named[0]["articles"], 2);
}

#[tokio::test]
async fn two_clerks_sending_overlapping_checklist_batches_at_once_record_each_school_once() {
    let r = round().await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(r.school().await);
    }
    let other = r.app.secretariat().await;
    let item = |id: i64| json!({"school_id": id, "mechanism": true, "process": true, "archive": true, "dedicated_staff": true});
    // The same schools in opposite orders: no deadlock survives the unit of work.
    let forward = json!({"items": ids.iter().map(|i| item(*i)).collect::<Vec<_>>()});
    let backward = json!({"items": ids.iter().rev().map(|i| item(*i)).collect::<Vec<_>>()});
    let path = "/api/v1/credit-years/2021/school-eligibility";
    let (a, b) = tokio::join!(
        r.app.post_as(path, &r.admin, &forward),
        r.app.post_as(path, &other, &backward)
    );
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_eq!(
        a["done"].as_u64().unwrap() + b["done"].as_u64().unwrap(),
        4,
        "{a} {b}"
    );
    for out in [&a, &b] {
        for item in out["items"].as_array().unwrap() {
            assert!(
                item["status"] == 200 || item["problem"]["code"] == "STALE_DECISION",
                "{item}"
            );
        }
    }
    let list: Value = r.app.get_as(path, &r.admin).await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 4);
    for id in &ids {
        let log = r.app.audit_of("school", &id.to_string()).await;
        assert_eq!(
            log.iter()
                .filter(|e| e.action == "eligibility.school")
                .count(),
            1
        );
    }
}

#[tokio::test]
async fn a_large_year_s_proposal_explains_its_left_out_rows_reading_only_the_top_of_the_notice() {
    let r = round().await;
    let school = r.school().await;
    let now = default_now();
    // 600 people with distinct totals (600, 599, …): a cap of 60.
    let rows: Vec<association::entity::article::ActiveModel> = (0..600)
        .map(|i| {
            let url = format!("https://news.example.cn/{}.html", unique("big"));
            let author = format!("作者{i:03}");
            association::entity::article::ActiveModel {
                school_id: Set(school),
                submitted_by: Set(r.admin.member_id),
                first_author_name: Set(Some(author.clone())),
                author_key: Set(association::articles::rules::author_key(
                    None,
                    Some(&author),
                )),
                url: Set(url.clone()),
                canonical_url: Set(url),
                url_key: Set(Some(unique("k"))),
                host: Set("news.example.cn".into()),
                source_id: Set(r.source_id),
                source_kind: Set("official".into()),
                title: Set(Some(unique("标题"))),
                credit_year: Set(Some(2021)),
                declared_original: Set(true),
                verification_status: Set("verified".into()),
                status: Set("approved".into()),
                site_points: Set(600 - i),
                bonus_points: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
        })
        .collect();
    for chunk in rows.chunks(100) {
        association::entity::article::Entity::insert_many(chunk.to_vec())
            .exec(&r.app.state.db)
            .await
            .unwrap();
    }
    r.app.articles_loaded().await;
    r.checklist(school, serde_json::from_str(ALL_MET).unwrap())
        .await;
    // The top 62 confirmed in one batch call, except the sixth.
    let key = |i: usize| format!("{school}/name:作者{i:03}");
    let items: Vec<Value> = (0..62)
        .filter(|i| *i != 5)
        .map(|i| json!({"key": key(i), "logistics_staff": true, "qualities_confirmed": true}))
        .collect();
    let res = r
        .app
        .post_as(
            "/api/v1/credit-years/2021/individual-eligibility",
            &r.admin,
            &json!({ "items": items }),
        )
        .await;
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["done"], 61, "{}", out["items"][0]);
    r.publish().await;
    let built = r.build().await;
    let people = &built["individuals"];
    assert_eq!(people["cap"], 60);
    let entries = keys(&people["entries"]);
    assert_eq!(entries.len(), 60);
    assert!(!entries.contains(&key(5)) && entries.contains(&key(60)));
    assert!(!entries.contains(&key(61)));
    let left: Vec<(String, Value)> = people["left_out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["key"].as_str().unwrap().to_owned(),
                l["why"]["unmet"].clone(),
            )
        })
        .collect();
    assert_eq!(
        left,
        vec![(
            key(5),
            json!(["staff_not_confirmed", "qualities_not_confirmed"])
        )]
    );
}
