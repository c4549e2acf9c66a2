//! The OpenAPI 3.1 document, generated from the handlers by utoipa.
//!
//! Refresh the committed copy with `cargo run -- export-openapi`.

use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Response};
use utoipa::{Modify, OpenApi as _};

use crate::api::problem::ProblemSchema;
use crate::platform::decision::DecidedBy;
use crate::platform::error::{ErrorCode, FieldError};

pub const BEARER: &str = "bearer_auth";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "四川省高校后勤协会 mini-program API",
        description = "Backend of the WeChat mini-program of the Sichuan Provincial Association of University Logistics (四川省高校后勤协会): article credit, honours round, nominations.\n\nConventions: JSON with snake_case fields; timestamps RFC 3339 with offset; errors are RFC 9457 `application/problem+json` with a stable `code`; lists are paginated with `page_size` and `page_token` (answering `next_page_token`); POSTs a phone may retry accept an `Idempotency-Key` header; a decision (review, merge, eligibility, proposal) made on a stale view answers 409 `STALE_DECISION`, whose extension members (see `Problem`) say who decided what, when, and a deliberate change of an earlier decision is an explicit request with a reason (`revises`, or `If-Match` with the ETag read).",
        version = env!("CARGO_PKG_VERSION"),
    ),
    components(schemas(ProblemSchema, FieldError, ErrorCode, DecidedBy)),
    modifiers(&Conventions),
    servers((url = "/", description = "The server this document is served from")),
    tags(
        (name = "auth", description = "WeChat login, token refresh and logout"),
        (name = "me", description = "The caller's own profile, phone and invitations"),
        (name = "invitations", description = "Invitation codes that grant a role (secretariat)"),
        (name = "members", description = "Members and their roles (secretariat)"),
        (name = "organisation", description = "Districts (片区) and member schools"),
        (name = "sources", description = "The sites and media whose articles earn points, per year and column"),
        (name = "articles", description = "Correspondents' article links: submission, verification, review, duplicates"),
        (name = "honours", description = "The honours round: standings, caps, notice, objections, eligibility, proposal, council approval"),
        (name = "campaigns", description = "Nomination campaigns (e.g. 最美后勤人): deadlines, quotas, late grants, forwarding"),
        (name = "nominations", description = "District leads' nominations: the form, attachments, submission, review"),
        (name = "audit", description = "The append-only audit log (secretariat)"),
        (name = "meta", description = "Facts about the server the app needs (its clock)"),
        (name = "operations", description = "Health, readiness, metrics and the spec itself"),
    )
)]
pub struct ApiDoc;

/// The operations of one path (the methods this API uses).
fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .flatten()
}

/// Adds the Bearer-JWT scheme and puts the problem schema on every error response.
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        // A problem may carry members a client does not know yet.
        if let Some(RefOr::T(Schema::Object(problem))) = components.schemas.get_mut("Problem") {
            problem.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(true)));
        }
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("Access token from `POST /api/v1/auth/wechat/login`"))
                    .build(),
            ),
        );
    }
}

fn problem_response(description: &str) -> RefOr<Response> {
    RefOr::T(
        Response::builder()
            .description(description)
            .content(
                crate::platform::error::PROBLEM_JSON,
                Content::new(Some(Ref::from_schema_name("Problem"))),
            )
            .build(),
    )
}

fn add_default(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| problem_response(description));
}

