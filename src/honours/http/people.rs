//! The people of the individuals' standings: a school's registry of first
//! authors, and merging two records of one person.

use actix_web::{HttpResponse, get, post, web};

use crate::access::principal::{ArticleReader, Secretariat};
use crate::articles::authors::{AuthorView, MergeAuthors};
use crate::honours::people;
use crate::platform::db;
use crate::platform::error::ApiResult;
use crate::platform::extract::ValidJson;
use crate::state::AppState;

/// A school's first authors (secretariat, council; a correspondent for their own school).
///
/// Each author with their `row_key` in the individuals' standings; a typed
/// name linked to a member, or merged by the secretariat, is listed as an
/// alias (`merged_into`) after the authors.
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(("school_id" = i64, Path, description = "School id")),
    responses(
        (status = 200, body = Vec<AuthorView>, description = "The school's authors, then their aliases"),
        (status = 403, description = "`FORBIDDEN`: another school's correspondent or a plain member"),
        (status = 404, description = "`NOT_FOUND`: no such school"),
    )
)]
#[get("/schools/{school_id}/authors")]
pub async fn list_authors(
    state: web::Data<AppState>,
    ArticleReader(p): ArticleReader,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let list = people::registry(&state.db, &p, *path).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Merge two records of one person (secretariat): the standings then count one person.
///
/// The articles of `author_id` are credited to `into` (same school), and
/// `author_id` becomes an alias: later submissions under that name go to
/// `into`. The person's eligibility records follow. Audited with the reason.
/// A notice already published keeps its rows (publish a new version).
#[utoipa::path(
    tag = "honours",
    security(("bearer_auth" = [])),
    params(
        ("school_id" = i64, Path, description = "School id"),
        ("author_id" = i64, Path, description = "The author merged away"),
    ),
    request_body = MergeAuthors,
    responses(
        (status = 200, body = AuthorView, description = "The author kept, with the articles of both"),
        (status = 403, description = "`FORBIDDEN`"),
        (status = 404, description = "`NOT_FOUND`: no such author at this school (`into` unknown: `errors[]` at `/into`)"),
        (status = 409, description = "`CONFLICT`: one of the two is already an alias (merge into its author)"),
        (status = 422, description = "`VALIDATION_FAILED`: `/into` the same author; `/reason` missing"),
    )
)]
#[post("/schools/{school_id}/authors/{author_id}/merge")]
pub async fn merge_authors(
    state: web::Data<AppState>,
    Secretariat(p): Secretariat,
    path: web::Path<(i64, i64)>,
    body: ValidJson<MergeAuthors>,
) -> ApiResult<HttpResponse> {
    let (school_id, author_id) = *path;
    let now = state.now();
    let kept = db::write(&state.db, |tx| {
        people::merge(tx, &p, school_id, author_id, &body, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(kept))
}
