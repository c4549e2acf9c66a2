//! Rules that need no HTTP.

pub mod articles;
pub mod audit;
pub mod canonical_url;
pub mod fingerprint;
pub mod phone;
pub mod roles;
pub mod school_import;
