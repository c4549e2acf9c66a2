//! The cache: one interface, two implementations — Redis (`REDIS_URL`) for
//! production and several app processes, and an in-process map (the default)
//! for `cargo run` and tests. Both offer what the service needs: get/set with
//! a TTL, set-if-absent (locks), atomic counters with expiry (rate limits),
//! and compare-and-delete (dropping a token only if it is still the one that
//! failed). Keys are prefixed so several apps or tests can share one Redis.
//!
//! It also remembers configuration read on every request (article sources,
//! credit-year settings) in the process, as long as its generation in the
//! shared cache is unchanged: see [`Cache::remembered`] and
//! [`Cache::invalidate`].

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("in-process cache lock poisoned")]
    Poisoned,
}

pub type CacheResult<T> = Result<T, CacheError>;

#[derive(Clone)]
pub struct Cache {
    prefix: Arc<str>,
    backend: Backend,
    memos: Arc<Memos>,
}

#[derive(Clone)]
enum Backend {
    Memory(Arc<MemoryStore>),
    Redis(ConnectionManager),
}

/// A counter after an increment: its value and the time left before it expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counter {
    pub value: i64,
    pub ttl: Duration,
}

const INCR_SCRIPT: &str = r"
local v = redis.call('INCR', KEYS[1])
if v == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local t = redis.call('PTTL', KEYS[1])
if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); t = tonumber(ARGV[1]) end
return {v, t}
";

const CAD_SCRIPT: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

impl Cache {
    /// The in-process cache (one process only).
    pub fn memory(prefix: &str) -> Self {
        Self {
            prefix: Arc::from(prefix),
            backend: Backend::Memory(Arc::new(MemoryStore::default())),
            memos: Arc::default(),
        }
    }

    /// Connects to Redis. The connection manager reconnects by itself.
    pub async fn redis(url: &str, prefix: &str) -> CacheResult<Self> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(3)))
            .set_response_timeout(Some(Duration::from_secs(3)))
            .set_number_of_retries(2);
        let manager = ConnectionManager::new_with_config(client, config).await?;
        Ok(Self {
            prefix: Arc::from(prefix),
            backend: Backend::Redis(manager),
            memos: Arc::default(),
        })
    }

    /// The prefix of every key (so another process of the same deployment
    /// can be given the same one).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Memory(_) => "memory",
            Backend::Redis(_) => "redis",
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    pub async fn ping(&self) -> CacheResult<()> {
        match &self.backend {
            Backend::Memory(_) => Ok(()),
            Backend::Redis(c) => {
                let mut c = c.clone();
                let _: String = redis::cmd("PING").query_async(&mut c).await?;
                Ok(())
            }
        }
    }

    pub async fn get(&self, key: &str) -> CacheResult<Option<String>> {
        let key = self.key(key);
        match &self.backend {
            Backend::Memory(m) => m.get(&key),
            Backend::Redis(c) => {
                let mut c = c.clone();
                Ok(redis::cmd("GET").arg(key).query_async(&mut c).await?)
            }
        }
    }

    pub async fn set(&self, key: &str, value: &str, ttl: Duration) -> CacheResult<()> {
        let key = self.key(key);
        match &self.backend {
            Backend::Memory(m) => m.set(key, value, ttl, false).map(|_| ()),
            Backend::Redis(c) => {
                let mut c = c.clone();
                let _: () = redis::cmd("SET")
                    .arg(key)
                    .arg(value)
                    .arg("PX")
                    .arg(millis(ttl))
                    .query_async(&mut c)
                    .await?;
                Ok(())
            }
        }
    }

    /// Sets the key only if it is absent; answers whether it was set.
    pub async fn set_if_absent(&self, key: &str, value: &str, ttl: Duration) -> CacheResult<bool> {
        let key = self.key(key);
        match &self.backend {
            Backend::Memory(m) => m.set(key, value, ttl, true),
            Backend::Redis(c) => {
                let mut c = c.clone();
                let reply: Option<String> = redis::cmd("SET")
                    .arg(key)
                    .arg(value)
                    .arg("NX")
                    .arg("PX")
                    .arg(millis(ttl))
                    .query_async(&mut c)
                    .await?;
                Ok(reply.is_some())
            }
        }
    }

    pub async fn delete(&self, key: &str) -> CacheResult<()> {
        let key = self.key(key);
        match &self.backend {
            Backend::Memory(m) => m.delete(&key, None).map(|_| ()),
            Backend::Redis(c) => {
                let mut c = c.clone();
                let _: i64 = redis::cmd("DEL").arg(key).query_async(&mut c).await?;
                Ok(())
            }
        }
    }

    /// Deletes the key only if it still holds `expected`; answers whether it did.
    pub async fn delete_if_equals(&self, key: &str, expected: &str) -> CacheResult<bool> {
        let key = self.key(key);
        match &self.backend {
            Backend::Memory(m) => m.delete(&key, Some(expected)),
            Backend::Redis(c) => {
                let mut c = c.clone();
                let n: i64 = redis::Script::new(CAD_SCRIPT)
                    .key(key)
                    .arg(expected)
                    .invoke_async(&mut c)
                    .await?;
                Ok(n == 1)
            }
        }
    }

    /// Atomically increments a counter; a new counter expires after `ttl`.
    pub async fn incr(&self, key: &str, ttl: Duration) -> CacheResult<Counter> {
        let key = self.key(key);
        match &self.backend {
            Backend::Memory(m) => m.incr(key, ttl),
            Backend::Redis(c) => {
                let mut c = c.clone();
                let (value, pttl): (i64, i64) = redis::Script::new(INCR_SCRIPT)
                    .key(key)
                    .arg(millis(ttl))
                    .invoke_async(&mut c)
                    .await?;
                Ok(Counter {
                    value,
                    ttl: Duration::from_millis(u64::try_from(pttl).unwrap_or(0)),
                })
            }
        }
    }
}