/// Every error response documented with the problem schema, and the errors
/// any operation can answer listed on it (bad parameters, bodies, 500).
fn complete_errors(openapi: &mut OpenApi) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        let has_path_params = path.contains('{');
        // Every API operation reads or writes storage (server-info does not).
        let uses_database = path.starts_with("/api/v1/") && path != "/api/v1/server-info";
        for op in operations_mut(item) {
            let has_query = op.parameters.as_ref().is_some_and(|ps| !ps.is_empty());
            if op.request_body.is_some() {
                add_default(
                    op,
                    "400",
                    "Malformed request body (`MALFORMED_JSON`) or parameter",
                );
                add_default(op, "413", "Request body too large (`PAYLOAD_TOO_LARGE`)");
                add_default(
                    op,
                    "415",
                    "Not `application/json` (`UNSUPPORTED_MEDIA_TYPE`)",
                );
                add_default(
                    op,
                    "422",
                    "Invalid fields (`VALIDATION_FAILED`, with `errors[].pointer`)",
                );
                let refers = "`NOT_FOUND`: something the body refers to does not exist \
                              (`errors[].pointer` names the field)";
                match op.responses.responses.get_mut("404") {
                    Some(RefOr::T(r)) if !r.description.contains("refers to") => {
                        r.description = format!("{}; or {refers}", r.description);
                    }
                    Some(_) => {}
                    None => add_default(op, "404", refers),
                }
            }
            if has_path_params || has_query {
                add_default(
                    op,
                    "400",
                    "Invalid path or query parameter (`INVALID_PARAMETER`)",
                );
            }
            // An operation whose requirements include the empty one (`{}`)
            // takes a token but does not need one: no 401 for it.
            let takes_token = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let needs_token = takes_token
                && !op
                    .security
                    .iter()
                    .flatten()
                    .any(|r| *r == utoipa::openapi::security::SecurityRequirement::default());
            if needs_token {
                add_default(
                    op,
                    "401",
                    "Missing, invalid, expired or logged-out access token (`UNAUTHENTICATED`)",
                );
            }
            if uses_database {
                op.responses
                    .responses
                    .entry("503".to_owned())
                    .or_insert_with(|| {
                        RefOr::T(
                            Response::builder()
                                .description(if takes_token {
                                    "The database is unreachable or busy \
                                     (`DATABASE_UNAVAILABLE`); retry after `Retry-After` seconds. \
                                     `SERVICE_UNAVAILABLE` (no `Retry-After`) when the cache, \
                                     which holds the logged-out access tokens, is unreachable"
                                } else {
                                    "The database is unreachable or busy \
                                     (`DATABASE_UNAVAILABLE`); retry after `Retry-After` seconds"
                                })
                                .header(
                                    "Retry-After",
                                    utoipa::openapi::header::HeaderBuilder::new()
                                        .schema(Some(
                                            utoipa::openapi::ObjectBuilder::new().schema_type(
                                                utoipa::openapi::schema::Type::Integer,
                                            ),
                                        ))
                                        .description(Some("Seconds to wait before retrying"))
                                        .build(),
                                )
                                .content(
                                    crate::platform::error::PROBLEM_JSON,
                                    Content::new(Some(Ref::from_schema_name("Problem"))),
                                )
                                .build(),
                        )
                    });
            }
            add_default(
                op,
                "500",
                "Unexpected failure (`INTERNAL_ERROR`); quote `request_id`",
            );
            for (status, response) in op.responses.responses.iter_mut() {
                let is_error = status.starts_with('4') || status.starts_with('5');
                if let RefOr::T(r) = response
                    && is_error
                    && !r.content.contains_key(crate::platform::error::PROBLEM_JSON)
                {
                    r.content.clear();
                    r.content.insert(
                        crate::platform::error::PROBLEM_JSON.to_owned(),
                        RefOr::T(Content::new(Some(Ref::from_schema_name("Problem")))),
                    );
                }
            }
        }
    }
}

fn header(kind: Type, description: &str, required: bool) -> RefOr<Header> {
    let mut h = HeaderBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(kind)))
        .description(Some(description))
        .build();
    if required {
        // `Header` has no `required` field in utoipa; the member is spelled
        // out (OpenAPI 3.1 §4.8.21.1: headers follow the parameter object).
        let mut extensions = Extensions::default();
        extensions.insert("required".to_owned(), serde_json::Value::Bool(true));
        h.extensions = Some(extensions);
    }
    RefOr::T(h)
}

/// The header parameters the server checks, with its rules: `Idempotency-Key`
/// is 1–255 visible ASCII characters (`platform::extract::IdempotencyKey`),
/// `If-Match` an ETag — visible ASCII, not blank (`platform::extract::IfMatch`).
fn constrain_header_parameters(op: &mut Operation) {
    for parameter in op.parameters.iter_mut().flatten() {
        let RefOr::T(parameter) = parameter else {
            continue;
        };
        if parameter.parameter_in != ParameterIn::Header {
            continue;
        }
        let (pattern, max_length) = match parameter.name.as_str() {
            "Idempotency-Key" => ("^[\\x21-\\x7E]{1,255}$", Some(255)),
            "If-Match" => ("^[\\t\\x20-\\x7E]*[\\x21-\\x7E][\\t\\x20-\\x7E]*$", None),
            _ => continue,
        };
        parameter.schema = Some(RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(max_length)
                .pattern(Some(pattern))
                .build(),
        )));
    }
}

