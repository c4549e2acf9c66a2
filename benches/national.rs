//! Benchmark of issue 15 (national-scale speed), every figure side by side in
//! one run: the API (the release server, a separate process) beside the same
//! work bare (psql, pgbench), and a table written into README.md.
//!
//!     cargo bench --bench national
//!
//! Needs PostgreSQL (`BENCH_DATABASE_URL`, default
//! `postgres://root@127.0.0.1:5432/test`, a role that may create databases
//! and read the server log), `psql` and `pgbench` (on the PATH or under
//! `/usr/lib/postgresql/*/bin`). Creates a scratch database `bench_national_<pid>`
//! and a scratch SQLite file and removes both afterwards. Nothing leaves
//! 127.0.0.1: the server runs with `WORKER=off`, so no page is fetched.
//!
//! Cases:
//! 1. standings at national scale on PostgreSQL (1,000,000 counted articles,
//!    3,000 schools, 100,000 authors): schools and individuals, the first
//!    page, a deep page and a page past the last row, through the API and
//!    the request's statements bare in psql;
//! 2. the same standings on SQLite with 100,000 articles (API only);
//! 3. the consistency check of the kept totals after a load of random
//!    submissions, reviews, revisions and merges through the API;
//! 4. `POST /api/v1/articles` at c=8 and c=32 against pgbench replaying the
//!    request's own statements (captured from the server log with
//!    `log_statement = 'all'` on the scratch database);
//! 5. `GET /api/v1/me` at c=8 against pgbench of its statements, and
//!    `/healthz` for reference;
//! 6. the idle resident set of the server process after start.
//!
//! Environment: `BENCH_RUNS` (timed runs per standings case, default 15),
//! `BENCH_SECS` (seconds per load case, default 6), `BENCH_QUICK=1` (a tenth
//! of the data, 3 runs, 2 s loads: to try the bench itself, e.g. with
//! `cargo bench --profile dev --bench national`; the README is then left
//! alone), `BENCH_PORT` (first of the ports used, default 18240),
//! `BENCH_PG_LOG` (the server log, default the newest file of
//! `/var/log/postgresql/`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use association::access::roles::{Grant, Role};
use association::articles::canonical_url::CanonicalUrl;
use association::honours::rules::{RankingKey, Scope};
use rand::Rng;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

const SECRET: &str = "bench-secret-bench-secret-bench-secret";
const YEAR: i32 = 2021;
/// The year of the consistency load (its own year: the national year stays as seeded).
const LOAD_YEAR: i32 = 2022;
/// Correspondents that post (the submission rate limit is 30 a minute each).
const POSTERS: usize = 1200;
/// Schools the correspondents belong to.
const POSTER_SCHOOLS: i64 = 60;

/// The calls of the kept totals (issue 15 part 1). Every use of the library's
/// standings internals is here, so that when they change only this module does.
mod kept {
    use association::honours::rules::{RankingKey, Scope};
    use association::honours::standings::Cursor;
    use association::platform::pagination::PageTokens;
    use sea_orm::DatabaseConnection;
    use sha2::{Digest, Sha256};

    /// Recomputes the kept totals from the articles; answers the rows written.
    pub async fn rebuild(db: &DatabaseConnection, year: Option<i32>) -> Option<u64> {
        Some(
            association::articles::totals::rebuild(db, year)
                .await
                .unwrap(),
        )
    }

    /// The differences between the kept totals and the articles.
    pub async fn check(db: &DatabaseConnection, year: Option<i32>) -> Option<Vec<String>> {
        let differences = association::articles::totals::check(db, year)
            .await
            .unwrap();
        Some(differences.iter().map(ToString::to_string).collect())
    }

    /// The PostgreSQL statements one standings request runs, parameters
    /// written in; `after` is the cursor of the page token.
    pub async fn statements(
        db: &DatabaseConnection,
        year: i32,
        scope: Scope,
        key: RankingKey,
        page_size: u64,
        after: Option<Cursor>,
    ) -> Vec<String> {
        association::honours::standings::statements_for_benchmark(
            db, year, scope, key, page_size, after,
        )
        .await
        .unwrap()
    }

    /// The key the server (JWT secret `secret`) signs page tokens with.
    fn page_token_key(secret: &str) -> Vec<u8> {
        let mut h = Sha256::new();
        h.update(b"page-token-key\0");
        h.update(secret.as_bytes());
        h.finalize().to_vec()
    }

    /// The cursor a standings page token of the server carries.
    pub fn cursor_of_token(
        secret: &str,
        year: i32,
        scope: Scope,
        key: RankingKey,
        token: &str,
    ) -> Cursor {
        association::honours::ranking::cursor_of_token(
            &page_token_key(secret),
            year,
            scope,
            key,
            token,
        )
        .unwrap()
    }

    /// A page token of the server for the standings after every row: a
    /// cursor below any total (as a token signed before the rows after it
    /// went, e.g. a stale bookmark).
    pub fn token_past_the_end(
        secret: &str,
        year: i32,
        scope: Scope,
        key: RankingKey,
        population: i64,
    ) -> String {
        let k = page_token_key(secret);
        let past = Cursor {
            value: -1,
            school_id: i64::MAX,
            first_article: i64::MAX,
            position: population,
            rank: population,
        };
        PageTokens::new(
            &k,
            format!("standings/{year}/{}/{}", scope.as_str(), key.as_str()),
        )
        .encode(&past)
        .unwrap()
    }
}

