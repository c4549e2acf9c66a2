//! Article credit: accepted sources, submission of published links with
//! canonical URLs, background page verification, likely duplicates, review,
//! merge, withdrawal and the points per group.

pub mod canonical_url;
pub mod fingerprint;
pub mod http;
pub mod rules;
pub mod verify;
