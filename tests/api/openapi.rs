use crate::helpers::spawn_app;

#[test]
fn committed_spec_matches_the_code() {
    let generated = association::api::openapi::document_json().unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        generated == committed,
        "openapi/openapi.json is out of date with the code.\nRefresh it with:\n\n    cargo run -- export-openapi\n"
    );
}

#[tokio::test]
async fn served_spec_is_the_committed_one() {
    let app = spawn_app().await;
    let served: serde_json::Value = app.get("/openapi.json").await.json().await.unwrap();
    let generated: serde_json::Value =
        serde_json::from_str(&association::api::openapi::document_json().unwrap()).unwrap();
    assert_eq!(served, generated);
    assert_eq!(served["openapi"], "3.1.0");
}

#[test]
fn every_error_response_is_a_problem_and_bearer_auth_is_declared() {
    let doc: serde_json::Value =
        serde_json::from_str(&association::api::openapi::document_json().unwrap()).unwrap();
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer_auth"]["scheme"],
        "bearer"
    );
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("500"), "{method} {path} lacks 500");
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &response["content"]["application/problem+json"]["schema"]["$ref"];
                    assert_eq!(
                        schema, "#/components/schemas/Problem",
                        "{method} {path} {status}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 0);
}

/// utoipa keys schemas by name and keeps one silently: two Rust types
/// publishing one name would document one operation with the other's body
/// (as `ReviewInput` once did for the nominations' review, and `Scope` for
/// the articles' list). Two checks: no name is published with two different
/// schemas, and every schema an operation refers to is one its own handler
/// publishes (a query parameter's enum is not published by utoipa, so a
/// reference to it would bind to whatever type published that name).
#[test]
fn no_two_rust_types_publish_one_schema_name() {
    use std::collections::{BTreeMap, BTreeSet};
    use utoipa::OpenApi as _;
    let declared = association::api::openapi::ApiDoc::openapi()
        .components
        .map(|c| c.schemas)
        .unwrap_or_default();
    let published = association::api::published();
    assert!(published.len() > 60, "only {} handlers", published.len());

    let mut variants: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut unpublished_refs = Vec::new();
    for (name, schema) in &declared {
        variants
            .entry(name.clone())
            .or_default()
            .push(serde_json::to_string(schema).unwrap());
    }
    for handler in &published {
        let own: BTreeSet<&str> = handler.schemas.iter().map(|(n, _)| n.as_str()).collect();
        for (name, schema) in &handler.schemas {
            let json = serde_json::to_string(schema).unwrap();
            let v = variants.entry(name.clone()).or_default();
            if !v.contains(&json) {
                v.push(json);
            }
        }
        let ops = serde_json::to_string(&handler.paths).unwrap();
        for piece in ops.split("\"#/components/schemas/").skip(1) {
            let name = &piece[..piece.find('"').unwrap()];
            if !own.contains(name) && !declared.contains_key(name) {
                unpublished_refs.push(format!("{} refers to {name}", handler.handler));
            }
        }
    }
    let clashes: Vec<String> = variants
        .into_iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(name, v)| format!("{name}:\n  {}", v.join("\n  ")))
        .collect();
    assert!(
        clashes.is_empty(),
        "schema names published by more than one type (rename one with #[schema(as = ...)]):\n{}",
        clashes.join("\n")
    );
    assert!(
        unpublished_refs.is_empty(),
        "operations referring to a schema their handler does not publish \
         (inline it with #[param(inline)] or publish it under a unique name):\n{}",
        unpublished_refs.join("\n")
    );
}

