//! The one integration-test binary. Each module tests one capability through
//! the real application (see `helpers`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod articles;
mod auth;
mod cache;
mod clock;
mod config;
mod errors;
mod idempotency;
mod migrations;
mod openapi;
mod ops;
mod pagination;
mod permissions;
mod rate_limit;
mod sources;
mod verification;
mod wechat;
