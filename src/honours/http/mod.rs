//! The honours round's HTTP surface.

pub mod eligibility;
pub mod notice;
pub mod people;
pub mod proposal;
pub mod standings;
