//! Identity: WeChat login, access and refresh tokens, the member's own
//! profile (`/me`, phone binding), members and their roles, invitations.
//!
//! - [`http`]: the handlers (thin: extractors, one use case, the response).
//! - Use cases: [`sessions`] (login, refresh, logout), [`profile`] (`/me`,
//!   phone), [`members`] (list, view, roles, `grant-role`), [`invitations`]
//!   (issue, list, revoke, redeem).
//! - Below them: [`views`] (how a member looks), [`codes`] (mini-program
//!   codes: WeChat or `dev:`) and the rule [`phone`].
//! - Who is calling (the principal, its extractors, roles, grants and
//!   tokens) lives below every area in [`crate::access`].
//! - [`lookup`] names a member for other areas (who decided).

pub mod codes;
pub mod http;
pub mod invitations;
pub mod lookup;
pub mod members;
pub mod phone;
pub mod profile;
pub mod sessions;
pub mod views;

// Old paths of what moved down to `crate::access`, for work in flight.
#[doc(hidden)]
pub use crate::access::{grants, principal, roles, tokens};
