//! The kept standings totals (issue 15): maintained in the transaction of
//! every change to an article's points, equal to a recount of the articles
//! (`totals::check`, the CLI's `check-totals`), and read by the standings
//! pages as keyset ranges whose ranks and positions continue across pages.

use association::articles::totals;
use association::cli::{Cli, run};
use clap::Parser;
use futures_util::future::join_all;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::articles::{World, world};
use crate::cli::settings_for;
use crate::helpers::{assert_problem, unique};

/// Submits a link on the association's site with typed facts (its page is
/// not served: the check fails and the typed facts stand); answers its id.
async fn submitted(w: &World, author: &str, published_on: &str) -> i64 {
    let url = w.association.url(&format!("/news/{}.html", unique("t")));
    let res = w
        .submit_as(
            &w.writer,
            json!({"url": url, "first_author_name": author, "declared_original": true,
                   "published_on": published_on, "column": "协会新闻"}),
        )
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "submitted: {body}");
    body["id"].as_i64().unwrap()
}

async fn consistent(w: &World) {
    let differences = totals::check(&w.app.state.db, None).await.unwrap();
    assert!(
        differences.is_empty(),
        "the kept totals differ from the articles: {differences:#?}"
    );
}

/// (key, rank, position, total) of every row of a scope, read page by page.
async fn standings_by_pages(
    w: &World,
    year: i32,
    scope: &str,
    size: u32,
) -> Vec<(String, i64, i64, i64)> {
    let mut rows = Vec::new();
    let mut token = String::new();
    loop {
        let res = w
            .app
            .get_as(
                &format!(
                    "/api/v1/credit-years/{year}/standings?scope={scope}&page_size={size}&page_token={token}"
                ),
                &w.admin,
            )
            .await;
        assert_eq!(res.status(), 200);
        let page: Value = res.json().await.unwrap();
        for r in page["items"].as_array().unwrap() {
            rows.push((
                r["key"].as_str().unwrap().to_owned(),
                r["rank"].as_i64().unwrap(),
                r["position"].as_i64().unwrap(),
                r["total"].as_i64().unwrap(),
            ));
        }
        match page["next_page_token"].as_str() {
            Some(t) => token = t.to_owned(),
            None => return rows,
        }
    }
}

