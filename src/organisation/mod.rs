//! The organisation: districts (片区), schools (会员单位) and the CSV import
//! of the member list.
//!
//! - [`http`]: the handlers (thin: extractors, one use case, the response).
//! - Use cases: [`districts`] (list, create, rename), [`schools`] (list,
//!   create, change, import).
//! - Below them: [`school_import`] (reading and checking the CSV), [`names`]
//!   (a taken name), and [`lookup`], what other areas ask of the
//!   organisation (does a school or district exist, its name, was a school
//!   a member unit in a credit year: `member_in_year`).

pub mod districts;
pub mod http;
pub mod lookup;
pub mod names;
pub mod school_import;
pub mod schools;
