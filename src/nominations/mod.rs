//! Nominations: campaigns and their deadline, district filing, the
//! registration form (附件二) and its .docx, attachments, review,
//! forwarding and the export package.
//!
//! - `http`: the handlers (extractors, one use case, the response).
//! - Use cases: `campaigns` (list, get, create, update, late grants),
//!   `filing` (read, start, edit, submit and withdraw a nomination; the
//!   district's quota slot), `attachments` (upload, download, delete),
//!   `form` (the registration form as .docx), `review`, `package` (forward
//!   to the national association, the export zip).
//! - Below them: `lookup` (rows, row locks, access and state checks shared by
//!   the use cases), `model` (inputs and views), `rules` (the seed's rules),
//!   `registration_form` (the .docx layout), `images` (pictures read under
//!   limits; the photo's form-sized copy).

pub mod attachments;
pub mod campaigns;
pub mod draft;
pub mod filing;
pub mod form;
pub mod http;
pub mod images;
mod lookup;
pub mod model;
pub mod package;
pub mod registration_form;
pub mod reminders;
pub mod review;
pub mod rules;