#[tokio::test]
async fn the_kept_totals_follow_reviews_reposts_merges_and_a_revised_year() {
    let w = world().await;
    let a = submitted(&w, "张三", "2021-03-01").await;
    let b = submitted(&w, "张三", "2021-04-01").await;
    let c = submitted(&w, "李四", "2021-05-01").await;
    let d = submitted(&w, "李四", "2021-05-02").await;
    for id in [a, b, c, d] {
        w.approve(id).await;
    }
    consistent(&w).await;
    assert_eq!(w.school_points(2021).await, (4, 0));
    // A repost earns nothing; a duplicate merged into another is one story.
    let res = w
        .review(
            b,
            json!({"decision": "repost", "revises": "approved", "reason": "转载"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    w.merge(d, c).await;
    consistent(&w).await;
    assert_eq!(w.school_points(2021).await, (2, 0));
    // A revision moves an article to 2020: its point leaves 2021's totals.
    let res = w
        .review(
            a,
            json!({"decision": "approve", "revises": "approved", "published_on": "2020-12-05", "reason": "发布日期更正"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    consistent(&w).await;
    assert_eq!(w.school_points(2021).await, (1, 0));
    assert_eq!(w.school_points(2020).await, (1, 0));
    let rows = standings_by_pages(&w, 2020, "individuals", 20).await;
    assert_eq!(
        rows,
        vec![(format!("{}/name:张三", w.school_id), 1, 1, 1)],
        "the person has the point in 2020"
    );
    let rows = standings_by_pages(&w, 2021, "individuals", 20).await;
    assert_eq!(rows, vec![(format!("{}/name:李四", w.school_id), 1, 1, 1)]);
    // Rejecting the story's carrier passes its point to the merged duplicate;
    // rejecting that too leaves no row at all.
    let res = w
        .review(
            c,
            json!({"decision": "reject", "revises": "approved", "reason": "非本校稿件"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    consistent(&w).await;
    assert_eq!(w.points(d).await, (1, 0));
    let res = w
        .review(
            d,
            json!({"decision": "reject", "revises": "approved", "reason": "非本校稿件"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    consistent(&w).await;
    assert!(standings_by_pages(&w, 2021, "schools", 20).await.is_empty());
}

#[tokio::test]
async fn reviews_of_one_authors_articles_at_once_keep_exact_totals() {
    let w = world().await;
    let mut ids = Vec::new();
    for day in 1..=6 {
        ids.push(submitted(&w, "王五", &format!("2021-06-0{day}")).await);
    }
    // Six clerks approve the same person's six articles at the same moment:
    // every refresh of the person's and the school's rows sees the others'.
    let answers = join_all(
        ids.iter()
            .map(|&id| w.review(id, json!({"decision": "approve"}))),
    )
    .await;
    for res in answers {
        assert_eq!(res.status(), 200);
    }
    consistent(&w).await;
    let rows = standings_by_pages(&w, 2021, "individuals", 20).await;
    assert_eq!(rows, vec![(format!("{}/name:王五", w.school_id), 1, 1, 6)]);
    let schools = standings_by_pages(&w, 2021, "schools", 20).await;
    assert_eq!(schools, vec![(w.school_id.to_string(), 1, 1, 6)]);
    // And at once the other way.
    let answers = join_all(ids.iter().map(|&id| {
        w.review(
            id,
            json!({"decision": "reject", "revises": "approved", "reason": "复核不计"}),
        )
    }))
    .await;
    for res in answers {
        assert_eq!(res.status(), 200);
    }
    consistent(&w).await;
    assert!(
        standings_by_pages(&w, 2021, "individuals", 20)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_random_load_of_reviews_and_merges_leaves_the_totals_equal_to_a_recount() {
    let w = world().await;
    let authors = ["甲", "乙", "丙", "丁"];
    let mut ids = Vec::new();
    for i in 0..16usize {
        ids.push(submitted(&w, authors[i % 4], &format!("2021-07-{:02}", 1 + i)).await);
    }
    // A fixed pseudo-random walk (the same every run), so a failure repeats.
    let mut x: u64 = 0x2021_1103;
    let mut next = |n: usize| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        usize::try_from(x >> 33).unwrap() % n
    };
    let mut status: Vec<&str> = vec!["pending"; ids.len()];
    for _ in 0..40 {
        let i = next(ids.len());
        let decision = ["approve", "reject", "repost"][next(3)];
        let mut body = json!({"decision": decision, "reason": "复核"});
        if status[i] != "pending" {
            body["revises"] = json!(status[i]);
        }
        if next(4) == 0 {
            // Now and then, merge two as one story instead.
            let j = next(ids.len());
            if j != i {
                let res = w
                    .app
                    .post_as(
                        &format!("/api/v1/articles/{}/merge", ids[i]),
                        &w.admin,
                        &json!({"into_id": ids[j]}),
                    )
                    .await;
                assert!(!res.status().is_server_error(), "merge: {}", res.status());
                continue;
            }
        }
        let res = w.review(ids[i], body).await;
        if res.status() == 200 {
            status[i] = match decision {
                "approve" => "approved",
                "reject" => "rejected",
                _ => "repost",
            };
        }
    }
    consistent(&w).await;
    // The standings read from the totals agree with the recount too.
    let (site, bonus) = w.school_points(2021).await;
    let schools = standings_by_pages(&w, 2021, "schools", 20).await;
    let kept_total: i64 = schools.iter().map(|r| r.3).sum();
    assert_eq!(kept_total, site + bonus);
}

/// A year of 11 schools with totals 5, 4, 4, 4, 3, 2, 2, 1, 1, 1, 1, its
/// articles written straight into the database (then the totals rebuilt).
async fn tied_year() -> World {
    use sea_orm::{ActiveModelTrait, Set};
    let w = world().await;
    let mut schools = vec![w.school_id];
    for _ in 1..11 {
        schools.push(w.app.district_and_school(&w.admin).await.1);
    }
    let source = source_of(&w).await;
    let now = crate::helpers::default_now();
    for (school, n) in schools.iter().zip([5, 4, 4, 4, 3, 2, 2, 1, 1, 1, 1]) {
        for _ in 0..n {
            let url = format!("https://news.example.cn/{}.html", unique("a"));
            association::entity::article::ActiveModel {
                school_id: Set(*school),
                submitted_by: Set(w.admin.member_id),
                first_author_name: Set(Some("赵六".to_owned())),
                author_key: Set("name:赵六".to_owned()),
                url: Set(url.clone()),
                canonical_url: Set(url),
                url_key: Set(Some(unique("k"))),
                host: Set("news.example.cn".into()),
                source_id: Set(source),
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
            .insert(&w.app.state.db)
            .await
            .unwrap();
        }
    }
    w.app.articles_loaded().await;
    w
}

async fn source_of(w: &World) -> i64 {
    let db = &w.app.state.db;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT MIN(id) AS id FROM sources".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "id").unwrap()
}

#[tokio::test]
async fn standings_pages_continue_ranks_and_positions_across_tied_rows() {
    let w = tied_year().await;
    let whole = standings_by_pages(&w, 2021, "schools", 100).await;
    let ranks: Vec<(i64, i64, i64)> = whole.iter().map(|r| (r.1, r.2, r.3)).collect();
    assert_eq!(
        ranks,
        vec![
            (1, 1, 5),
            (2, 2, 4),
            (2, 3, 4),
            (2, 4, 4),
            (5, 5, 3),
            (6, 6, 2),
            (6, 7, 2),
            (8, 8, 1),
            (8, 9, 1),
            (8, 10, 1),
            (8, 11, 1)
        ]
    );
    // Pages of 1, 2 and 3 rows cut the tied groups anywhere: the same rows,
    // ranks and positions.
    for size in [1, 2, 3] {
        assert_eq!(
            standings_by_pages(&w, 2021, "schools", size).await,
            whole,
            "pages of {size}"
        );
    }
    // The cap: 20 % of 11 schools is 2; the tie at rank 2 straddles it.
    let first: Value = w
        .app
        .get_as(
            "/api/v1/credit-years/2021/standings?scope=schools&page_size=2",
            &w.admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["population"], 11);
    assert_eq!(first["cap"], 2);
    assert_eq!(first["cutoff_rank"], 2);
    assert_eq!(first["tied_rank"], 2);
    assert_eq!(first["items"][1]["tied_at_cutoff"], true);
}

#[tokio::test]
async fn a_page_token_past_the_last_row_answers_no_rows_with_the_figures() {
    let w = tied_year().await;
    let page: Value = w
        .app
        .get_as(
            "/api/v1/credit-years/2021/standings?scope=schools&page_size=10",
            &w.admin,
        )
        .await
        .json()
        .await
        .unwrap();
    let token = page["next_page_token"].as_str().unwrap().to_owned();
    // The last school's article is rejected: the token now points past the end.
    let db = &w.app.state.db;
    db.execute_unprepared(
        "UPDATE articles SET site_points = 0 WHERE id = (SELECT MAX(id) FROM articles)",
    )
    .await
    .unwrap();
    w.app.articles_loaded().await;
    let res = w
        .app
        .get_as(
            &format!(
                "/api/v1/credit-years/2021/standings?scope=schools&page_size=10&page_token={token}"
            ),
            &w.admin,
        )
        .await;
    assert_eq!(res.status(), 200);
    let past: Value = res.json().await.unwrap();
    assert_eq!(past["items"], json!([]));
    assert_eq!(past["population"], 10);
    assert_eq!(past["cap"], 2);
    assert!(past.get("next_page_token").is_none());
    // A token of another list is refused.
    let other = w
        .app
        .get_as(
            &format!("/api/v1/credit-years/2021/standings?scope=individuals&page_token={token}"),
            &w.admin,
        )
        .await;
    assert_problem(other, 400, "INVALID_PAGE_TOKEN").await;
}

#[tokio::test]
async fn check_totals_finds_a_row_that_differs_and_repair_mends_it() {
    let w = tied_year().await;
    let check = || Cli::parse_from(["association", "check-totals", "--year", "2021"]);
    run(check(), settings_for(&w.app.db.url)).await.unwrap();
    let db = &w.app.state.db;
    db.execute_unprepared(&format!(
        "UPDATE standing_schools SET total = total + 1 WHERE school_id = {}",
        w.school_id
    ))
    .await
    .unwrap();
    let differences = totals::check(db, Some(2021)).await.unwrap();
    assert_eq!(differences.len(), 1, "{differences:?}");
    assert_eq!(differences[0].school_id, w.school_id);
    assert_eq!(differences[0].expected.as_ref().unwrap().total, 5);
    assert_eq!(differences[0].stored.as_ref().unwrap().total, 6);
    let failed = run(check(), settings_for(&w.app.db.url)).await.unwrap_err();
    assert!(failed.to_string().contains("1 rows"), "{failed}");
    let repair = Cli::parse_from(["association", "check-totals", "--repair"]);
    run(repair, settings_for(&w.app.db.url)).await.unwrap();
    assert!(totals::check(db, None).await.unwrap().is_empty());
}
