//! The honours round: standings of schools and authors, the 20% / 10% caps,
//! the public notice and its objections, eligibility, the proposal to the
//! council and the standings workbook.
//!
//! - `http`: the handlers (extractors, one use-case call, the response).
//! - Use cases: `ranking` (standings pages, the year's ranking key, the
//!   workbook download), `notice` (publish and read the notice; file, list
//!   and resolve objections), `eligibility` (schools' conditions, logistics
//!   staff), `proposal` (build, adjust, submit, approve, return; the honours list).
//! - Below them: `model` (the views several use cases and the workbook
//!   show), `lookup` (the year's setting, notice and proposal), `rules` (the
//!   caps, the cut-off and the automatic selection, quoting the seed),
//!   `standings` (the standings SQL) and `workbook` (the Excel output).

pub mod conditions;
pub mod eligibility;
pub mod http;
pub mod lookup;
pub mod model;
pub mod notice;
pub mod people;
pub mod proposal;
pub mod ranking;
pub mod rules;
pub mod standings;
pub mod workbook;