// ------------------------------------------------------------------ figures

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[derive(Clone, Copy, Debug)]
struct Timing {
    median: Duration,
    p95: Duration,
}

impl Timing {
    fn of(mut xs: Vec<Duration>) -> Self {
        xs.sort();
        Self {
            median: quantile(&xs, 0.5),
            p95: quantile(&xs, 0.95),
        }
    }

    fn show(&self) -> String {
        format!("{:.1} / {:.1} ms", ms(self.median), ms(self.p95))
    }
}

/// One line of the README's table.
struct Line {
    case: String,
    api: String,
    bare: String,
    ratio: String,
    target: String,
    met: Option<bool>,
}

#[derive(Default)]
struct Report {
    lines: Vec<Line>,
    notes: Vec<String>,
}

impl Report {
    fn add(
        &mut self,
        case: &str,
        api: String,
        bare: String,
        ratio: String,
        target: &str,
        met: Option<bool>,
    ) {
        println!(
            "{case:<52} API {api:<34} bare {bare:<30} ratio {ratio:<8} target {target:<22} {}",
            verdict(met)
        );
        self.lines.push(Line {
            case: case.to_owned(),
            api,
            bare,
            ratio,
            target: target.to_owned(),
            met,
        });
    }

    fn note(&mut self, note: String) {
        println!("note: {note}");
        self.notes.push(note);
    }

    fn markdown(&self, machine: &str) -> String {
        let mut s = format!(
            "{machine}\n\n| case | API | bare SQL | ratio | target | met? |\n| --- | --- | --- | --- | --- | --- |\n"
        );
        for l in &self.lines {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                l.case,
                l.api,
                l.bare,
                l.ratio,
                l.target,
                verdict(l.met)
            ));
        }
        for n in &self.notes {
            s.push_str(&format!("\n- {n}"));
        }
        if !self.notes.is_empty() {
            s.push('\n');
        }
        s
    }
}

fn verdict(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "yes",
        Some(false) => "**no**",
        None => "—",
    }
}

const BEGIN: &str = "<!-- bench:national:begin -->";
const END: &str = "<!-- bench:national:end -->";

fn write_readme(table: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let (Some(b), Some(e)) = (text.find(BEGIN), text.find(END)) else {
        println!("README.md has no {BEGIN} … {END} markers: not written");
        return;
    };
    let out = format!("{}{BEGIN}\n{table}{}", &text[..b], &text[e..]);
    std::fs::write(&path, out).unwrap();
    println!("README.md: table written");
}

fn run_text(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn machine(admin_url: &str, profile: &str) -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let pg = run_text(
        "psql",
        &["-X", "-At", admin_url, "-c", "SHOW server_version"],
    );
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_default();
    let commit = run_text("git", &["rev-parse", "--short", "HEAD"]);
    format!(
        "Run {} UTC on {cores} cores ({cpu}), PostgreSQL {pg}, Linux {kernel}; {profile} build of commit {commit}; the server a separate process (`WORKER=off`, `RUST_LOG=warn`, no Redis: the in-process cache); the load from the bench process on the same machine.",
        chrono::Utc::now().format("%Y-%m-%d %H:%M")
    )
}

// ------------------------------------------------------------------ tools

fn pg_tool(name: &str) -> PathBuf {
    if Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return PathBuf::from(name);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path().join("bin").join(name))
                .filter(|p| p.exists())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.pop().unwrap_or_else(|| panic!("{name} not found"))
}

/// Times each run of `statements` (one request's statements, run in order)
/// in one psql session: `\timing`, a warm-up run, then `runs` timed runs.
fn psql_times(url: &str, statements: &[String], runs: usize) -> Vec<Duration> {
    let mut args = vec![
        "-X".to_owned(),
        "-q".to_owned(),
        url.to_owned(),
        "-c".to_owned(),
        "\\timing on".to_owned(),
    ];
    for _ in 0..=runs {
        for s in statements {
            args.push("-c".to_owned());
            args.push(s.clone());
        }
    }
    let out = Command::new(pg_tool("psql"))
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let times: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("Time: "))
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|ms| ms.parse::<f64>().ok())
        .collect();
    assert_eq!(times.len(), statements.len() * (runs + 1), "psql timings");
    times
        .chunks(statements.len())
        .skip(1)
        .map(|run| Duration::from_secs_f64(run.iter().sum::<f64>() / 1000.0))
        .collect()
}