/// Whether `media_type` is a file (not JSON, not text).
fn is_binary(media_type: &str) -> bool {
    media_type.starts_with("application/vnd.")
        || media_type.starts_with("image/")
        || matches!(
            media_type,
            "application/zip" | "application/pdf" | "application/octet-stream"
        )
}

/// Public operations say so (`security: []`); the headers the server sends
/// are declared on each response: `X-Request-Id` on every one,
/// `Retry-After` and `RateLimit-*` on 429, `Idempotent-Replayed` on the
/// answers of operations taking an `Idempotency-Key`, and
/// `Content-Disposition` on downloads, whose bodies are `format: binary`.
fn complete_headers(openapi: &mut OpenApi) {
    for item in openapi.paths.paths.values_mut() {
        if let Some(op) = item.patch.as_mut() {
            let note = "From `wx.request`, which cannot send PATCH: send `POST` with the \
                        header `X-HTTP-Method-Override: PATCH` (only `POST`, only to `PATCH`; \
                        any other override answers 400 `INVALID_PARAMETER`).";
            op.description = Some(match op.description.take() {
                Some(d) if !d.is_empty() => format!("{d}\n\n{note}"),
                _ => note.to_owned(),
            });
        }
        for op in operations_mut(item) {
            op.security.get_or_insert_with(Vec::new);
            constrain_header_parameters(op);
            let idempotent = op.parameters.iter().flatten().any(|p| {
                matches!(p, RefOr::T(p)
                    if p.name == "Idempotency-Key" && p.parameter_in == ParameterIn::Header)
            });
            for (status, response) in op.responses.responses.iter_mut() {
                let RefOr::T(r) = response else { continue };
                let headers = &mut r.headers;
                headers.entry("X-Request-Id".to_owned()).or_insert_with(|| {
                    header(
                        Type::String,
                        "The request's id: the caller's own `X-Request-Id` when it is 1–128 \
                         characters of `A-Za-z0-9-_.:`, else a new UUID. Problems quote it \
                         as `request_id`; the logs carry it",
                        true,
                    )
                });
                if status == "429" {
                    let rate = [
                        (
                            "Retry-After",
                            Type::Integer,
                            "Seconds until a retry may succeed",
                        ),
                        (
                            "RateLimit-Limit",
                            Type::Integer,
                            "Requests allowed in the window",
                        ),
                        (
                            "RateLimit-Remaining",
                            Type::Integer,
                            "Requests left in the window (0)",
                        ),
                        (
                            "RateLimit-Reset",
                            Type::Integer,
                            "Seconds until the window resets",
                        ),
                        (
                            "RateLimit-Policy",
                            Type::String,
                            "The limit and its window, e.g. `10;w=60`",
                        ),
                    ];
                    for (name, kind, description) in rate {
                        headers.insert(name.to_owned(), header(kind, description, true));
                    }
                }
                if idempotent && status.starts_with('2') {
                    headers
                        .entry("Idempotent-Replayed".to_owned())
                        .or_insert_with(|| {
                            header(
                                Type::Boolean,
                                "`true` when this is the stored first answer to the request's \
                             `Idempotency-Key` (the effect happened once, earlier)",
                                false,
                            )
                        });
                }
                let mut binary = false;
                for (media_type, content) in r.content.iter_mut() {
                    if let RefOr::T(c) = content
                        && is_binary(media_type)
                    {
                        binary = true;
                        c.schema = Some(RefOr::T(Schema::Object(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                                .content_media_type(media_type.as_str())
                                .build(),
                        )));
                    }
                }
                if binary {
                    headers
                        .entry("Content-Disposition".to_owned())
                        .or_insert_with(|| {
                            header(
                                Type::String,
                                "`attachment`, with the file name to save it under (`filename*`, \
                             UTF-8) and a plain ASCII `filename` for older clients",
                                true,
                            )
                        });
                }
            }
        }
    }
}

