//! Field rules for free text typed on a phone, shared by every request body
//! (used as `#[validate(custom(function = "crate::platform::text::…"))]`).

use validator::ValidationError;

fn refuse(message: &'static str) -> Result<(), ValidationError> {
    let mut e = ValidationError::new("format");
    e.message = Some(message.into());
    Err(e)
}

/// Characters that change how text around them is shown without being seen
/// themselves: bidirectional embeddings, overrides and isolates (U+202A–202E,
/// U+2066–2069; a U+202E can make "gpj.exe" read as "exe.jpg"), the
/// directional marks (U+200E, U+200F, U+061C), and zero-width characters
/// (U+200B–200D, U+2060, U+FEFF) that make two equal-looking names differ.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{061C}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'
            | '\u{FEFF}'
    )
}

const INVISIBLE: &str = "不能包含不可见的格式字符（如文字方向控制符或零宽字符）。";

/// A name or title: not blank, on one line, no control characters, no
/// invisible format characters.
pub fn single_line(s: &str) -> Result<(), ValidationError> {
    if s.trim().is_empty() || s.chars().any(char::is_control) {
        return refuse("不能为空，也不能包含控制字符。");
    }
    if s.chars().any(is_invisible_format) {
        return refuse(INVISIBLE);
    }
    Ok(())
}

/// An optional profile field: may be empty (it clears the field), no control
/// or invisible format characters.
pub fn optional_line(s: &str) -> Result<(), ValidationError> {
    if s.chars().any(char::is_control) {
        return refuse("不能包含控制字符。");
    }
    if s.chars().any(is_invisible_format) {
        return refuse(INVISIBLE);
    }
    Ok(())
}

/// A paragraph: line breaks allowed, no other control characters, no
/// invisible format characters.
pub fn paragraph(s: &str) -> Result<(), ValidationError> {
    if s.chars().any(|c| c.is_control() && c != '\n') {
        return refuse("不能包含控制字符。");
    }
    if s.chars().any(is_invisible_format) {
        return refuse(INVISIBLE);
    }
    Ok(())
}