/// pgbench of a script: (transactions per second, average latency).
fn pgbench(url: &str, script: &Path, clients: usize, secs: u64) -> (f64, f64) {
    let out = Command::new(pg_tool("pgbench"))
        .args([
            "-n",
            "-M",
            "prepared",
            "-c",
            &clients.to_string(),
            "-j",
            &clients.min(2).to_string(),
            "-T",
            &secs.to_string(),
            "-f",
            &script.display().to_string(),
            url,
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "pgbench {}: {text}\n{err}",
        script.display()
    );
    let find = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let failed = text
        .lines()
        .find_map(|l| l.strip_prefix("number of failed transactions: "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    assert_eq!(
        failed,
        0,
        "pgbench {}: failed transactions\n{text}\n{err}",
        script.display()
    );
    (find("tps = "), find("latency average = "))
}

// ------------------------------------------------------------------ the server

/// The release server (`association serve`) as a child process; killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(database_url: &str, port: u16) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_association"))
            .arg("serve")
            .env_remove("REDIS_URL")
            .env("APP_ENV", "development")
            .env("DATABASE_URL", database_url)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("JWT_SECRET", SECRET)
            .env("WORKER", "off")
            .env("RUST_LOG", "warn")
            .current_dir(std::env::temp_dir())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(r) = client.get(format!("{}/healthz", server.base)).send().await
                && r.status().is_success()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not answer on port {port} within 60 s");
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// VmRSS of the process, in MiB.
    fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ------------------------------------------------------------------ load

struct Load {
    ok: u64,
    errors: u64,
    secs: f64,
    sorted: Vec<Duration>,
}

impl Load {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.secs
    }

    fn p(&self, q: f64) -> Duration {
        quantile(&self.sorted, q)
    }

    fn show(&self) -> String {
        format!(
            "{:.0}/s, p50 {:.1} ms, p99 {:.1} ms",
            self.rate(),
            ms(self.p(0.5)),
            ms(self.p(0.99))
        )
    }
}

/// `concurrency` tasks sending requests for `duration` (after a warm-up of a
/// second); `send(i)` sends the i-th request and tells whether it succeeded.
async fn load<F, Fut>(concurrency: usize, duration: Duration, send: F) -> Load
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    let send = Arc::new(send);
    let counter = Arc::new(AtomicU64::new(0));
    let warm_until = Instant::now() + Duration::from_secs(1);
    let start = warm_until;
    let end = start + duration;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let send = send.clone();
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            loop {
                let t = Instant::now();
                if t >= end {
                    break;
                }
                let ok = send(counter.fetch_add(1, Ordering::Relaxed)).await;
                if t < start {
                    continue;
                }
                if ok {
                    lat.push(t.elapsed());
                } else {
                    errors += 1;
                }
            }
            (lat, errors)
        }));
    }
    let mut sorted = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.unwrap();
        sorted.extend(lat);
        errors += e;
    }
    let secs = (Instant::now().max(end) - start).as_secs_f64();
    sorted.sort();
    Load {
        ok: sorted.len() as u64,
        errors,
        secs,
        sorted,
    }
}

// ------------------------------------------------------------------ the server log

fn pg_log() -> PathBuf {
    if let Ok(p) = std::env::var("BENCH_PG_LOG") {
        return PathBuf::from(p);
    }
    let mut logs: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir("/var/log/postgresql")
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "log"))
                .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
                .collect()
        })
        .unwrap_or_default();
    logs.sort();
    logs.pop()
        .map(|(_, p)| p)
        .expect("a PostgreSQL log under /var/log/postgresql (or BENCH_PG_LOG)")
}

fn log_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// One statement the server ran: its SQL and its parameters.
#[derive(Clone, Debug)]
struct Logged {
    pid: String,
    sql: String,
    params: Vec<Option<String>>,
}

/// `$1 = '5', $2 = NULL, $3 = 'it''s'`
fn parse_params(s: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while let Some(eq) = rest.find(" = ") {
        rest = &rest[eq + 3..];
        if let Some(r) = rest.strip_prefix("NULL") {
            out.push(None);
            rest = r;
        } else if let Some(r) = rest.strip_prefix('\'') {
            let mut value = String::new();
            let mut chars = r.char_indices().peekable();
            let mut end = r.len();
            while let Some((i, c)) = chars.next() {
                if c == '\'' {
                    if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                        chars.next();
                        value.push('\'');
                        continue;
                    }
                    end = i + 1;
                    break;
                }
                value.push(c);
            }
            out.push(Some(value));
            rest = &r[end..];
        }
        rest = rest.trim_start_matches([',', ' ']);
    }
    out
}

/// The statements of database `db` in the log text (from `log_statement = 'all'`).
fn logged_statements(text: &str, db: &str) -> Vec<Logged> {
    // Entries: a line with the prefix, continued by lines that start with a tab.
    let mut entries: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(cont) = line.strip_prefix('\t') {
            if let Some(last) = entries.last_mut() {
                last.push('\n');
                last.push_str(cont);
            }
        } else {
            entries.push(line.to_owned());
        }
    }
    let tag = format!("@{db} ");
    let mut out: Vec<Logged> = Vec::new();
    for e in entries {
        let Some(at) = e.find(&tag) else { continue };
        let pid = e[..at]
            .rsplit_once('[')
            .and_then(|(_, p)| p.split_once(']'))
            .map(|(p, _)| p.to_owned())
            .unwrap_or_default();
        let msg = &e[at + tag.len()..];
        if let Some(sql) = msg.strip_prefix("LOG:  statement: ") {
            out.push(Logged {
                pid,
                sql: sql.to_owned(),
                params: Vec::new(),
            });
        } else if let Some(rest) = msg.strip_prefix("LOG:  execute ")
            && let Some((_, sql)) = rest.split_once(": ")
        {
            out.push(Logged {
                pid,
                sql: sql.to_owned(),
                params: Vec::new(),
            });
        } else if let Some(p) = msg.strip_prefix("DETAIL:  parameters: ")
            && let Some(last) = out.iter_mut().rev().find(|l| l.pid == pid)
        {
            last.params = parse_params(p);
        }
    }
    out
}

fn quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

fn is_ulid(v: &str) -> bool {
    v.len() == 26
        && v.chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
}

