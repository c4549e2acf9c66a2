//! The honours round: standings of schools and authors, the 20% / 10% caps,
//! the public notice and its objections, eligibility, the proposal to the
//! council and the standings workbook.

pub mod http;
pub mod rules;
pub mod standings;
pub mod workbook;
