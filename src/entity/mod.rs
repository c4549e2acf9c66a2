//! sea-orm entities (table shapes only; behaviour lives beside the routes and domain).

pub mod idempotency_key;
