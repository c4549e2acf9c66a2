//! Members and their roles (secretariat).

use actix_web::{HttpResponse, get, put, web};

use crate::access::principal::Secretariat;
use crate::identity::members::{self, MemberQuery, RolesInput};
use crate::identity::views::MemberView;
use crate::platform::db;
use crate::platform::error::ApiResult;
use crate::platform::extract::ValidJson;
use crate::platform::pagination::Page;
use crate::state::AppState;

/// Members, newest first, with filters (secretariat).
#[utoipa::path(
    tag = "members",
    security(("bearer_auth" = [])),
    params(MemberQuery),
    responses((status = 200, body = Page<MemberView>, description = "One page of members, by id"), (status = 403, description = "`FORBIDDEN`"))
)]
#[get("/members")]
pub async fn list_members(
    state: web::Data<AppState>,
    Secretariat(_viewer): Secretariat,
    q: web::Query<MemberQuery>,
) -> ApiResult<HttpResponse> {
    let page = members::list(&state.db, &state.page_token_key, &q).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One member, phone in full (secretariat).
#[utoipa::path(
    tag = "members",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Member id")),
    responses((status = 200, body = MemberView, description = "The member with their roles"), (status = 403, description = "`FORBIDDEN`"), (status = 404, description = "`NOT_FOUND`"))
)]
#[get("/members/{id}")]
pub async fn get_member(
    state: web::Data<AppState>,
    Secretariat(_viewer): Secretariat,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(members::get(&state.db, *path).await?))
}

/// Replace a member's roles (secretariat). Audited with before and after.
#[utoipa::path(
    tag = "members",
    security(("bearer_auth" = [])),
    params(("id" = i64, Path, description = "Member id")),
    request_body = RolesInput,
    responses(
        (status = 200, body = MemberView, description = "The member with their roles as set"),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`"),
        (status = 409, description = "`LAST_SECRETARIAT`: the association would have no secretariat left"),
    )
)]
#[put("/members/{id}/roles")]
pub async fn put_roles(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<i64>,
    body: ValidJson<RolesInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let view = db::write(&state.db, |tx| {
        members::put_roles(tx, &p, *path, &body, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