/// OpenAPI links from each create to the operations on what it created, so
/// a client (and schemathesis's stateful phase) can chain the calls: rows of
/// (operation, status, link name, target operation, target parameters as
/// runtime expressions). None leads to an operation whose body names other
/// resources (a late grant's district): a 404 about those would read as
/// "the created resource is gone".
type LinkRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const LINKS: &[LinkRow] = &[
    (
        "create_district",
        "201",
        "update",
        "update_district",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_school",
        "201",
        "update",
        "update_school",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_source",
        "201",
        "update",
        "update_source",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_invitation",
        "201",
        "revoke",
        "revoke_invitation",
        &[("id", "$response.body#/id")],
    ),
    (
        "submit_article",
        "201",
        "read",
        "get_article",
        &[("id", "$response.body#/id")],
    ),
    (
        "submit_article",
        "201",
        "review",
        "review_article",
        &[("id", "$response.body#/id")],
    ),
    (
        "submit_article",
        "201",
        "withdraw",
        "withdraw_article",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_campaign",
        "201",
        "read",
        "get_campaign",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_campaign",
        "201",
        "update",
        "update_campaign",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_campaign",
        "201",
        "nominate",
        "create_nomination",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_campaign",
        "201",
        "nominations",
        "list_nominations",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_campaign",
        "201",
        "export",
        "export_zip",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_nomination",
        "201",
        "read",
        "get_nomination",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_nomination",
        "201",
        "update",
        "patch_nomination",
        &[
            ("id", "$response.body#/id"),
            ("If-Match", "$response.header.ETag"),
        ],
    ),
    (
        "create_nomination",
        "201",
        "upload",
        "upload_attachment",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_nomination",
        "201",
        "submit",
        "submit_nomination",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_nomination",
        "201",
        "form",
        "form_docx",
        &[("id", "$response.body#/id")],
    ),
    (
        "upload_attachment",
        "201",
        "read",
        "get_attachment",
        &[
            ("id", "$request.path.id"),
            ("attachment_id", "$response.body#/id"),
        ],
    ),
    (
        "upload_attachment",
        "201",
        "replace",
        "replace_attachment",
        &[
            ("id", "$request.path.id"),
            ("attachment_id", "$response.body#/id"),
        ],
    ),
    (
        "upload_attachment",
        "201",
        "delete",
        "delete_attachment",
        &[
            ("id", "$request.path.id"),
            ("attachment_id", "$response.body#/id"),
        ],
    ),
    (
        "file_objection",
        "201",
        "resolve",
        "resolve_objection",
        &[("id", "$response.body#/id")],
    ),
    (
        "publish_notice",
        "201",
        "read",
        "get_notice",
        &[("year", "$request.path.year")],
    ),
    (
        "build_proposal",
        "201",
        "read",
        "get_proposal",
        &[("year", "$request.path.year")],
    ),
    (
        "build_proposal",
        "201",
        "update",
        "patch_proposal",
        &[("year", "$request.path.year")],
    ),
    (
        "build_proposal",
        "201",
        "submit",
        "submit_proposal",
        &[("year", "$request.path.year")],
    ),
];

fn add_links(openapi: &mut OpenApi) {
    for item in openapi.paths.paths.values_mut() {
        for op in operations_mut(item) {
            let Some(id) = op.operation_id.clone() else {
                continue;
            };
            for (source, status, name, target, parameters) in LINKS {
                if *source != id {
                    continue;
                }
                let Some(RefOr::T(response)) = op.responses.responses.get_mut(*status) else {
                    continue;
                };
                let mut link = LinkBuilder::new().operation_id(*target);
                for (parameter, expression) in *parameters {
                    link = link.parameter(*parameter, *expression);
                }
                response
                    .links
                    .insert((*name).to_owned(), RefOr::T(link.build()));
            }
        }
    }
}

/// Characters Rust's `char::is_whitespace` counts: a reason the server trims
/// to nothing is no reason.
const NOT_ALL_WHITESPACE: &str =
    "[^\\t\\n\\x0B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]";

