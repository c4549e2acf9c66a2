//! Field rules for free text typed on a phone, shared by every request body
//! (used as `#[validate(custom(function = "crate::platform::text::…"))]`).

use validator::ValidationError;

fn refuse(message: &'static str) -> Result<(), ValidationError> {
    let mut e = ValidationError::new("format");
    e.message = Some(message.into());
    Err(e)
}

/// A name or title: not blank, on one line, no control characters.
pub fn single_line(s: &str) -> Result<(), ValidationError> {
    if s.trim().is_empty() || s.chars().any(char::is_control) {
        return refuse("不能为空，也不能包含控制字符。");
    }
    Ok(())
}

/// An optional profile field: may be empty (it clears the field), no control characters.
pub fn optional_line(s: &str) -> Result<(), ValidationError> {
    if s.chars().any(char::is_control) {
        return refuse("不能包含控制字符。");
    }
    Ok(())
}

/// A paragraph: line breaks allowed, no other control characters.
pub fn paragraph(s: &str) -> Result<(), ValidationError> {
    if s.chars().any(|c| c.is_control() && c != '\n') {
        return refuse("不能包含控制字符。");
    }
    Ok(())
}
