//! Sources (来源): the sites and outlets whose articles earn credit, managed
//! by the secretariat. Their hosts, counted columns and counted years are
//! configuration, not code (SPEC §A rules 1, 4, 5, 6).

use actix_web::{HttpResponse, get, patch, post, web};

use crate::access::principal::Secretariat;
use crate::articles::model::{SourceInput, SourcePatch, SourceQuery, SourceView};
use crate::articles::sources;
use crate::platform::db;
use crate::platform::error::ApiResult;
use crate::platform::extract::ValidJson;
use crate::platform::pagination::Page;
use crate::state::AppState;

/// Sources, by id. Public: the mini-program shows where articles may be published.
#[utoipa::path(tag = "sources", params(SourceQuery), responses((status = 200, body = Page<SourceView>, description = "One page of sources, by id")))]
#[get("/sources")]
pub async fn list_sources(
    state: web::Data<AppState>,
    q: web::Query<SourceQuery>,
) -> ApiResult<HttpResponse> {
    let page = sources::list(&state.db, &state.page_token_key, &q).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create a source (secretariat). Audited.
#[utoipa::path(
    tag = "sources",
    security(("bearer_auth" = [])),
    request_body = SourceInput,
    responses(
        (status = 201, body = SourceView, description = "The source created"),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 409, description = "`CONFLICT` (the name is taken) or `SOURCE_HOST_TAKEN` (a host belongs to another source)"),
    )
)]
#[post("/sources")]
pub async fn create_source(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    body: ValidJson<SourceInput>,
) -> ApiResult<HttpResponse> {
    let (now, production) = (state.now(), state.settings.is_production());
    let view = db::write(&state.db, |tx| {
        sources::create(tx, &p, &body, production, now)
    })
    .await?;
    sources::changed(&state.cache).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Change a source (secretariat). Audited. The points of the source's
/// approved articles are recomputed under the new configuration (kind,
/// columns, years, confirmation).
#[utoipa::path(
    tag = "sources",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Source id")),
    request_body = SourcePatch,
    responses(
        (status = 200, body = SourceView, description = "The source as changed"),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`CONFLICT` (the name is taken) or `SOURCE_HOST_TAKEN`"),
    )
)]
#[patch("/sources/{id}")]
pub async fn update_source(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<SourcePatch>,
) -> ApiResult<HttpResponse> {
    let (now, production) = (state.now(), state.settings.is_production());
    let view = db::write(&state.db, |tx| {
        sources::update(tx, &p, *path, &body, production, now)
    })
    .await?;
    sources::changed(&state.cache).await?;
    Ok(HttpResponse::Ok().json(view))
}
