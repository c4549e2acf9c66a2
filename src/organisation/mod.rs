//! The organisation: districts (片区), schools (会员单位) and the CSV import
//! of the member list.

pub mod http;
pub mod lookup;
pub mod school_import;