fn is_uuid(v: &str) -> bool {
    v.len() == 36
        && v.chars().enumerate().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// A pgbench script of the logged statements, parameters written in; the
/// values that must be new in every transaction (the link's unique part
/// `token`, its key `url_key`, generated ids) become expressions of `:r`.
fn pgbench_script(statements: &[Logged], token: Option<&str>, url_key: Option<&str>) -> String {
    let mut s = String::from("\\set r random(1, 1000000000000000)\n");
    for st in statements {
        let mut sql = st.sql.trim().trim_end_matches(';').to_owned();
        for (i, v) in st.params.iter().enumerate().rev() {
            let value = match v {
                None => "NULL".to_owned(),
                Some(v) if token.is_some_and(|t| v.contains(t)) => {
                    let t = token.unwrap_or_default();
                    let parts: Vec<String> = v.split(t).map(quote).collect();
                    format!("({})", parts.join(" || :r || "))
                }
                Some(v) if url_key == Some(v.as_str()) => "('k' || :r)".to_owned(),
                Some(v) if is_ulid(v) => "('01' || lpad(:r::text, 24, '0'))".to_owned(),
                Some(v) if is_uuid(v) => "(md5(:r::text)::uuid::text)".to_owned(),
                Some(v) => quote(v),
            };
            sql = sql.replace(&format!("${}", i + 1), &value);
        }
        s.push_str(&sql);
        s.push_str(";\n");
    }
    s
}

/// The statements of database `db` logged while `request` ran.
async fn capture<Fut: Future<Output = ()>>(log: &Path, db: &str, request: Fut) -> Vec<Logged> {
    let from = log_len(log);
    request.await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let bytes = std::fs::read(log).unwrap();
    let text = String::from_utf8_lossy(&bytes[usize::try_from(from).unwrap().min(bytes.len())..])
        .into_owned();
    logged_statements(&text, db)
}

// ------------------------------------------------------------------ main

struct Config {
    quick: bool,
    runs: usize,
    secs: u64,
    port: u16,
    articles: i64,
    schools: i64,
    authors: i64,
    sqlite_articles: i64,
    sqlite_schools: i64,
    sqlite_authors: i64,
    load_articles: usize,
}

impl Config {
    fn from_env() -> Self {
        let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
        let num = |k: &str, d: u64| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(d)
        };
        let div = if quick { 10 } else { 1 };
        Self {
            quick,
            runs: num("BENCH_RUNS", if quick { 3 } else { 15 }) as usize,
            secs: num("BENCH_SECS", if quick { 2 } else { 6 }),
            port: num("BENCH_PORT", 18240) as u16,
            articles: 1_000_000 / div,
            schools: 3_000 / div,
            authors: 100_000 / div,
            sqlite_articles: 100_000 / div,
            sqlite_schools: 300,
            sqlite_authors: 10_000 / div,
            load_articles: if quick { 60 } else { 300 },
        }
    }
}

#[tokio::main]
async fn main() {
    association::init_tls();
    let cfg = Config::from_env();
    let admin_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".to_owned());
    let name = format!("bench_national_{}", std::process::id());
    let admin = Database::connect(&admin_url).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap();
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&name);
    let url = url.to_string();
    let sqlite = std::env::temp_dir().join(format!("{name}.db"));

    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let mut report = Report::default();
    let started = Instant::now();
    let outcome = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(run(
        &cfg,
        &url,
        &name,
        &sqlite,
        &mut report,
    )))
    .await;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
        .unwrap();
    for ext in ["", "-wal", "-shm", ".migrate.lock"] {
        let _ = std::fs::remove_file(format!("{}{ext}", sqlite.display()));
    }
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    println!("\nwhole run: {:.0} s", started.elapsed().as_secs_f64());
    let machine = machine(&admin_url, profile);
    let table = report.markdown(&machine);
    println!("\n{table}");
    if cfg.quick {
        println!("BENCH_QUICK: README.md left alone");
    } else {
        write_readme(&table);
    }
}