/// Rules between two fields of a body, as JSON Schema `if`/`then` (in an
/// `allOf`, one entry per rule): (schema, `if`, `then`).
fn conditions() -> Vec<(&'static str, serde_json::Value, serde_json::Value)> {
    use serde_json::json;
    let reason = json!({
        "properties": {"reason": {"type": "string", "pattern": NOT_ALL_WHITESPACE}},
        "required": ["reason"]
    });
    let revising = json!({"properties": {"revises": {"type": "string"}}, "required": ["revises"]});
    let role = |r: &str| json!({"properties": {"role": {"const": r}}, "required": ["role"]});
    let scoped = |needed: &str, refused: &str| {
        json!({
            "properties": {needed: {"type": "integer"}, refused: {"type": "null"}},
            "required": [needed]
        })
    };
    let unscoped_roles = json!({
        "properties": {"role": {"enum": ["secretariat", "council"]}},
        "required": ["role"]
    });
    let unscoped =
        json!({"properties": {"school_id": {"type": "null"}, "district_id": {"type": "null"}}});
    let left = json!({"properties": {"left_on": {"type": "string"}}, "required": ["left_on"]});
    let not_active = json!({"properties": {"active": {"const": false}}});
    vec![
        // A school with a leaving day is not a member unit (organisation::schools).
        ("SchoolInput", left.clone(), not_active.clone()),
        ("SchoolPatch", left, not_active),
        // 退回或认定为转载时须说明原因 (articles::review).
        (
            "ReviewInput",
            json!({"properties": {"decision": {"enum": ["reject", "repost"]}}, "required": ["decision"]}),
            reason.clone(),
        ),
        // 不入围或取消资格须填写原因 (nominations::review).
        (
            "NominationReviewInput",
            json!({"properties": {"decision": {"enum": ["reject", "disqualify"]}}, "required": ["decision"]}),
            reason.clone(),
        ),
        // 改变已作出的决定须说明理由 (platform::decision): a revision has a reason.
        ("ReviewInput", revising.clone(), reason.clone()),
        ("NominationReviewInput", revising, reason),
        // A grant's scope follows its role (access::roles::Grant::new): a
        // correspondent belongs to a school, a district lead to a district,
        // the secretariat and the council to neither.
        (
            "InvitationInput",
            role("correspondent"),
            scoped("school_id", "district_id"),
        ),
        (
            "InvitationInput",
            role("district_lead"),
            scoped("district_id", "school_id"),
        ),
        ("InvitationInput", unscoped_roles.clone(), unscoped.clone()),
        (
            "GrantInput",
            role("correspondent"),
            scoped("school_id", "district_id"),
        ),
        (
            "GrantInput",
            role("district_lead"),
            scoped("district_id", "school_id"),
        ),
        ("GrantInput", unscoped_roles, unscoped),
        // 只有附加分来源（bonus）需要人工确认媒体级别 (articles::sources).
        (
            "SourceInput",
            json!({"properties": {"needs_confirmation": {"const": true}}, "required": ["needs_confirmation"]}),
            json!({"properties": {"kind": {"const": "bonus"}}, "required": ["kind"]}),
        ),
    ]
}

fn add_conditional_requirements(openapi: &mut OpenApi) {
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    for (schema, condition, then) in conditions() {
        let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(schema) else {
            continue;
        };
        let extensions = object.extensions.get_or_insert_with(Extensions::default);
        let all_of = extensions
            .entry("allOf".to_owned())
            .or_insert_with(|| serde_json::Value::Array(Vec::new()));
        if let serde_json::Value::Array(rules) = all_of {
            rules.push(serde_json::json!({"if": condition, "then": then}));
        }
    }
}

/// A batch outcome's `problem` is the very `Problem` every error answers
/// (the areas declare it as an object: the schema lives in this layer).
fn reference_problems(openapi: &mut OpenApi) {
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    for schema in components.schemas.values_mut() {
        if let RefOr::T(Schema::Object(object)) = schema
            && let Some(property) = object.properties.get_mut("problem")
            // A member sent as `null` when there is no problem says so
            // itself (`oneOf` Problem or null, e.g. `BatchReviewResult`).
            && !matches!(property, RefOr::T(Schema::OneOf(_)))
        {
            let mut problem = utoipa::openapi::Ref::from_schema_name("Problem");
            problem.description = "Why this item was refused (nothing of it changed): \
                                   the problem it would have answered alone."
                .to_owned();
            *property = RefOr::Ref(problem);
        }
    }
}

