//! The audit area: reading the append-only audit log (secretariat and
//! council). Entries are written by every area's use cases through
//! [`crate::platform::audit`], in the same transaction as the change they
//! record.
//!
//! - [`http`]: the handler (thin: extractors, one use case, the response).
//! - [`log`]: the use case, listing entries newest first with filters.

pub mod http;
pub mod log;
