//! Nominations' HTTP surface.

pub mod campaigns;
pub mod nominations;