/// Schemas nothing refers to any more (e.g. `FileBody` once downloads are
/// `format: binary`, a type utoipa inlined into its page) leave the document.
fn drop_unused_schemas(openapi: &mut OpenApi) {
    loop {
        let Ok(json) = serde_json::to_string(&*openapi) else {
            return;
        };
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let unused: Vec<String> = components
            .schemas
            .keys()
            .filter(|name| !json.contains(&format!("\"#/components/schemas/{name}\"")))
            .cloned()
            .collect();
        if unused.is_empty() {
            return;
        }
        for name in unused {
            components.schemas.remove(&name);
        }
    }
}

/// The codes a response's description names (in backticks) that answer
/// with its status.
fn codes_named(description: &str, status: &str) -> Vec<ErrorCode> {
    let mut codes = Vec::new();
    for token in description.split('`').skip(1).step_by(2) {
        if let Some(code) = ErrorCode::ALL.iter().find(|c| c.as_str() == token)
            && code.status().as_str() == status
            && !codes.contains(code)
        {
            codes.push(*code);
        }
    }
    codes
}

/// An example problem of `code` on `path`, as the server would answer it.
fn example_problem(code: ErrorCode, path: &str) -> serde_json::Value {
    let mut problem = serde_json::json!({
        "type": code.type_uri(),
        "title": code.title(),
        "status": code.status().as_u16(),
        "detail": code.default_detail(),
        "code": code.as_str(),
        "instance": path,
        "request_id": "0193a1b2-7c4d-7e5f-8a6b-9c0d1e2f3a4b",
    });
    let extra = match code {
        ErrorCode::ValidationFailed => serde_json::json!({"errors": [{
            "pointer": "/name", "field": "name", "code": "length", "message": "名称须为 1–32 个字。"
        }]}),
        ErrorCode::DuplicateArticle => serde_json::json!({
            "detail": "这篇文章已经提交过（稿件编号 1），请勿重复提交。",
            "existing_article_id": 1
        }),
        ErrorCode::AttachmentExists => serde_json::json!({
            "detail": "已上传一寸免冠照。如需更换，请替换该照片（PUT /nominations/{id}/attachments/{attachment_id}），或先删除再上传。",
            "existing_attachment_id": 1
        }),
        ErrorCode::DeadlinePassed => serde_json::json!({
            "detail": "推荐截止时间为2026年11月3日 24:00（北京时间），已截止。",
            "deadline": "2026-11-04T00:00:00+08:00"
        }),
        ErrorCode::StaleDecision => serde_json::json!({
            "detail": "秘书处已于2026年12月1日 10:00审核为“批准”，您看到的内容已过期，本次操作未生效。请刷新后查看；如确需改变该决定，请说明理由后再改。",
            "decided_by": {"id": 1, "display_name": "秘书处"},
            "decision": "approve",
            "decided_at": "2026-12-01T10:00:00+08:00",
            "current_status": "approved",
            "reason": null
        }),
        _ => serde_json::json!({}),
    };
    if let (Some(p), serde_json::Value::Object(extra)) = (problem.as_object_mut(), extra) {
        p.extend(extra);
    }
    problem
}

/// Each error response carries an example problem for every code its
/// description names (the codes the operation can answer with that status).
fn add_problem_examples(openapi: &mut OpenApi) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        for op in operations_mut(item) {
            for (status, response) in op.responses.responses.iter_mut() {
                let RefOr::T(r) = response else { continue };
                let codes = codes_named(&r.description, status);
                let Some(RefOr::T(content)) =
                    r.content.get_mut(crate::platform::error::PROBLEM_JSON)
                else {
                    continue;
                };
                for code in codes {
                    content.examples.insert(
                        code.as_str().to_owned(),
                        RefOr::T(
                            ExampleBuilder::new()
                                .summary(code.title())
                                .value(Some(example_problem(code, path)))
                                .build(),
                        ),
                    );
                }
            }
        }
    }
}