async fn run(cfg: &Config, url: &str, db_name: &str, sqlite: &Path, report: &mut Report) {
    let db = association::platform::db::connect_and_migrate(url)
        .await
        .unwrap();
    let t = Instant::now();
    seed_postgres(&db, cfg).await;
    println!(
        "PostgreSQL: seeded {} articles, {} schools, {} authors in {:.1} s",
        cfg.articles,
        cfg.schools,
        cfg.authors,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    match kept::rebuild(&db, Some(YEAR)).await {
        Some(n) => println!(
            "kept totals rebuilt ({n} rows) in {:.1} s",
            t.elapsed().as_secs_f64()
        ),
        None => {
            report.note("no kept totals in this build: standings aggregate the articles".to_owned())
        }
    }
    // What autovacuum does to a loaded table in production: statistics, and
    // the visibility map that lets counts and offsets read the index alone.
    db.execute_unprepared("VACUUM ANALYZE").await.unwrap();

    let people = People::create(&db, cfg).await;

    // Statements of one POST /articles and one GET /me, from the server log.
    let log = pg_log();
    db.execute_unprepared(&format!(
        "ALTER DATABASE \"{db_name}\" SET log_statement = 'all'"
    ))
    .await
    .unwrap();
    let (post_statements, me_statements, post_token, post_key) = {
        let server = Server::start(url, cfg.port).await;
        let client = reqwest::Client::new();
        let poster = &people.posters[0];
        // Warm: the poster's first submission records them as an author.
        assert!(post_article(&client, &server.base, poster, "warm-1", 2023).await);
        get_me(&client, &server.base, poster).await;
        let token = "pgcap7391";
        let post = capture(&log, db_name, async {
            assert!(post_article(&client, &server.base, poster, token, 2023).await);
        })
        .await;
        let me = capture(&log, db_name, async {
            assert!(get_me(&client, &server.base, poster).await);
        })
        .await;
        let key = CanonicalUrl::parse(&article_url(token)).unwrap().key();
        (post, me, token.to_owned(), key)
    };
    db.execute_unprepared(&format!("ALTER DATABASE \"{db_name}\" RESET log_statement"))
        .await
        .unwrap();
    println!(
        "captured: POST /articles {} statements, GET /me {} statements",
        post_statements.len(),
        me_statements.len()
    );
    // Kept after the run, to read: target/bench-national/*.sql.
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-national");
    std::fs::create_dir_all(&scripts).unwrap();
    let post_script = scripts.join("post_articles.sql");
    std::fs::write(
        &post_script,
        pgbench_script(&post_statements, Some(&post_token), Some(&post_key)),
    )
    .unwrap();
    let me_script = scripts.join("me.sql");
    std::fs::write(&me_script, pgbench_script(&me_statements, None, None)).unwrap();

    // The measured server: idle RSS first.
    let server = Server::start(url, cfg.port + 1).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = server.rss_mib();
    report.add(
        "idle RSS of the server after start (VmRSS)",
        format!("{idle:.1} MiB"),
        "—".to_owned(),
        "—".to_owned(),
        "≤ 30 MiB",
        Some(idle <= 30.0),
    );

    standings(
        cfg,
        url,
        &server.base,
        &people,
        report,
        "PostgreSQL",
        Some(&db),
    )
    .await;
    report.note(
        "standings: median / p95 of the runs after a warm-up, as a correspondent; the bare SQL is what \
         `standings::statements_for_benchmark` records of the page read, run in one psql session — the \
         request also authenticates its caller (member, roles), reads the year's ranking key and answers \
         JSON over HTTP"
            .to_owned(),
    );
    report.note(
        "writes and reads: the API at c concurrent requests for the load's seconds; pgbench -M prepared at \
         the same c replays the statements of one request as the server log shows them, with the link, its \
         key and the job id new in each transaction"
            .to_owned(),
    );
    writes_and_reads(
        cfg,
        url,
        &server,
        &people,
        &post_script,
        &me_script,
        post_statements.len(),
        me_statements.len(),
        report,
    )
    .await;
    consistency(cfg, &db, url, &server.base, &people, report).await;
    report.note(format!(
        "RSS of the server after the load: {:.1} MiB",
        server.rss_mib()
    ));
    drop(server);
    db.close().await.unwrap();

    sqlite_standings(cfg, sqlite, report).await;
}

// ------------------------------------------------------------------ seeding

fn articles_sql(schools: i64, authors: i64, year: i32, series: &str, key: &str) -> String {
    format!(
        "INSERT INTO articles (school_id, submitted_by, first_author_name, author_key, url, canonical_url, url_key,
                               host, source_id, source_kind, credit_year, declared_original, verification_status,
                               status, site_points, bonus_points, created_at, updated_at)
           SELECT 1 + (i % {authors}) % {schools}, 1, '作者' || (i % {authors}), 'name:作者' || (i % {authors}),
                  'https://www.example.cn/a/' || i || '.html', 'https://www.example.cn/a/' || i || '.html', {key},
                  'www.example.cn', 1, 'official', {year}, true, 'verified',
                  CASE WHEN i % 20 = 0 THEN 'rejected' ELSE 'approved' END,
                  CASE WHEN i % 20 = 0 OR i % 13 = 0 THEN 0 ELSE 1 END,
                  CASE WHEN i % 29 = 0 THEN 1 ELSE 0 END,
                  '2021-06-01 00:00:00+00:00', '2021-06-01 00:00:00+00:00'
           FROM {series}"
    )
}

/// Districts, schools, the submitter of the seeded articles and the source;
/// `series(n)` is a set of rows `i` from 1 to n.
fn base_sql(schools: i64, series: impl Fn(i64) -> String) -> String {
    format!(
        "INSERT INTO districts (name, created_at, updated_at)
           SELECT '片区' || i, '2021-01-01 00:00:00+00:00', '2021-01-01 00:00:00+00:00' FROM {districts};
         INSERT INTO schools (name, district_id, active, created_at, updated_at)
           SELECT '学校' || i, 1 + i % 30, true, '2021-01-01 00:00:00+00:00', '2021-01-01 00:00:00+00:00' FROM {schools};
         INSERT INTO members (openid, display_name, created_at, updated_at)
           VALUES ('bench-submitter', '提交人', '2021-01-01 00:00:00+00:00', '2021-01-01 00:00:00+00:00');
         INSERT INTO sources (name, kind, hosts, columns, years, needs_confirmation, allow_private_network, created_at, updated_at)
           VALUES ('四川省高校后勤协会网', 'official', '[\"www.example.cn\"]', '[]', '[]', false, false,
                   '2021-01-01 00:00:00+00:00', '2021-01-01 00:00:00+00:00');",
        districts = series(30),
        schools = series(schools),
    )
}

async fn seed_postgres(db: &DatabaseConnection, cfg: &Config) {
    let series = |n: i64| format!("generate_series(1, {n}) i");
    let articles = series(cfg.articles);
    db.execute_unprepared(&base_sql(cfg.schools, series))
        .await
        .unwrap();
    db.execute_unprepared(&articles_sql(
        cfg.schools,
        cfg.authors,
        YEAR,
        &articles,
        "md5(i::text)",
    ))
    .await
    .unwrap();
}

