//! Subscribe-message templates as WeChat defines them: a template id chosen
//! in the mini-program's console, and its fields (`thing1`, `phrase2`,
//! `time3`, …) whose key prefix is the field's type. WeChat refuses a value
//! that breaks its type's rules (47003), so every value is fitted first:
//!
//! | type | rule (WeChat's documentation) | fitted |
//! |---|---|---|
//! | `thing` | ≤ 20 characters | cut to 19 + `…` |
//! | `phrase` | ≤ 5 Chinese characters only | non-Chinese removed, cut to 5 |
//! | `name` | ≤ 10 characters | cut to 10 |
//! | `character_string` | ≤ 32 digits, letters, symbols | others removed, cut to 32 |
//! | `number` | ≤ 32 digits (with a decimal point) | others removed, cut to 32 |
//! | `phone_number` | ≤ 17 digits and symbols | others removed, cut to 17 |
//! | `time`, `date` | a time or date as WeChat writes it | given as `2021年11月3日 23:59` |
//!
//! Configuration (`WECHAT_TEMPLATES`, JSON) maps an event to its template:
//! `{"article.reviewed": {"template_id": "…", "page": "pages/article/index",
//! "data": {"thing1": "title", "phrase2": "result", "thing3": "reason", "time4": "time"}}}`
//! — each field names the fact of the event it shows.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One event's template.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub template_id: String,
    /// The mini-program page the message opens (`?id=` of the entity added).
    #[serde(default)]
    pub page: Option<String>,
    /// WeChat field key → the event's fact shown in it.
    pub data: BTreeMap<String, String>,
}

/// The templates of every event that sends a subscribe message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Templates(BTreeMap<String, Template>);

impl Templates {
    /// Reads `WECHAT_TEMPLATES`; every field key must have a known type.
    pub fn parse(json: &str) -> Result<Self, String> {
        let map: BTreeMap<String, Template> =
            serde_json::from_str(json).map_err(|e| format!("not the expected JSON: {e}"))?;
        for (event, t) in &map {
            if t.template_id.trim().is_empty() {
                return Err(format!("{event}: template_id is empty"));
            }
            for key in t.data.keys() {
                if FieldKind::of(key).is_none() {
                    return Err(format!("{event}: `{key}` is no WeChat field type"));
                }
            }
        }
        Ok(Self(map))
    }

    pub fn for_event(&self, event: &str) -> Option<&Template> {
        self.0.get(event)
    }

    /// Every configured (event, template).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Template)> {
        self.0.iter().map(|(e, t)| (e.as_str(), t))
    }

    pub fn knows_template(&self, template_id: &str) -> bool {
        self.0.values().any(|t| t.template_id == template_id)
    }
}

impl Template {
    /// The message's `data`: each field's fact, fitted to its type.
    pub fn data(&self, facts: &BTreeMap<String, String>) -> serde_json::Value {
        let mut data = serde_json::Map::new();
        for (key, fact) in &self.data {
            let raw = facts.get(fact).map(String::as_str).unwrap_or_default();
            let value = FieldKind::of(key).map_or_else(|| raw.to_owned(), |k| k.fit(raw));
            data.insert(key.clone(), serde_json::json!({ "value": value }));
        }
        serde_json::Value::Object(data)
    }
}

/// The type of a template field, from its key (`thing1` is a `thing`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    Thing,
    Phrase,
    Name,
    CharacterString,
    Number,
    PhoneNumber,
    Time,
    Date,
}

impl FieldKind {
    pub fn of(key: &str) -> Option<Self> {
        let prefix = key.trim_end_matches(|c: char| c.is_ascii_digit());
        Some(match prefix {
            "thing" => Self::Thing,
            "phrase" => Self::Phrase,
            "name" => Self::Name,
            "character_string" => Self::CharacterString,
            "number" => Self::Number,
            "phone_number" => Self::PhoneNumber,
            "time" => Self::Time,
            "date" => Self::Date,
            _ => return None,
        })
    }

    /// `value` as WeChat accepts it for this type (see the module's table).
    pub fn fit(self, value: &str) -> String {
        let value = value.trim();
        match self {
            Self::Thing => cut(value, 20),
            Self::Phrase => value.chars().filter(|c| is_han(*c)).take(5).collect(),
            Self::Name => value.chars().take(10).collect(),
            Self::CharacterString => value
                .chars()
                .filter(|c| c.is_ascii_graphic())
                .take(32)
                .collect(),
            Self::Number => value
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '.')
                .take(32)
                .collect(),
            Self::PhoneNumber => value
                .chars()
                .filter(|c| c.is_ascii_digit() || matches!(c, '+' | '-'))
                .take(17)
                .collect(),
            Self::Time | Self::Date => value.chars().take(20).collect(),
        }
    }
}

/// At most `max` characters; a longer text ends with `…` within them.
fn cut(value: &str, max: usize) -> String {
    if value.chars().count() <= max {
        return value.to_owned();
    }
    let mut out: String = value.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF)
}
