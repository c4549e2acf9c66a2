//! Rules that need no HTTP.

pub mod articles;
pub mod audit;
pub mod canonical_url;
pub mod fingerprint;
pub mod honours;
pub mod nominations;
pub mod phone;
pub mod registration_form;
pub mod roles;
pub mod school_import;
pub mod standings;
pub mod text;
