//! Writers at once and a database that goes away (issue 9, items 4 and 5).
//!
//! Eight writers start together on each kind of write and send a fixed
//! number of requests each: every answer is one a user may see (never 500,
//! and never 503 either: a busy embedded database queues its writers), and
//! what is stored afterwards is consistent. A database that is lost answers
//! 503 `DATABASE_UNAVAILABLE` with `Retry-After` on reads and writes, and
//! service resumes when it is back, without a restart.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use association::entity::{article, audit_log, district, nomination, refresh_token, school};
use association::identity::roles::Role;
use association::identity::tokens::hash_refresh_token;
use futures_util::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::articles::{World, world};
use crate::helpers::{
    Session, TestApp, assert_problem, person_form, spawn_app, spawn_app_on, spawn_app_with,
};

/// Writers started together.
const WRITERS: usize = 8;
/// Requests each writer sends, one after the other.
const ROUNDS: usize = 12;

// ------------------------------------------------------------------ harness

/// What a user saw: the status, the problem `code` when there is one, the body.
struct Seen {
    status: u16,
    code: Option<String>,
    body: Value,
    etag: Option<String>,
}

async fn seen(res: reqwest::Response) -> Seen {
    let status = res.status().as_u16();
    let etag = res
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = res.text().await.unwrap_or_default();
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    let code = body.get("code").and_then(Value::as_str).map(str::to_owned);
    Seen {
        status,
        code,
        body,
        etag,
    }
}

