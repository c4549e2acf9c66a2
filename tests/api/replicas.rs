//! Any number of app processes can start together on one fresh database
//! (an operator running replicas): migrations run under a lock, the others
//! wait and then find nothing to do, and every process becomes ready.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::TestDb;

/// A started server process, killed when dropped.
pub(crate) struct Replica {
    pub(crate) child: Child,
    pub(crate) port: u16,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

fn start(db_url: &str, log: &std::path::Path) -> Replica {
    start_with(db_url, log, &[])
}

/// `association serve` in production on `db_url`, its log (JSON lines) in
/// `log`; `extra` settings are set last.
pub(crate) fn start_with(db_url: &str, log: &std::path::Path, extra: &[(&str, &str)]) -> Replica {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_association"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        // Production, as replicas run: no demo seeding, no development login.
        .env("APP_ENV", "production")
        .env(
            "JWT_SECRET",
            "replica-test-secret-that-is-long-enough-0123456789",
        )
        .env("WECHAT_APPID", "wx-replica-test")
        .env("WECHAT_SECRET", "replica-test-secret")
        // Nothing may reach WeChat: a closed local port.
        .env("WECHAT_API_BASE", "http://127.0.0.1:9")
        .env("DATABASE_URL", db_url)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .envs(extra.iter().copied())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    Replica { child, port }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_started_together_on_a_fresh_database_all_become_ready() {
    association::init_tls();
    let db = TestDb::create().await;
    let dir = std::env::temp_dir().join(format!(
        "association-replicas-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let logs: Vec<_> = (0..3)
        .map(|i| dir.join(format!("replica-{i}.log")))
        .collect();
    let mut replicas: Vec<Replica> = logs.iter().map(|log| start(&db.url, log)).collect();
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut ready = vec![false; replicas.len()];
    while ready.iter().any(|r| !r) {
        for (i, replica) in replicas.iter_mut().enumerate() {
            if ready[i] {
                continue;
            }
            if let Some(status) = replica.child.try_wait().unwrap() {
                let log = std::fs::read_to_string(&logs[i]).unwrap_or_default();
                panic!("replica {i} exited ({status}) before it was ready; its log:\n{log}");
            }
            let url = format!("http://127.0.0.1:{}/readyz", replica.port);
            if let Ok(res) = client
                .get(&url)
                .timeout(Duration::from_secs(2))
                .send()
                .await
            {
                ready[i] = res.status() == 200;
            }
        }
        assert!(
            Instant::now() < deadline,
            "not all replicas became ready within 60 s: {ready:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // And they serve the same data: a read through each answers 200.
    for replica in &replicas {
        let url = format!("http://127.0.0.1:{}/api/v1/districts", replica.port);
        assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
    }
    drop(replicas);
    let _ = std::fs::remove_dir_all(&dir);
}
