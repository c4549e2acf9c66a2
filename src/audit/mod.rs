//! The audit area: reading the append-only audit log (secretariat). Entries
//! are written by every area's use cases through [`crate::platform::audit`],
//! in the same transaction as the change they record.

pub mod http;