/// Runs `writer(0..WRITERS)` all released at the same instant; answers what
/// each writer answered, in writer order.
async fn all_at_once<T, F, Fut>(writer: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T>,
{
    let start = Barrier::new(WRITERS);
    join_all((0..WRITERS).map(|i| {
        let (start, run) = (&start, writer(i));
        async move {
            start.wait().await;
            run.await
        }
    }))
    .await
}

/// An expected answer: a status, and for a problem its code.
type Expected = (u16, Option<&'static str>);
const OK: Expected = (200, None);
const CREATED: Expected = (201, None);

/// Asserts every answer is expected; the message counts each kind of answer
/// (e.g. `200 ×60, 503 DATABASE_UNAVAILABLE ×36`). Answers how many had
/// each status.
fn assert_only(what: &str, answers: &[&Seen], expected: &[Expected]) -> BTreeMap<u16, usize> {
    let mut kinds: BTreeMap<(u16, Option<&str>), usize> = BTreeMap::new();
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for a in answers {
        *kinds.entry((a.status, a.code.as_deref())).or_default() += 1;
        *by_status.entry(a.status).or_default() += 1;
    }
    let tally = kinds
        .iter()
        .map(|((status, code), n)| match code {
            Some(code) => format!("{status} {code} ×{n}"),
            None => format!("{status} ×{n}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let summary = format!("{what}: {} answers: {tally}", answers.len());
    eprintln!("{summary}");
    let unexpected: Vec<&&Seen> = answers
        .iter()
        .filter(|a| {
            !expected.iter().any(|(status, code)| {
                a.status == *status && (code.is_none() || a.code.as_deref() == *code)
            })
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "{summary}; expected only {expected:?}; first unexpected body: {}",
        unexpected[0].body
    );
    by_status
}

/// `n` secretariat members, logged in.
async fn secretariats(app: &TestApp, n: usize) -> Vec<Session> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(app.secretariat().await);
    }
    out
}

/// A row of the organisation that the secretariat renames.
#[derive(Clone, Copy)]
enum Org {
    School,
    District,
}

impl Org {
    fn kind(self) -> &'static str {
        match self {
            Self::School => "school",
            Self::District => "district",
        }
    }

    async fn stored_name(self, app: &TestApp, id: i64) -> String {
        let db = &app.state.db;
        match self {
            Self::School => {
                school::Entity::find_by_id(id)
                    .one(db)
                    .await
                    .unwrap()
                    .unwrap()
                    .name
            }
            Self::District => {
                district::Entity::find_by_id(id)
                    .one(db)
                    .await
                    .unwrap()
                    .unwrap()
                    .name
            }
        }
    }
}

/// Eight secretariat members rename one school or district at once, each
/// `ROUNDS` times with names of their own: every answer is 200, the stored
/// name is one of those written, and each rename left its audit row.
async fn renamed_at_once(org: Org) {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (district_id, school_id) = app.district_and_school(&admin).await;
    let kind = org.kind();
    let id = match org {
        Org::School => school_id,
        Org::District => district_id,
    };
    let path = format!("/api/v1/{kind}s/{id}");
    let name = |i: usize, r: usize| format!("并发{kind}{i}-{r}");
    let editors = secretariats(&app, WRITERS).await;
    let (app, path, name) = (&app, &path, &name);
    let answers = all_at_once(|i| {
        let who = &editors[i];
        async move {
            let mut out = Vec::with_capacity(ROUNDS);
            for r in 0..ROUNDS {
                let res = app
                    .patch_as(path, who, &json!({ "name": name(i, r) }))
                    .await;
                out.push(seen(res).await);
            }
            out
        }
    })
    .await;
    let answers: Vec<&Seen> = answers.iter().flatten().collect();
    let counts = assert_only(&format!("PATCH /{kind}s/{{id}}"), &answers, &[OK]);
    let written: HashSet<String> = (0..WRITERS)
        .flat_map(|i| (0..ROUNDS).map(move |r| name(i, r)))
        .collect();
    let stored = org.stored_name(app, id).await;
    assert!(written.contains(&stored), "stored {stored}");
    let audited = app
        .audit_of(kind, &id.to_string())
        .await
        .iter()
        .filter(|e| e.action == format!("{kind}.update"))
        .count();
    assert_eq!(audited, counts[&200], "one audit row per rename");
}

// ------------------------------------------------------------ organisation

#[tokio::test]
async fn eight_secretariat_members_editing_one_school_at_once_all_get_200() {
    renamed_at_once(Org::School).await;
}

#[tokio::test]
async fn eight_secretariat_members_renaming_one_district_at_once_all_get_200() {
    renamed_at_once(Org::District).await;
}

// ------------------------------------------------------------------ tokens

#[tokio::test]
async fn eight_members_refreshing_their_own_tokens_at_once_all_get_200() {
    let app = spawn_app().await;
    let mut logins = Vec::with_capacity(WRITERS);
    for i in 0..WRITERS {
        logins.push(app.login(&format!("refresher-{i}")).await);
    }
    let app = &app;
    let chains = all_at_once(|i| {
        let mut session = logins[i].clone();
        async move {
            let mut out = Vec::with_capacity(ROUNDS);
            for _ in 0..ROUNDS {
                let res = app
                    .client
                    .post(app.url("/api/v1/auth/refresh"))
                    .json(&json!({ "refresh_token": session.refresh_token }))
                    .send()
                    .await
                    .unwrap();
                let s = seen(res).await;
                if s.status == 200 {
                    session.access_token = s.body["access_token"].as_str().unwrap().to_owned();
                    session.refresh_token = s.body["refresh_token"].as_str().unwrap().to_owned();
                }
                out.push(s);
            }
            (out, session)
        }
    })
    .await;
    let answers: Vec<&Seen> = chains.iter().flat_map(|(a, _)| a).collect();
    assert_only("POST /auth/refresh", &answers, &[OK]);
    for (answers, last) in &chains {
        let me = app.get_as("/api/v1/me", last).await;
        assert_eq!(me.status(), 200, "the last access token works");
        let tokens = refresh_token::Entity::find()
            .filter(refresh_token::Column::MemberId.eq(last.member_id))
            .all(&app.state.db)
            .await
            .unwrap();
        assert_eq!(tokens.len(), 1 + answers.len(), "one token per refresh");
        assert!(
            tokens.iter().all(|t| t.revoked_at.is_none()),
            "none revoked"
        );
        let unused: Vec<&str> = tokens
            .iter()
            .filter(|t| t.used_at.is_none())
            .map(|t| t.token_hash.as_str())
            .collect();
        assert_eq!(
            unused,
            [hash_refresh_token(&last.refresh_token)],
            "exactly the last token answered is unused"
        );
    }
}

// ---------------------------------------------------------------- articles

/// A submission of a distinct link of the association's site that earns a
/// point once approved (date and counted column declared).
fn submission(w: &World, path: &str) -> Value {
    json!({
        "url": w.association.url(path),
        "school_id": w.school_id,
        "first_author_name": "张三",
        "declared_original": true,
        "published_on": "2021-10-08",
        "column": "学校后勤动态",
    })
}

/// `who` approves the article as it stands.
async fn approve(w: &World, who: &Session, id: i64) -> Seen {
    let path = format!("/api/v1/articles/{id}/review");
    seen(
        w.app
            .post_as(&path, who, &json!({"decision": "approve"}))
            .await,
    )
    .await
}

/// Each of `who` submits `n` articles of their own and approves them when
/// `approved`; answers each one's article ids.
async fn articles_of(w: &World, who: &[Session], n: usize, approved: bool) -> Vec<Vec<i64>> {
    all_at_once(|i| async move {
        let mut ids = Vec::with_capacity(n);
        for k in 0..n {
            let body = submission(w, &format!("/setup/{i}/{k}.html"));
            let s = seen(w.submit_as(&who[i], body).await).await;
            assert_eq!(s.status, 201, "setup: submitted: {}", s.body);
            let id = s.body["id"].as_i64().unwrap();
            if approved {
                let s = approve(w, &who[i], id).await;
                assert_eq!(s.status, 200, "setup: approved: {}", s.body);
            }
            ids.push(id);
        }
        ids
    })
    .await
}

/// The stored articles of these ids, by id.
async fn stored_articles(w: &World, ids: &[i64]) -> BTreeMap<i64, article::Model> {
    article::Entity::find()
        .filter(article::Column::Id.is_in(ids.iter().copied()))
        .all(&w.app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.id, a))
        .collect()
}

#[tokio::test]
async fn eight_correspondents_submitting_distinct_links_at_once_all_get_201() {
    let w = world().await;
    let mut writers = Vec::with_capacity(WRITERS);
    for _ in 0..WRITERS {
        writers.push(
            w.app
                .member_with(Role::Correspondent, Some(w.school_id), None)
                .await,
        );
    }
    let (w, writers) = (&w, &writers);
    let answers = all_at_once(|i| async move {
        let mut out = Vec::with_capacity(ROUNDS);
        for r in 0..ROUNDS {
            let body = submission(w, &format!("/race/{i}/{r}.html"));
            out.push(seen(w.submit_as(&writers[i], body).await).await);
        }
        out
    })
    .await;
    let answers: Vec<&Seen> = answers.iter().flatten().collect();
    assert_only("POST /articles", &answers, &[CREATED]);
    let ids: HashSet<i64> = answers
        .iter()
        .map(|a| a.body["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), WRITERS * ROUNDS, "one article per submission");
    let stored = article::Entity::find()
        .filter(article::Column::SchoolId.eq(w.school_id))
        .count(&w.app.state.db)
        .await
        .unwrap();
    assert_eq!(stored, (WRITERS * ROUNDS) as u64);
}

#[tokio::test]
async fn eight_secretariat_members_reviewing_distinct_articles_at_once_all_get_200() {
    let w = world().await;
    let reviewers = secretariats(&w.app, WRITERS).await;
    let ids = articles_of(&w, &reviewers, ROUNDS, false).await;
    let (w, reviewers, ids) = (&w, &reviewers, &ids);
    let answers = all_at_once(|i| async move {
        let mut out = Vec::with_capacity(ROUNDS);
        for id in &ids[i] {
            out.push(approve(w, &reviewers[i], *id).await);
        }
        out
    })
    .await;
    let answers: Vec<&Seen> = answers.iter().flatten().collect();
    assert_only("POST /articles/{id}/review", &answers, &[OK]);
    let all: Vec<i64> = ids.iter().flatten().copied().collect();
    let stored = stored_articles(w, &all).await;
    assert_eq!(stored.len(), all.len());
    for (id, a) in &stored {
        assert_eq!(
            (a.status.as_str(), a.site_points),
            ("approved", 1),
            "article {id}"
        );
    }
    let reviews = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("article.review"))
        .count(&w.app.state.db)
        .await
        .unwrap();
    assert_eq!(
        reviews,
        (WRITERS * ROUNDS) as u64,
        "one audit row per review"
    );
}

async fn merge(w: &World, who: &Session, id: i64, into: i64) -> Seen {
    let res = w
        .app
        .post_as(
            &format!("/api/v1/articles/{id}/merge"),
            who,
            &json!({ "into_id": into }),
        )
        .await;
    seen(res).await
}

#[tokio::test]
async fn merging_two_articles_both_ways_at_once_never_fails_and_leaves_one_story() {
    /// Pairs each writer races.
    const PAIRS: usize = 4;
    let w = world().await;
    let mergers = secretariats(&w.app, WRITERS).await;
    let ids = articles_of(&w, &mergers, 2 * PAIRS, true).await;
    let (w, mergers, ids) = (&w, &mergers, &ids);
    let rounds = all_at_once(|i| async move {
        let mut out = Vec::with_capacity(PAIRS);
        for pair in ids[i].chunks(2) {
            let (a, b) = (pair[0], pair[1]);
            let (ab, ba) = tokio::join!(merge(w, &mergers[i], a, b), merge(w, &mergers[i], b, a));
            out.push(((a, b), ab, ba));
        }
        out
    })
    .await;
    let rounds: Vec<_> = rounds.into_iter().flatten().collect();
    let answers: Vec<&Seen> = rounds.iter().flat_map(|(_, ab, ba)| [ab, ba]).collect();
    // Serially both answer 200 (the second finds them merged); a refusal of
    // the second as a conflict would do too; a failure never.
    assert_only(
        "POST /articles/{id}/merge (A→B racing B→A)",
        &answers,
        &[OK, (409, None)],
    );
    let all: Vec<i64> = ids.iter().flatten().copied().collect();
    let stored = stored_articles(w, &all).await;
    for ((a, b), ab, ba) in &rounds {
        assert!(
            ab.status == 200 || ba.status == 200,
            "one of the two merges of {a} and {b} answers 200"
        );
        let (sa, sb) = (&stored[a], &stored[b]);
        assert_eq!(
            sa.duplicate_group_id, sb.duplicate_group_id,
            "{a} and {b} are one story"
        );
        assert!(
            sa.duplicate_group_id == Some(*a) || sa.duplicate_group_id == Some(*b),
            "the group of {a} and {b} is one of them: {:?}",
            sa.duplicate_group_id
        );
        assert_eq!(
            (sa.site_points, sb.site_points),
            (1, 0),
            "the story of {a} and {b} counts once, on the older article"
        );
    }
}

// ------------------------------------------------------------- nominations

#[tokio::test]
async fn eight_leads_editing_one_nomination_at_once_get_200_or_412_and_no_edit_is_lost() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (district, lead) = app.district_with_lead(&admin).await;
    let mut leads = vec![lead];
    for _ in 1..WRITERS {
        leads.push(
            app.member_with(Role::DistrictLead, None, Some(district))
                .await,
        );
    }
    let id = app
        .draft(
            &leads[0],
            campaign,
            "person",
            person_form("张敬业", "电子科技大学"),
        )
        .await;
    let (app, leads) = (&app, &leads);
    let path = format!("/api/v1/nominations/{id}");
    let path = &path;
    // Each round: read the ETag, then save an edit of one's own with it.
    let rounds = all_at_once(|i| async move {
        let mut out = Vec::with_capacity(ROUNDS);
        for r in 0..ROUNDS {
            let read = seen(app.get_as(path, &leads[i]).await).await;
            let edit = match read.etag.clone().filter(|_| read.status == 200) {
                Some(etag) => {
                    let department = format!("后勤处{i}-{r}");
                    let res = app
                        .patch_form(
                            &leads[i],
                            id,
                            Some(&etag),
                            json!({ "department": department }),
                        )
                        .await;
                    Some((department, seen(res).await))
                }
                None => None,
            };
            out.push((read, edit));
        }
        out
    })
    .await;
    let rounds: Vec<_> = rounds.into_iter().flatten().collect();
    let reads: Vec<&Seen> = rounds.iter().map(|(read, _)| read).collect();
    assert_only("GET /nominations/{id}", &reads, &[OK]);
    let edits: Vec<&(String, Seen)> = rounds.iter().filter_map(|(_, e)| e.as_ref()).collect();
    let answers: Vec<&Seen> = edits.iter().map(|(_, s)| s).collect();
    assert_only(
        "PATCH /nominations/{id} with If-Match",
        &answers,
        &[OK, (412, Some("PRECONDITION_FAILED"))],
    );
    let saved: Vec<&(String, Seen)> = edits.into_iter().filter(|(_, s)| s.status == 200).collect();
    let new_tags: HashSet<&str> = saved
        .iter()
        .filter_map(|(_, s)| s.etag.as_deref())
        .collect();
    assert_eq!(
        new_tags.len(),
        saved.len(),
        "every 200 made a version of its own"
    );
    let stored = nomination::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.version as usize,
        1 + saved.len(),
        "no saved edit was lost"
    );
    let form: Value = serde_json::from_str(&stored.form).unwrap();
    assert!(
        saved.iter().any(|(d, _)| form["department"] == d.as_str()),
        "the stored department is one of those saved: {}",
        form["department"]
    );
}

// ----------------------------------------------------- a database goes away

/// Asserts the answer is `503 DATABASE_UNAVAILABLE` with `Retry-After`,
/// given after at least `waited` (the storage timeout) and within 5 s.
async fn assert_unavailable(
    what: &str,
    waited: Duration,
    send: impl Future<Output = reqwest::Response>,
) {
    let started = Instant::now();
    let res = send.await;
    let took = started.elapsed();
    eprintln!("{what}: {} after {took:?}", res.status());
    let retry_after = res.headers().get("retry-after").cloned();
    let status = res.status();
    let body = assert_problem(res, 503, "DATABASE_UNAVAILABLE").await;
    assert!(
        retry_after.is_some(),
        "{what}: Retry-After on the 503 ({status}): {body}"
    );
    assert!(
        took >= waited && took < Duration::from_secs(5),
        "{what}: answered after {took:?}, expected after {waited:?} and within 5 s"
    );
}

async fn assert_ok(what: &str, res: reqwest::Response) -> Value {
    let s = seen(res).await;
    assert_eq!(s.status, 200, "{what}: {}", s.body);
    s.body
}

/// The PostgreSQL server binaries of this machine (`initdb`, `pg_ctl`), newest version.
fn pg_bin() -> PathBuf {
    let mut bins: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.path().join("bin"))
                .filter(|bin| bin.join("initdb").is_file() && bin.join("pg_ctl").is_file())
                .collect()
        })
        .unwrap_or_default();
    bins.sort_by_key(|b| {
        b.parent()
            .and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok())
            .unwrap_or(0)
    });
    bins.pop().unwrap_or_else(|| {
        panic!(
            "this test starts a private PostgreSQL cluster and needs the server binaries \
             (initdb, pg_ctl) under /usr/lib/postgresql/<version>/bin: install the \
             `postgresql` package"
        )
    })
}

