//! The OpenAPI 3.1 document, generated from the handlers by utoipa.
//!
//! Refresh the committed copy with `cargo run -- export-openapi`.

use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{AdditionalProperties, Schema};
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
    tags(
        (name = "operations", description = "Health, readiness, metrics and the spec itself"),
        (name = "meta", description = "Facts about the server the app needs (its clock)"),
    )
)]
pub struct ApiDoc;

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
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
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

/// The whole document: the routes' paths merged into [`ApiDoc`].
pub fn document() -> OpenApi {
    use utoipa_actix_web::AppExt;
    let (_, mut api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::api::configure)
        .split_for_parts();
    complete_errors(&mut api);
    api
}

/// The document as committed in `openapi/openapi.json` (pretty, newline-terminated).
pub fn document_json() -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(&document())?;
    s.push('\n');
    Ok(s)
}

/// Method/path pairs of the API, to answer 405 (with `Allow`) rather than 404
/// when a known path is called with another method.
#[derive(Clone, Debug, Default)]
pub struct RouteTable(Vec<(Vec<String>, Vec<&'static str>)>);

impl RouteTable {
    pub fn from_openapi(api: &OpenApi) -> Self {
        let mut routes = Vec::new();
        for (path, item) in api.paths.paths.iter() {
            let mut methods = Vec::new();
            for (m, op) in [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("PATCH", &item.patch),
            ] {
                if op.is_some() {
                    methods.push(m);
                }
            }
            if methods.contains(&"GET") {
                methods.push("HEAD");
            }
            let segments = path.split('/').map(str::to_owned).collect();
            routes.push((segments, methods));
        }
        Self(routes)
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
