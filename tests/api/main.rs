//! The one integration-test binary. Each module tests one capability through
//! the real application (see `helpers`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod address;
mod articles;
mod attachments;
mod audit;
mod auth;
mod cache;
mod campaign_timeline;
mod campaigns;
mod cli;
mod client;
mod clock;
mod concurrency;
mod config;
mod content_check;
mod contract;
mod contract_constraints;
mod errors;
mod exports;
mod honours;
mod honours_round;
mod idempotency;
mod images;
mod invitations;
mod me;
mod membership;
mod migrations;
mod nomination_drafts;
mod nominations;
mod openapi;
mod ops;
mod org;
mod pagination;
mod permissions;
mod rate_limit;
mod replicas;
mod sessions;
mod sources;
mod stale_decisions;
mod verification;
mod wechat;
