//! Integers in a query string written `19.0` are integers: JSON Schema (and
//! so a generated client or schemathesis) counts `19.0` as an integer, while
//! serde's integer fields refuse the text. Before routing, the value of a
//! query parameter the spec declares `integer` is rewritten when it is an
//! integer with a zero fraction; every other value is left as sent.

use std::collections::HashSet;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, web};

/// The names of the query parameters the spec declares `integer`.
#[derive(Clone, Debug, Default)]
pub struct IntegerQueryNames(HashSet<String>);

impl IntegerQueryNames {
    /// From the document as JSON (see [`crate::api::openapi::committed`]).
    pub fn from_openapi(doc: &serde_json::Value) -> Self {
        let mut names = HashSet::new();
        for item in doc["paths"]
            .as_object()
            .into_iter()
            .flat_map(|p| p.values())
        {
            for op in item.as_object().into_iter().flat_map(|o| o.values()) {
                for p in op["parameters"].as_array().into_iter().flatten() {
                    let kind = &p["schema"]["type"];
                    let integer = kind == "integer"
                        || kind
                            .as_array()
                            .is_some_and(|k| k.iter().any(|t| t == "integer"));
                    if p["in"] == "query"
                        && integer
                        && let Some(name) = p["name"].as_str()
                    {
                        names.insert(name.to_owned());
                    }
                }
            }
        }
        Self(names)
    }
}

/// `19.0`, `19.`, `-3.00` → the integer; anything else unchanged.
fn integral(value: &str) -> Option<&str> {
    let (int, frac) = value.split_once('.')?;
    let digits = int.strip_prefix('-').unwrap_or(int);
    (!digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b == b'0'))
    .then_some(int)
}

fn rewrite(query: &str, names: &IntegerQueryNames) -> Option<String> {
    let mut changed = false;
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if names.0.contains(k) => match integral(v) {
                Some(int) => {
                    changed = true;
                    format!("{k}={int}")
                }
                None => pair.to_owned(),
            },
            _ => pair.to_owned(),
        })
        .collect();
    changed.then(|| pairs.join("&"))
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let rewritten = req
        .app_data::<web::Data<IntegerQueryNames>>()
        .filter(|_| req.query_string().contains('.'))
        .and_then(|names| rewrite(req.query_string(), names));
    if let Some(query) = rewritten
        && let Ok(uri) = format!("{}?{query}", req.path()).parse()
    {
        req.head_mut().uri = uri;
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_integral_values_of_integer_parameters_change() {
        let names = IntegerQueryNames(["school_id".to_owned(), "year".to_owned()].into());
        assert_eq!(
            rewrite("school_id=19.0&year=2026.00&q=1.0", &names).as_deref(),
            Some("school_id=19&year=2026&q=1.0")
        );
        assert_eq!(rewrite("school_id=19.5", &names), None);
        assert_eq!(rewrite("school_id=.0", &names), None);
        assert_eq!(
            rewrite("school_id=-3.", &names).as_deref(),
            Some("school_id=-3")
        );
    }
}