/// A one-line summary for every operation (its doc comment's first clause:
/// up to the first `. `, `: ` or `; `), with the whole first paragraph kept
/// at the head of the description, so lists of operations stay readable and
/// nothing written is lost.
fn one_line_summaries(openapi: &mut OpenApi) {
    for item in openapi.paths.paths.values_mut() {
        for op in operations_mut(item) {
            let Some(summary) = op.summary.take() else {
                continue;
            };
            let flat = summary.split_whitespace().collect::<Vec<_>>().join(" ");
            let cut = [". ", ": ", "; "]
                .iter()
                .filter_map(|sep| flat.find(sep))
                .min();
            let Some(cut) = cut else {
                op.summary = Some(flat.trim_end_matches('.').to_owned());
                continue;
            };
            op.summary = Some(flat[..cut].to_owned());
            op.description = Some(match op.description.take() {
                Some(d) if !d.is_empty() => format!("{flat}\n\n{d}"),
                _ => flat.clone(),
            });
        }
    }
}

/// The whole document: the routes' paths merged into [`ApiDoc`].
pub fn document() -> OpenApi {
    use utoipa_actix_web::AppExt;
    let (_, mut api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::api::configure)
        .split_for_parts();
    complete_errors(&mut api);
    complete_headers(&mut api);
    add_links(&mut api);
    one_line_summaries(&mut api);
    add_problem_examples(&mut api);
    add_conditional_requirements(&mut api);
    reference_problems(&mut api);
    drop_unused_schemas(&mut api);
    api
}

/// The document as committed in `openapi/openapi.json` (pretty, newline-terminated).
pub fn document_json() -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(&document())?;
    s.push('\n');
    Ok(s)
}

/// The document as committed in `openapi/openapi.json`, built into the
/// binary: what the server publishes and derives its route tables from, so a
/// starting process does not assemble the document again (megabytes of
/// allocations and code that an idle server would keep resident). A test
/// holds the committed file equal to [`document`].
pub const COMMITTED: &str = include_str!("../../openapi/openapi.json");

/// [`COMMITTED`], parsed.
pub fn committed() -> Result<serde_json::Value, serde_json::Error> {
    serde_json::from_str(COMMITTED)
}

/// Method/path pairs of the API, to answer 405 (with `Allow`) rather than 404
/// when a known path is called with another method.
#[derive(Clone, Debug, Default)]
pub struct RouteTable(Vec<(Vec<String>, Vec<&'static str>)>);

impl RouteTable {
    /// From the document as JSON (see [`committed`]).
    pub fn from_openapi(doc: &serde_json::Value) -> Self {
        let mut routes = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            let mut methods: Vec<&'static str> = ["GET", "PUT", "POST", "DELETE", "PATCH"]
                .into_iter()
                .filter(|m| item.get(m.to_ascii_lowercase()).is_some())
                .collect();
            if methods.contains(&"GET") {
                methods.push("HEAD");
            }
            let segments = path.split('/').map(str::to_owned).collect();
            routes.push((segments, methods));
        }
        Self(routes)
    }

    /// The methods of the route spelled exactly `path` (no parameter), if any:
    /// `PATCH /schools/import` matches `PATCH /schools/{id}` in the router,
    /// but is a call of another method on the import.
    pub fn literal(&self, path: &str) -> Option<&[&'static str]> {
        let parts: Vec<&str> = path.split('/').collect();
        self.0.iter().find_map(|(segments, methods)| {
            (segments.len() == parts.len() && segments.iter().zip(&parts).all(|(s, p)| s == p))
                .then_some(methods.as_slice())
        })
    }

    /// The methods allowed on `path`, if it is a known path.
    pub fn allowed(&self, path: &str) -> Option<&[&'static str]> {
        let parts: Vec<&str> = path.split('/').collect();
        self.0.iter().find_map(|(segments, methods)| {
            let matches = segments.len() == parts.len()
                && segments
                    .iter()
                    .zip(&parts)
                    .all(|(s, p)| s == p || (s.starts_with('{') && !p.is_empty()));
            matches.then_some(methods.as_slice())
        })
    }
}
