//! Article credit's HTTP surface.

pub mod articles;
pub mod sources;
