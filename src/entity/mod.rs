//! sea-orm entities (table shapes only; behaviour lives in `domain` and `routes`).

pub mod article;
pub mod article_duplicate;
pub mod audit_log;
pub mod author;
pub mod campaign;
pub mod campaign_late_grant;
pub mod credit_year_setting;
pub mod district;
pub mod idempotency_key;
pub mod individual_eligibility;
pub mod invitation;
pub mod invitation_redemption;
pub mod member;
pub mod member_role;
pub mod nomination;
pub mod nomination_attachment;
pub mod nomination_quota_slot;
pub mod notice;
pub mod notice_row;
pub mod objection;
pub mod proposal;
pub mod proposal_entry;
pub mod refresh_token;
pub mod school;
pub mod school_eligibility;
pub mod source;
