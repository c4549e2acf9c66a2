//! sea-orm entities (table shapes only; behaviour lives in `domain` and `routes`).

pub mod article;
pub mod article_duplicate;
pub mod audit_log;
pub mod district;
pub mod idempotency_key;
pub mod invitation;
pub mod invitation_redemption;
pub mod member;
pub mod member_role;
pub mod refresh_token;
pub mod school;
pub mod source;
