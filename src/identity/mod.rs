//! Identity: WeChat login, access and refresh tokens, the member's own
//! profile (`/me`, phone binding), members and their roles, invitations.
//!
//! - [`http`]: the handlers (thin: extractors, one use case, the response).
//! - Use cases: [`sessions`] (login, refresh, logout), [`profile`] (`/me`,
//!   phone), [`members`] (list, view, roles, `grant-role`), [`invitations`]
//!   (issue, list, revoke, redeem).
//! - Below them: [`views`] (how a member looks), [`grants`] (stored roles),
//!   [`codes`] (mini-program codes: WeChat or `dev:`), [`tokens`], and the
//!   rules [`roles`] and [`phone`].
//! - [`principal`] holds the extractors every area's HTTP uses to say who
//!   may call it.

pub mod codes;
pub mod grants;
pub mod http;
pub mod invitations;
pub mod members;
pub mod phone;
pub mod principal;
pub mod profile;
pub mod roles;
pub mod sessions;
pub mod tokens;
pub mod views;

pub use principal::{
    ArticleReader, Auth, Correspondent, CorrespondentOrSecretariat, Council, DistrictLead,
    Principal, Secretariat, SecretariatOrCouncil,
};