/// The user and group the cluster runs as when the tests run as root
/// (PostgreSQL refuses to run as root): `postgres`, else `nobody`.
fn unprivileged_user() -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    let euid = std::fs::metadata("/proc/self").map(|m| m.uid()).ok()?;
    if euid != 0 {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let entry = |name: &str| {
        passwd.lines().find_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() > 3 && f[0] == name {
                Some((f[2].parse().ok()?, f[3].parse().ok()?))
            } else {
                None
            }
        })
    };
    Some(
        entry("postgres")
            .or_else(|| entry("nobody"))
            .expect("running as root: a `postgres` or `nobody` user to run PostgreSQL as"),
    )
}

/// A private PostgreSQL cluster in a temp dir on a free port, trusting
/// local connections; stopped and removed when dropped.
struct PgCluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    user: Option<(u32, u32)>,
}

impl PgCluster {
    fn start() -> Self {
        let bin = pg_bin();
        let user = unprivileged_user();
        let dir = std::env::temp_dir().join(crate::helpers::unique("association-pg-"));
        std::fs::create_dir_all(&dir).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Self {
            bin,
            dir,
            port,
            user,
        };
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(&cluster.dir, Some(uid), Some(gid)).unwrap();
        }
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "-D",
                path_str(&data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        let conf = format!(
            "\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n",
            cluster.dir.display()
        );
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .unwrap();
        std::io::Write::write_all(&mut f, conf.as_bytes()).unwrap();
        cluster.start_again();
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// `pg_ctl start`, waiting until it accepts connections.
    fn start_again(&self) {
        let (data, log) = (self.data(), self.dir.join("server.log"));
        self.run(
            "pg_ctl",
            &[
                "-D",
                path_str(&data),
                "-l",
                path_str(&log),
                "-w",
                "-t",
                "30",
                "start",
            ],
        );
    }

    /// `pg_ctl stop -m fast`: connections are closed, the server goes away.
    fn stop(&self) {
        let data = self.data();
        self.run(
            "pg_ctl",
            &["-D", path_str(&data), "-m", "fast", "-w", "stop"],
        );
    }

    fn command(&self, program: &str) -> Command {
        use std::os::unix::process::CommandExt;
        let mut cmd = Command::new(self.bin.join(program));
        cmd.current_dir(&self.dir);
        if let Some((uid, gid)) = self.user {
            cmd.uid(uid).gid(gid);
        }
        cmd
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self
            .command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}\n{}\nserver log:\n{log}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .command("pg_ctl")
            .args(["-D", path_str(&data), "-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

#[tokio::test]
async fn a_lost_postgres_answers_503_with_retry_after_and_service_resumes_when_it_is_back() {
    let cluster = PgCluster::start();
    let app = spawn_app_on(&cluster.url(), &[("DATABASE_ACQUIRE_TIMEOUT_MS", "1000")]).await;
    let admin = app.secretariat().await;
    let (district_id, _) = app.district_and_school(&admin).await;
    let (app, admin) = (&app, &admin);
    let district = format!("/api/v1/districts/{district_id}");
    let district = &district;
    let read = || app.get("/api/v1/districts");
    let read_as_member = || app.get_as("/api/v1/me", admin);
    let write = |name: &'static str| async move {
        app.patch_as(district, admin, &json!({ "name": name }))
            .await
    };
    assert_ok("read", read().await).await;
    assert_ok("write", write("成都片区").await).await;

    cluster.stop();
    tokio::join!(
        assert_unavailable("read with PostgreSQL stopped", Duration::ZERO, read()),
        assert_unavailable(
            "read as a member with PostgreSQL stopped",
            Duration::ZERO,
            read_as_member()
        ),
        assert_unavailable(
            "write with PostgreSQL stopped",
            Duration::ZERO,
            write("绵阳片区")
        ),
    );

    cluster.start_again();
    assert_ok("read once PostgreSQL is back", read().await).await;
    assert_ok("read as a member once back", read_as_member().await).await;
    let body = assert_ok("write once back", write("德阳片区").await).await;
    assert_eq!(body["name"], "德阳片区");
}

#[tokio::test]
async fn a_sqlite_write_lock_held_elsewhere_answers_503_with_retry_after_until_released() {
    use sea_orm::sqlx::{Connection, Executor, SqliteConnection};
    /// A writer waits this long for the lock (`DATABASE_BUSY_TIMEOUT_MS`), then answers 503.
    const BUSY: Duration = Duration::from_millis(300);
    let app = spawn_app_with(|env| {
        env.insert(
            "DATABASE_BUSY_TIMEOUT_MS".into(),
            BUSY.as_millis().to_string(),
        );
    })
    .await;
    if app.db.is_postgres() {
        eprintln!("skipped: the suite runs on PostgreSQL (see the PostgreSQL variant)");
        return;
    }
    let admin = app.secretariat().await;
    let (district_id, _) = app.district_and_school(&admin).await;
    let district = format!("/api/v1/districts/{district_id}");
    let (app, admin, district) = (&app, &admin, &district);
    let write = |name: &'static str| async move {
        app.patch_as(district, admin, &json!({ "name": name }))
            .await
    };
    let refresh = || {
        app.client
            .post(app.url("/api/v1/auth/refresh"))
            .json(&json!({ "refresh_token": admin.refresh_token }))
            .send()
    };
    assert_ok("write", write("成都片区").await).await;

    let mut holder = SqliteConnection::connect(&app.db.url).await.unwrap();
    holder.execute("BEGIN EXCLUSIVE").await.unwrap();
    tokio::join!(
        assert_unavailable("write while the lock is held", BUSY, write("绵阳片区")),
        assert_unavailable("refresh while the lock is held", BUSY, async {
            refresh().await.unwrap()
        }),
    );
    // Readers are not writers: they go on while the lock is held.
    assert_ok(
        "read while the lock is held",
        app.get("/api/v1/districts").await,
    )
    .await;
    assert_ok(
        "read as a member while the lock is held",
        app.get_as("/api/v1/me", admin).await,
    )
    .await;
    holder.execute("ROLLBACK").await.unwrap();
    holder.close().await.unwrap();

    let body = assert_ok("the same write once released", write("绵阳片区").await).await;
    assert_eq!(body["name"], "绵阳片区");
    assert_ok("refresh once released", refresh().await.unwrap()).await;
}
