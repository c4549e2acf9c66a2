//! Nominations' HTTP surface: thin handlers over the area's use cases.

pub mod campaigns;
mod multipart;
pub mod nominations;
mod responses;
