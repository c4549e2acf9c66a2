//! The honours round's HTTP surface.

pub mod notice;
pub mod proposal;
pub mod standings;