async fn seed_sqlite(db: &DatabaseConnection, cfg: &Config) {
    let series = |n: i64| {
        format!(
            "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s)"
        )
    };
    db.execute_unprepared(&base_sql(cfg.sqlite_schools, series))
        .await
        .unwrap();
    db.execute_unprepared(&articles_sql(
        cfg.sqlite_schools,
        cfg.sqlite_authors,
        YEAR,
        &series(cfg.sqlite_articles),
        "'k' || i",
    ))
    .await
    .unwrap();
}

/// Who calls: a reader of the standings, the secretariat, and correspondents that post.
struct People {
    reader: String,
    secretariat: String,
    posters: Vec<Poster>,
}

#[derive(Clone)]
struct Poster {
    token: String,
}

impl People {
    async fn create(db: &DatabaseConnection, cfg: &Config) -> Self {
        let now = chrono::Utc::now();
        let token = |id: i64| {
            association::access::tokens::issue_access(SECRET.as_bytes(), id, now).unwrap()
        };
        let grant = |role, school| Grant::new(role, school, None).unwrap();
        let reader = association::identity::members::grant_role_cli(
            db,
            "bench-reader",
            grant(Role::Correspondent, Some(1)),
            now,
        )
        .await
        .unwrap();
        let admin = association::identity::members::grant_role_cli(
            db,
            "bench-admin",
            grant(Role::Secretariat, None),
            now,
        )
        .await
        .unwrap();
        let t = Instant::now();
        let n = if cfg.quick { POSTERS / 4 } else { POSTERS };
        let mut posters = Vec::with_capacity(n);
        for i in 0..n {
            let school = 1 + (i as i64 % POSTER_SCHOOLS);
            let id = association::identity::members::grant_role_cli(
                db,
                &format!("bench-poster-{i}"),
                grant(Role::Correspondent, Some(school)),
                now,
            )
            .await
            .unwrap();
            posters.push(Poster { token: token(id) });
        }
        println!("{n} correspondents in {:.1} s", t.elapsed().as_secs_f64());
        Self {
            reader: token(reader),
            secretariat: token(admin),
            posters,
        }
    }
}

fn article_url(unique: &str) -> String {
    format!("https://www.example.cn/bench/{unique}.html")
}

async fn post_article(
    client: &reqwest::Client,
    base: &str,
    who: &Poster,
    unique: &str,
    year: i32,
) -> bool {
    post_article_as(client, base, who, unique, year, None)
        .await
        .is_some()
}

/// Submits an article; answers its id.
async fn post_article_as(
    client: &reqwest::Client,
    base: &str,
    who: &Poster,
    unique: &str,
    year: i32,
    author: Option<&str>,
) -> Option<i64> {
    let mut body = json!({
        "url": article_url(unique),
        "declared_original": true,
        "published_on": format!("{year}-05-01"),
    });
    if let Some(a) = author {
        body["first_author_name"] = json!(a);
    }
    let res = client
        .post(format!("{base}/api/v1/articles"))
        .bearer_auth(&who.token)
        .json(&body)
        .send()
        .await
        .ok()?;
    if res.status() != 201 {
        return None;
    }
    res.json::<Value>().await.ok()?["id"].as_i64()
}

async fn get_me(client: &reqwest::Client, base: &str, who: &Poster) -> bool {
    client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&who.token)
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
}

// ------------------------------------------------------------------ standings

struct Probe {
    label: &'static str,
    token: Option<String>,
}

async fn standings_page(
    client: &reqwest::Client,
    base: &str,
    reader: &str,
    scope: Scope,
    size: u64,
    token: Option<&str>,
) -> Value {
    let mut path = format!(
        "{base}/api/v1/credit-years/{YEAR}/standings?scope={}&page_size={size}",
        scope.as_str()
    );
    if let Some(t) = token {
        path.push_str(&format!("&page_token={t}"));
    }
    let res = client.get(&path).bearer_auth(reader).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.unwrap()
}

/// The token of the page after position `position` (walking the pages when
/// they are keyset reads), and the last token of the walk when it ran out.
async fn token_after(
    client: &reqwest::Client,
    base: &str,
    reader: &str,
    scope: Scope,
    position: i64,
) -> Option<String> {
    let mut token: Option<String> = None;
    let mut reached = 0;
    while reached < position {
        let size = (position - reached).min(100) as u64;
        let page = standings_page(client, base, reader, scope, size, token.as_deref()).await;
        let next = page["next_page_token"].as_str().map(str::to_owned);
        reached = page["items"]
            .as_array()
            .and_then(|i| i.last())
            .and_then(|r| r["position"].as_i64())
            .unwrap_or(reached);
        match next {
            Some(n) => token = Some(n),
            None => return token,
        }
    }
    token
}