/// A generated client reads every extension member the server sends as a
/// typed property of `Problem` (no `Record<string, never>`), and the server
/// sends no member the spec does not name.
#[test]
fn the_problem_schema_names_every_extension_member() {
    let doc: serde_json::Value =
        serde_json::from_str(&association::api::openapi::document_json().unwrap()).unwrap();
    let problem = &doc["components"]["schemas"]["Problem"];
    assert_eq!(problem["type"], "object", "{problem}");
    assert_eq!(problem["additionalProperties"], true);
    assert!(problem.get("allOf").is_none(), "{problem}");
    let properties: std::collections::BTreeSet<&str> = problem["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let fixed = [
        "type",
        "title",
        "status",
        "detail",
        "code",
        "instance",
        "request_id",
        "errors",
    ];
    let expected: std::collections::BTreeSet<&str> = fixed
        .iter()
        .chain(association::platform::error::EXTENSION_MEMBERS)
        .copied()
        .collect();
    assert_eq!(properties, expected);
    let required: Vec<&str> = problem["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, ["type", "title", "status", "detail", "code"]);
    assert_eq!(
        problem["properties"]["existing_article_id"]["type"],
        "integer"
    );
    assert_eq!(
        problem["properties"]["rows"]["items"]["$ref"],
        "#/components/schemas/RowReport"
    );
}

/// Each link names an operation of the document and only its parameters,
/// so a client (or schemathesis's stateful phase) can follow it.
#[test]
fn every_link_targets_an_operation_and_its_parameters() {
    let doc: serde_json::Value =
        serde_json::from_str(&association::api::openapi::document_json().unwrap()).unwrap();
    let mut operations = std::collections::BTreeMap::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let names: Vec<String> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| p["name"].as_str().unwrap().to_owned())
                        .collect()
                })
                .unwrap_or_default();
            operations.insert(op["operationId"].as_str().unwrap().to_owned(), names);
        }
    }
    let mut links = 0;
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            for response in op["responses"].as_object().unwrap().values() {
                for link in response["links"].as_object().into_iter().flatten() {
                    let (_, link) = link;
                    let target = link["operationId"].as_str().unwrap();
                    let params = operations
                        .get(target)
                        .unwrap_or_else(|| panic!("no operation {target}"));
                    for name in link["parameters"].as_object().unwrap().keys() {
                        assert!(params.contains(name), "{target} has no parameter {name}");
                    }
                    links += 1;
                }
            }
        }
    }
    assert!(links >= 20, "{links} links");
}

/// Each error response names the codes it can answer (in its description)
/// and shows an example problem of each, of that status.
#[test]
fn every_error_response_names_its_codes_with_an_example_of_each() {
    let doc: serde_json::Value =
        serde_json::from_str(&association::api::openapi::document_json().unwrap()).unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                if !(status.starts_with('4') || status.starts_with('5')) {
                    continue;
                }
                let examples = response["content"]["application/problem+json"]["examples"]
                    .as_object()
                    .unwrap_or_else(|| panic!("{method} {path} {status}: no example"));
                assert!(!examples.is_empty(), "{method} {path} {status}");
                for (code, example) in examples {
                    assert_eq!(example["value"]["code"], code.as_str());
                    assert_eq!(example["value"]["status"].to_string(), *status);
                    let description = response["description"].as_str().unwrap();
                    assert!(description.contains(&format!("`{code}`")), "{description}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "{checked}");
}

/// Every API operation documents its 4XX answers; only the operations
/// endpoints (no parameter, no body, no token) have none, which is why the
/// lint's `operation-4xx-response` rule is off (openapi/lint.redocly.yaml).
#[test]
fn every_api_operation_but_the_operations_endpoints_has_a_4xx_answer() {
    let doc: serde_json::Value =
        serde_json::from_str(&association::api::openapi::document_json().unwrap()).unwrap();
    let without: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .iter()
                .filter_map(move |(method, op)| {
                    let has_4xx = op["responses"]
                        .as_object()
                        .unwrap()
                        .keys()
                        .any(|s| s.starts_with('4'));
                    (!has_4xx).then(|| format!("{method} {path}"))
                })
        })
        .collect();
    assert_eq!(
        without,
        [
            "get /api/v1/server-info",
            "get /healthz",
            "get /metrics",
            "get /openapi.json",
            "get /readyz"
        ]
    );
}

/// Every operation has a one-line summary and a tag the document declares.
#[test]
fn every_operation_has_a_one_line_summary_and_a_declared_tag() {
    let doc: serde_json::Value =
        serde_json::from_str(&association::api::openapi::document_json().unwrap()).unwrap();
    let tags: Vec<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            assert!(t["description"].as_str().is_some_and(|d| !d.is_empty()));
            t["name"].as_str().unwrap()
        })
        .collect();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let summary = op["summary"].as_str().unwrap_or_default();
            assert!(
                !summary.is_empty() && !summary.contains('\n') && summary.chars().count() <= 140,
                "{method} {path}: {summary:?}"
            );
            for tag in op["tags"].as_array().unwrap() {
                assert!(
                    tags.contains(&tag.as_str().unwrap()),
                    "{method} {path}: {tag}"
                );
            }
        }
    }
}
