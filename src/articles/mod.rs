//! Article credit: accepted sources, submission of published links with
//! canonical URLs, background page verification, likely duplicates, review,
//! merge, withdrawal and the points per group.
//!
//! - `http`: the handlers (extractors, one use-case call, the response).
//! - Use cases: `sources` (list, create, update), `submission` (submit),
//!   `listing` (list, get and the article views), `review` (review, merge,
//!   withdraw); their inputs and views are in `model`.
//! - Rules and storage: `rules` (the points rule, likely duplicates, sources'
//!   configuration), `totals` (the kept standings totals), `canonical_url`, `fingerprint`, and `verify` (the
//!   background fetch of a submitted page, a service of its own).

pub mod authors;
pub mod canonical_url;
pub mod fingerprint;
pub mod http;
pub mod listing;
pub mod model;
pub mod review;
pub mod rules;
pub mod sources;
pub mod submission;
pub mod totals;
pub mod verify;