async fn standings(
    cfg: &Config,
    url: &str,
    base: &str,
    people: &People,
    report: &mut Report,
    backend: &str,
    bare: Option<&DatabaseConnection>,
) {
    let client = reqwest::Client::new();
    let reader = &people.reader;
    let target_ms = if bare.is_some() { 30.0 } else { 10.0 };
    for scope in [Scope::Schools, Scope::Individuals] {
        let first = standings_page(&client, base, reader, scope, 20, None).await;
        let population = first["population"]
            .as_i64()
            .or_else(|| first["figures"]["population"].as_i64())
            .unwrap_or(0);
        println!(
            "\n{backend} {}: population {population}, first row {} with {} points",
            scope.as_str(),
            first["items"][0]["name"],
            first["items"][0]["total"]
        );
        let deep_at = if scope == Scope::Schools {
            population * 7 / 8 / 100 * 100
        } else {
            population * 19 / 20 / 1000 * 1000
        };
        let t = Instant::now();
        let deep = token_after(&client, base, reader, scope, deep_at).await;
        println!(
            "  token after position {deep_at} in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let probes = [
            Probe {
                label: "first page",
                token: None,
            },
            Probe {
                label: "deep page",
                token: deep,
            },
            Probe {
                label: "past the last row",
                token: Some(kept::token_past_the_end(
                    SECRET,
                    YEAR,
                    scope,
                    RankingKey::Total,
                    population,
                )),
            },
        ];
        for probe in probes {
            let label = match probe.label {
                "deep page" => format!("deep page (after {deep_at})"),
                l => l.to_owned(),
            };
            let mut api = Vec::new();
            for i in 0..=cfg.runs {
                let t = Instant::now();
                let page =
                    standings_page(&client, base, reader, scope, 20, probe.token.as_deref()).await;
                if i > 0 {
                    api.push(t.elapsed());
                } else {
                    println!(
                        "  {label}: {} rows from position {}",
                        page["items"].as_array().map_or(0, Vec::len),
                        page["items"][0]["position"]
                    );
                }
            }
            let api = Timing::of(api);
            let case = format!("{backend} standings, {}, {label}", scope.as_str());
            if let Some(db) = bare {
                let after = probe
                    .token
                    .as_deref()
                    .map(|t| kept::cursor_of_token(SECRET, YEAR, scope, RankingKey::Total, t));
                let sql = kept::statements(db, YEAR, scope, RankingKey::Total, 20, after).await;
                let psql = Timing::of(psql_times(url, &sql, cfg.runs));
                let ratio = ms(api.median) / ms(psql.median);
                report.add(
                    &case,
                    api.show(),
                    format!("{} ({} statements)", psql.show(), sql.len()),
                    format!("{ratio:.2}×"),
                    "≤ 30 ms, ≤ 1.5×",
                    Some(ms(api.median) <= target_ms && ratio <= 1.5),
                );
            } else {
                report.add(
                    &case,
                    api.show(),
                    "—".to_owned(),
                    "—".to_owned(),
                    "≤ 10 ms",
                    Some(ms(api.median) <= target_ms),
                );
            }
        }
    }
}

async fn sqlite_standings(cfg: &Config, path: &Path, report: &mut Report) {
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = association::platform::db::connect_and_migrate(&url)
        .await
        .unwrap();
    let t = Instant::now();
    seed_sqlite(&db, cfg).await;
    println!(
        "\nSQLite: seeded {} articles, {} schools, {} authors in {:.1} s",
        cfg.sqlite_articles,
        cfg.sqlite_schools,
        cfg.sqlite_authors,
        t.elapsed().as_secs_f64()
    );
    let _ = kept::rebuild(&db, Some(YEAR)).await;
    db.execute_unprepared("ANALYZE").await.unwrap();
    let now = chrono::Utc::now();
    let reader = association::identity::members::grant_role_cli(
        &db,
        "bench-reader",
        Grant::new(Role::Correspondent, Some(1), None).unwrap(),
        now,
    )
    .await
    .unwrap();
    db.close().await.unwrap();
    let people = People {
        reader: association::access::tokens::issue_access(SECRET.as_bytes(), reader, now).unwrap(),
        secretariat: String::new(),
        posters: Vec::new(),
    };
    let server = Server::start(&url, cfg.port + 2).await;
    standings(cfg, &url, &server.base, &people, report, "SQLite", None).await;
}

// ------------------------------------------------------------------ writes and reads

