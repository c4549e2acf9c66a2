//! Drafts that save: a district lead fills in 附件二 in several sittings on a
//! phone, and one mistyped field must not lose the others typed with it.
//!
//! A change to a draft's form is a JSON merge patch (RFC 7396) applied field
//! by field:
//! - a field whose value has the wrong JSON type for the form (an age sent as
//!   `true`, `honours` as a string) or that the form does not have refuses the
//!   whole request with 422, every such field listed at its own pointer;
//! - otherwise every field that meets its rule (`rules::check_fields`) is
//!   saved, and every field that does not is left as it was and answered as a
//!   warning (pointer, code, message) beside the saved nomination;
//! - before its rule, a field is read as people type it: an age or member
//!   count given as a string of digits (`"45"`) is that number, and a phone
//!   number with spaces or dashes (`138 1234 6978`, `138-1234-6978`) is its
//!   digits.
//!
//! Submitting stays strict (`filing::submit`).

use chrono::NaiveDate;
use serde_json::{Map, Value};

use crate::nominations::rules::{self as rules, Category, NomineeKind, RegistrationForm};
use crate::platform::error::{ApiError, ApiResult, FieldError};

/// The form after a patch, and the fields of the patch that were not saved.
#[derive(Debug)]
pub struct Edited {
    pub form: RegistrationForm,
    pub warnings: Vec<FieldError>,
}

/// What the rules of a form field need besides the field.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub kind: NomineeKind,
    pub categories: &'a [Category],
    pub today: NaiveDate,
}

/// Applies `patch` to `form` field by field (see the module's doc).
pub fn apply(
    form: &RegistrationForm,
    patch: &Map<String, Value>,
    cx: Context<'_>,
) -> ApiResult<Edited> {
    parse(patch)?.apply(form, cx)
}

/// A patch whose fields have the form's JSON types: each field read alone
/// (`None`: cleared), and the warnings of the values read as typed.
#[derive(Debug)]
pub struct Parsed<'a> {
    fields: Vec<(&'a str, Option<RegistrationForm>)>,
    warnings: Vec<FieldError>,
}

/// Reads a patch's fields by their JSON types (422 listing every field of
/// another type or unknown to the form), before anything else is looked at.
pub fn parse(patch: &Map<String, Value>) -> ApiResult<Parsed<'_>> {
    let known = to_object(&RegistrationForm::default())?;
    let mut type_errors = Vec::new();
    let mut fields: Vec<(&str, Option<RegistrationForm>)> = Vec::new();
    let mut warnings = Vec::new();
    for (name, value) in patch {
        if !known.contains_key(name) {
            type_errors.push(FieldError::new(
                &format!("/form/{}", name.replace('~', "~0").replace('/', "~1")),
                "unknown",
                "报名表没有此项。",
            ));
            continue;
        }
        if value.is_null() {
            fields.push((name, None));
            continue;
        }
        let value = match as_typed(name, value) {
            Ok(v) => v,
            Err(warning) => {
                warnings.push(warning);
                continue;
            }
        };
        match parse_one(name, value) {
            Ok(one) => fields.push((name, Some(one))),
            Err(errors) => type_errors.extend(errors),
        }
    }
    if !type_errors.is_empty() {
        type_errors.sort_by(|a, b| a.pointer.cmp(&b.pointer));
        return Err(ApiError::validation(type_errors)
            .with_detail("部分字段的类型不正确，本次未保存任何内容，请修改标注的字段后重试。"));
    }
    Ok(Parsed { fields, warnings })
}

impl Parsed<'_> {
    /// The form with the fields that meet their rule saved; the others in
    /// the warnings.
    pub fn apply(self, form: &RegistrationForm, cx: Context<'_>) -> ApiResult<Edited> {
        let Parsed {
            fields,
            mut warnings,
        } = self;
        let mut merged = to_object(form)?;
        merged.retain(|_, v| !v.is_null());
        for (name, one) in fields {
            let Some(mut one) = one else {
                merged.remove(name);
                continue;
            };
            let problems = rules::check_fields(&one, cx.kind, cx.categories, cx.today);
            if problems.is_empty() {
                rules::normalise(&mut one);
                if let Some(v) = to_object(&one)?.remove(name) {
                    merged.insert(name.to_owned(), v);
                }
            } else {
                warnings.extend(problems);
            }
        }
        let form: RegistrationForm =
            serde_json::from_value(Value::Object(merged)).map_err(ApiError::internal)?;
        warnings.sort_by(|a, b| a.pointer.cmp(&b.pointer));
        Ok(Edited { form, warnings })
    }
}

/// The value of a field as people type it: digits in a string for the
/// numbers, a phone number without its spaces and dashes. A string that is
/// no number where a number is wanted is a warning at the field.
fn as_typed(name: &str, value: &Value) -> Result<Value, FieldError> {
    match (name, value) {
        ("age" | "member_count", Value::String(s)) => {
            let digits = s.trim();
            digits
                .parse::<i32>()
                .ok()
                .filter(|_| digits.bytes().all(|b| b.is_ascii_digit()))
                .map(Value::from)
                .ok_or_else(|| {
                    let label = if name == "age" {
                        "年龄"
                    } else {
                        "团队人数"
                    };
                    FieldError::new(
                        &format!("/form/{name}"),
                        "integer",
                        format!("{label}请填写数字，如 45。"),
                    )
                })
        }
        ("phone" | "contact_phone", Value::String(s)) => Ok(Value::String(
            s.chars()
                .filter(|c| !matches!(c, ' ' | '\u{3000}' | '-' | '\u{2010}'..='\u{2015}'))
                .collect(),
        )),
        _ => Ok(value.clone()),
    }
}

/// One field read alone into the form: its type errors at `/form/...`
/// (an unknown field is one).
fn parse_one(name: &str, value: Value) -> Result<RegistrationForm, Vec<FieldError>> {
    let mut one = Map::new();
    one.insert(name.to_owned(), value);
    let bytes = serde_json::to_vec(&Value::Object(one)).unwrap_or_default();
    crate::platform::extract::parse_json::<RegistrationForm>(&bytes).map_err(|e| {
        let errors: Vec<FieldError> = e
            .errors
            .iter()
            .map(|f| FieldError::new(&format!("/form{}", f.pointer), &f.code, f.message.clone()))
            .collect();
        if errors.is_empty() {
            vec![FieldError::new(
                &format!("/form/{name}"),
                "type",
                e.detail.into_owned(),
            )]
        } else {
            errors
        }
    })
}

fn to_object(form: &RegistrationForm) -> ApiResult<Map<String, Value>> {
    match serde_json::to_value(form).map_err(ApiError::internal)? {
        Value::Object(m) => Ok(m),
        _ => Ok(Map::new()),
    }
}
