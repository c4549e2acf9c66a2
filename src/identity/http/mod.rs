//! Identity's HTTP surface.

pub mod auth;
pub mod invitations;
pub mod me;
pub mod members;