/// How long a remembered value is used at most, even when its generation
/// is unchanged (a safety net: a change made behind the service's back, by
/// SQL, is seen within this time).
pub const MEMO_MAX_AGE: Duration = Duration::from_secs(60);

/// How long a generation key lives in the shared cache (far beyond
/// [`MEMO_MAX_AGE`], so a key that expired cannot make an old value look current).
const GENERATION_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// Values remembered by this process, by name.
#[derive(Default)]
struct Memos {
    map: Mutex<HashMap<&'static str, Memo>>,
}

struct Memo {
    /// The generation read before the value was loaded.
    generation: Option<String>,
    loaded: Instant,
    value: Arc<dyn Any + Send + Sync>,
}

impl Cache {
    fn generation_key(name: &str) -> String {
        format!("generation:{name}")
    }

    /// The value remembered under `name`, or `load`'s answer (then
    /// remembered). A remembered value is used while the generation of
    /// `name` in the shared cache is the one read before it was loaded (and
    /// for [`MEMO_MAX_AGE`] at most): a writer that calls
    /// [`invalidate`](Self::invalidate) after its commit makes every process
    /// load again, and a process that loaded while the change was
    /// committing carries the old generation, so it loads again too. When
    /// the shared cache cannot answer, `load` answers (nothing remembered).
    pub async fn remembered<T, E, F, Fut>(&self, name: &'static str, load: F) -> Result<Arc<T>, E>
    where
        T: Any + Send + Sync,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let generation = match self.get(&Self::generation_key(name)).await {
            Ok(g) => g,
            Err(e) => {
                tracing::warn!(error = %e, name, "cache unavailable: configuration read from the database");
                return load().await.map(Arc::new);
            }
        };
        if let Some(value) = self.memos.recall::<T>(name, generation.as_deref()) {
            return Ok(value);
        }
        let value = Arc::new(load().await?);
        self.memos.keep(name, generation, value.clone());
        Ok(value)
    }

    /// Makes every process forget what it remembers under `name` (a new
    /// generation in the shared cache). Call it after the change committed,
    /// before answering.
    pub async fn invalidate(&self, name: &'static str) -> CacheResult<()> {
        self.memos.forget(name);
        let generation = uuid::Uuid::now_v7().simple().to_string();
        self.set(&Self::generation_key(name), &generation, GENERATION_TTL)
            .await
    }
}

impl Memos {
    fn recall<T: Any + Send + Sync>(&self, name: &str, generation: Option<&str>) -> Option<Arc<T>> {
        let map = self.map.lock().ok()?;
        let memo = map.get(name)?;
        if memo.generation.as_deref() != generation || memo.loaded.elapsed() >= MEMO_MAX_AGE {
            return None;
        }
        memo.value.clone().downcast::<T>().ok()
    }

    fn keep(
        &self,
        name: &'static str,
        generation: Option<String>,
        value: Arc<dyn Any + Send + Sync>,
    ) {
        if let Ok(mut map) = self.map.lock() {
            map.insert(
                name,
                Memo {
                    generation,
                    loaded: Instant::now(),
                    value,
                },
            );
        }
    }

    fn forget(&self, name: &str) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(name);
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[derive(Default)]
struct MemoryStore {
    map: Mutex<HashMap<String, Entry>>,
}

struct Entry {
    value: String,
    expires: Instant,
}

impl MemoryStore {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Entry>, Instant) -> T) -> CacheResult<T> {
        let mut map = self.map.lock().map_err(|_| CacheError::Poisoned)?;
        let now = Instant::now();
        // Sweep expired entries now and then so the map cannot grow without bound.
        if map.len() > 1024 && map.len().is_power_of_two() {
            map.retain(|_, e| e.expires > now);
        }
        Ok(f(&mut map, now))
    }

    fn get(&self, key: &str) -> CacheResult<Option<String>> {
        self.with(|map, now| match map.get(key) {
            Some(e) if e.expires > now => Some(e.value.clone()),
            _ => None,
        })
    }

    fn set(
        &self,
        key: String,
        value: &str,
        ttl: Duration,
        only_if_absent: bool,
    ) -> CacheResult<bool> {
        self.with(|map, now| {
            if only_if_absent && map.get(&key).is_some_and(|e| e.expires > now) {
                return false;
            }
            map.insert(
                key,
                Entry {
                    value: value.to_owned(),
                    expires: now + ttl,
                },
            );
            true
        })
    }

    fn delete(&self, key: &str, expected: Option<&str>) -> CacheResult<bool> {
        self.with(|map, now| {
            let live = map
                .get(key)
                .is_some_and(|e| e.expires > now && expected.is_none_or(|x| e.value == x));
            if live || expected.is_none() {
                map.remove(key);
            }
            live
        })
    }

    fn incr(&self, key: String, ttl: Duration) -> CacheResult<Counter> {
        self.with(|map, now| {
            let entry = map.entry(key).or_insert_with(|| Entry {
                value: "0".into(),
                expires: now + ttl,
            });
            if entry.expires <= now {
                entry.value = "0".into();
                entry.expires = now + ttl;
            }
            let value = entry.value.parse::<i64>().unwrap_or(0).saturating_add(1);
            entry.value = value.to_string();
            Counter {
                value,
                ttl: entry.expires.saturating_duration_since(now),
            }
        })
    }
}
