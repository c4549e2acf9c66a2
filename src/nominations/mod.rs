//! Nominations: campaigns and their deadline, district filing, the
//! registration form (附件二) and its .docx, attachments, review,
//! forwarding and the export package.

pub mod http;
pub mod registration_form;
pub mod rules;
