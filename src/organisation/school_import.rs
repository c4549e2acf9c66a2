//! `POST /schools/import`: the secretariat's member-unit list as CSV, saved
//! from Excel — UTF-8 (with or without BOM) or GB18030 (what Excel saves in
//! China). Header names in Chinese or English. Every row is checked; nothing
//! is imported when any row is invalid.

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

/// One row of the import, after decoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// 1-based line number in the file (the header is line 1).
    pub line: usize,
    pub name: String,
    pub district: String,
}

/// What happened (or would happen) to one row.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RowReport {
    /// Line in the file (the header is line 1).
    pub line: usize,
    pub name: String,
    pub district: String,
    pub status: RowStatus,
    /// Why the row is invalid (Chinese), when `status` is `error`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// A row's outcome: in a rejected file (nothing imported) each row is `ok`
/// or `error`; in an imported one each is `created`, `updated` (its district
/// changed or it was active again) or `unchanged`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ImportRowStatus)]
pub enum RowStatus {
    Ok,
    Error,
    Created,
    Updated,
    Unchanged,
}

#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    Empty,
    NoHeader(String),
    Csv(String),
}

impl DecodeError {
    pub fn message(&self) -> String {
        match self {
            Self::Empty => "文件为空。".into(),
            Self::NoHeader(h) => {
                format!("表头须包含“学校名称”（或 name）与“片区”（或 district）两列，当前表头：{h}")
            }
            Self::Csv(e) => format!("CSV 格式有误：{e}"),
        }
    }
}

/// Decodes bytes as UTF-8 (dropping a BOM) or, failing that, GB18030.
pub fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

const NAME_HEADERS: &[&str] = &["学校名称", "学校", "单位名称", "会员单位", "name", "school"];
const DISTRICT_HEADERS: &[&str] = &["片区", "所属片区", "片区名称", "district"];

/// Parses the CSV into rows (whitespace trimmed, blank lines skipped).
pub fn parse(bytes: &[u8]) -> Result<Vec<Row>, DecodeError> {
    // Excel writes CRLF; normalise so line numbers are counted one way, and
    // end with a newline so every record's end is seen the same way.
    let mut text = decode_text(bytes).replace("\r\n", "\n").replace('\r', "\n");
    if text.trim().is_empty() {
        return Err(DecodeError::Empty);
    }
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| DecodeError::Csv(e.to_string()))?
        .clone();
    let find = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let (Some(name_col), Some(district_col)) = (find(NAME_HEADERS), find(DISTRICT_HEADERS)) else {
        return Err(DecodeError::NoHeader(
            headers.iter().collect::<Vec<_>>().join(","),
        ));
    };
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let more = reader
            .read_record(&mut record)
            .map_err(|e| DecodeError::Csv(e.to_string()))?;
        if !more {
            break;
        }
        // The reader now stands on the line after the record; the record
        // started as many lines earlier as it has newlines inside quotes.
        let inner_newlines: usize = record.iter().map(|f| f.matches('\n').count()).sum();
        let line = usize::try_from(reader.position().line())
            .unwrap_or(usize::MAX)
            .saturating_sub(1 + inner_newlines);
        // `trim` (not the csv crate's ASCII trim) also drops the full-width space.
        let field = |i: usize| record.get(i).unwrap_or_default().trim().to_owned();
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        rows.push(Row {
            line,
            name: field(name_col),
            district: field(district_col),
        });
    }
    Ok(rows)
}

/// Checks every row against the known districts and the rest of the file.
/// Answers one report per row; `ok` is false when any row has an error.
pub fn check(rows: &[Row], districts: &HashMap<String, i64>) -> (Vec<RowReport>, bool) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut ok = true;
    let mut known: Vec<&str> = districts.keys().map(String::as_str).collect();
    known.sort_unstable();
    let reports = rows
        .iter()
        .map(|r| {
            let mut errors = Vec::new();
            let len = r.name.chars().count();
            if len == 0 {
                errors.push("学校名称不能为空。".to_owned());
            } else if len > 64 {
                errors.push("学校名称不能超过 64 个字。".to_owned());
            }
            if r.district.is_empty() {
                errors.push("片区不能为空。".to_owned());
            } else if !districts.contains_key(&r.district) {
                errors.push(format!(
                    "片区“{}”不存在，可选：{}。",
                    r.district,
                    known.join("、")
                ));
            }
            if len > 0
                && let Some(first) = seen.insert(r.name.as_str(), r.line)
            {
                errors.push(format!("与第 {first} 行学校名称重复。"));
            }
            if !errors.is_empty() {
                ok = false;
            }
            RowReport {
                line: r.line,
                name: r.name.clone(),
                district: r.district.clone(),
                status: if errors.is_empty() {
                    RowStatus::Ok
                } else {
                    RowStatus::Error
                },
                errors,
            }
        })
        .collect();
    (reports, ok)
}
