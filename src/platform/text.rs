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

/// What [`optional_line`] accepts, as a JSON Schema `pattern`: no control
/// character (U+0000–001F, U+007F–009F) and no invisible format character
/// ([`is_invisible_format`]). Spelled with four-hex-digit `\u` escapes only, so ECMA-262,
/// Python `re` and the Rust `regex` crate read it alike (a negated class
/// also admits characters beyond the BMP, whichever the engine's unit).
/// One caveat of Python: its `$` also matches before a final `\n`, so a
/// Python validator should use `re.fullmatch` or read `$` as `\Z`
/// (schemathesis does).
pub const OPTIONAL_LINE_PATTERN: &str =
    r"^[^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$";

/// What [`paragraph`] accepts: as [`OPTIONAL_LINE_PATTERN`], plus line
/// feeds (U+000A).
pub const PARAGRAPH_PATTERN: &str = r"^[^\u0000-\u0009\u000B-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$";

/// What [`single_line`] accepts: as [`OPTIONAL_LINE_PATTERN`], with at least
/// one character that is not White_Space (Rust's `char::is_whitespace`: the
/// value is trimmed, so blank is refused). Leading white space, then the
/// first other character, then anything allowed: no backtracking.
pub const SINGLE_LINE_PATTERN: &str = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$";

/// What "not blank" means where a field takes any other text (e.g. a late
/// grant's reason): at least one character that is not White_Space
/// (`!s.trim().is_empty()`). A search, not anchored.
pub const NOT_BLANK_PATTERN: &str =
    r"[^\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";

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
