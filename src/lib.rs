//! Backend of the WeChat mini-program of the Sichuan Provincial Association of
//! University Logistics (四川省高校后勤协会). See `README.md` and the spec.
//!
//! The house, top-down (dependencies only point down; no circles):
//!
//! - entry: `main.rs`, [`cli`], [`startup`], [`seed`] — settings, the command
//!   line, the `Application`;
//! - [`api`]: the route table, the OpenAPI assembly, operations endpoints;
//! - one folder per capability — [`identity`], [`organisation`], [`articles`],
//!   [`honours`], [`nominations`], [`audit`] — each with its HTTP surface
//!   (`http`), its use cases and its rules; an area's HTTP never imports
//!   another area's HTTP;
//! - [`access`]: who is calling — the principal and the extractors every
//!   area's HTTP uses, roles, grants, access tokens;
//! - [`state`]: what a handler can reach (storage, cache, clock, settings);
//! - [`wechat`]: the WeChat client;
//! - [`platform`]: the shared mechanisms (errors, database and unit of work,
//!   cache, clock, idempotency, pagination, rate limits, request ids, metrics,
//!   telemetry, extractors);
//! - [`entity`]: sea-orm entities, no behaviour.

pub mod access;
pub mod api;
pub mod articles;
pub mod audit;
pub mod cli;
pub mod entity;
pub mod honours;
pub mod identity;
pub mod nominations;
pub mod notifications;
pub mod organisation;
pub mod platform;
pub mod seed;
pub mod startup;
pub mod state;
pub mod wechat;
pub mod worker;

pub use platform::init_tls;