#[allow(clippy::too_many_arguments)]
async fn writes_and_reads(
    cfg: &Config,
    url: &str,
    server: &Server,
    people: &People,
    post_script: &Path,
    me_script: &Path,
    post_n: usize,
    me_n: usize,
    report: &mut Report,
) {
    let duration = Duration::from_secs(cfg.secs);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let posters = Arc::new(people.posters.clone());
    let run_id: u32 = rand::rng().random();
    for c in [8usize, 32] {
        println!("\nPOST /api/v1/articles at c={c}");
        let (client2, base, posters2) = (client.clone(), server.base.clone(), posters.clone());
        let api = load(c, duration, move |i| {
            let (client, base, posters) = (client2.clone(), base.clone(), posters2.clone());
            async move {
                let who = &posters[(i as usize) % posters.len()];
                post_article(&client, &base, who, &format!("l{run_id}-{c}-{i}"), 2023).await
            }
        })
        .await;
        let (tps, lat) = pgbench(url, post_script, c, cfg.secs);
        let ratio = api.rate() / tps;
        let tail = ms(api.p(0.99)) / ms(api.p(0.5)).max(0.001);
        if api.errors > 0 {
            report.note(format!(
                "POST /api/v1/articles at c={c}: {} requests failed",
                api.errors
            ));
        }
        report.add(
            &format!("POST /api/v1/articles, c={c}"),
            api.show(),
            format!("pgbench {tps:.0} tps, {lat:.1} ms ({post_n} statements)"),
            format!("{ratio:.2}×"),
            "≥ 0.8×, p99 ≤ 3× p50",
            Some(ratio >= 0.8 && tail <= 3.0),
        );
    }

    println!("\nGET /api/v1/me at c=8");
    let (client2, base, posters2) = (client.clone(), server.base.clone(), posters.clone());
    let api = load(8, duration, move |i| {
        let (client, base, posters) = (client2.clone(), base.clone(), posters2.clone());
        async move { get_me(&client, &base, &posters[(i as usize) % posters.len()]).await }
    })
    .await;
    let (tps, lat) = pgbench(url, me_script, 8, cfg.secs);
    let ratio = api.rate() / tps;
    report.add(
        "GET /api/v1/me, c=8",
        api.show(),
        format!("pgbench {tps:.0} tps, {lat:.1} ms ({me_n} statements)"),
        format!("{ratio:.2}×"),
        "≥ 0.6×",
        Some(ratio >= 0.6),
    );

    println!("\nGET /healthz at c=8");
    let (client2, base) = (client.clone(), server.base.clone());
    let api = load(8, duration, move |_| {
        let (client, base) = (client2.clone(), base.clone());
        async move {
            client
                .get(format!("{base}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        }
    })
    .await;
    report.add(
        "GET /healthz, c=8 (reference)",
        api.show(),
        "—".to_owned(),
        "—".to_owned(),
        "—",
        None,
    );
}

// ------------------------------------------------------------------ consistency

async fn consistency(
    cfg: &Config,
    db: &DatabaseConnection,
    url: &str,
    base: &str,
    people: &People,
    report: &mut Report,
) {
    let client = reqwest::Client::new();
    let admin = &people.secretariat;
    let mut rng = rand::rng();
    let run_id: u32 = rng.random();
    let t = Instant::now();
    // Submissions of the load year, by correspondents of a few schools, a few authors each.
    let mut ids: Vec<(i64, usize)> = Vec::new();
    for i in 0..cfg.load_articles {
        let p = rng.random_range(0..people.posters.len().min(120));
        let author = match rng.random_range(0..3) {
            0 => None,
            _ => Some(format!("作者{}", rng.random_range(0..8))),
        };
        let who = &people.posters[p];
        if let Some(id) = post_article_as(
            &client,
            base,
            who,
            &format!("c{run_id}-{i}"),
            LOAD_YEAR,
            author.as_deref(),
        )
        .await
        {
            ids.push((id, p % POSTER_SCHOOLS as usize));
        }
    }
    let review = |id: i64, body: Value| {
        let client = client.clone();
        let admin = admin.clone();
        async move {
            client
                .post(format!("{base}/api/v1/articles/{id}/review"))
                .bearer_auth(&admin)
                .json(&body)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }
    };
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut decided: Vec<(i64, &str)> = Vec::new();
    for &(id, _) in &ids {
        let (decision, body) = match rng.random_range(0..10) {
            0..6 => ("approved", json!({"decision": "approve"})),
            6..8 => (
                "rejected",
                json!({"decision": "reject", "reason": "不是本校稿件。"}),
            ),
            _ => (
                "repost",
                json!({"decision": "repost", "reason": "转载自四川日报"}),
            ),
        };
        if review(id, body).await == 200 {
            *counts.entry(decision).or_default() += 1;
            decided.push((id, decision));
        }
    }
    // Revisions of a tenth of the decisions.
    for &(id, was) in decided.iter().step_by(10) {
        let body = match was {
            "approved" => {
                json!({"decision": "reject", "revises": "approved", "reason": "复核后退回。"})
            }
            _ => json!({"decision": "approve", "revises": was, "reason": "复核后确认为原创。"}),
        };
        if review(id, body).await == 200 {
            *counts.entry("revised").or_default() += 1;
        }
    }
    // Merges: pairs of the same school, and a few across schools.
    let mut merged = 0;
    for _ in 0..ids.len() / 6 {
        let a = ids[rng.random_range(0..ids.len())].0;
        let b = ids[rng.random_range(0..ids.len())].0;
        if a == b {
            continue;
        }
        let res = client
            .post(format!("{base}/api/v1/articles/{a}/merge"))
            .bearer_auth(admin)
            .json(&json!({"into_id": b}))
            .send()
            .await
            .unwrap();
        if res.status() == 200 {
            merged += 1;
        }
    }
    let load = format!(
        "{} submissions, {} approved, {} rejected, {} reposts, {} revised, {merged} merges",
        ids.len(),
        counts.get("approved").unwrap_or(&0),
        counts.get("rejected").unwrap_or(&0),
        counts.get("repost").unwrap_or(&0),
        counts.get("revised").unwrap_or(&0),
    );
    println!(
        "\nconsistency load: {load} in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    match kept::check(db, None).await {
        Some(diffs) => {
            for d in diffs.iter().take(10) {
                println!("  difference: {d}");
            }
            let took = t.elapsed().as_secs_f64();
            // The same check from the command line: exit status 0 when consistent.
            let cli = Command::new(env!("CARGO_BIN_EXE_association"))
                .arg("check-totals")
                .env("DATABASE_URL", url)
                .env("JWT_SECRET", SECRET)
                .env("RUST_LOG", "warn")
                .current_dir(std::env::temp_dir())
                .output()
                .unwrap();
            let said = String::from_utf8_lossy(&cli.stdout)
                .lines()
                .last()
                .unwrap_or_default()
                .to_owned();
            println!("  check-totals: {}, {said}", cli.status);
            report.add(
                &format!("kept totals consistent after {load}"),
                format!("differences: {}", diffs.len()),
                format!(
                    "check in {took:.1} s; `check-totals`: exit {}",
                    cli.status.code().unwrap_or(-1)
                ),
                "—".to_owned(),
                "differences: 0",
                Some(diffs.is_empty() && cli.status.success()),
            );
        }
        None => report.note(format!(
            "consistency check not run (no kept totals in this build) after {load}"
        )),
    }
}
