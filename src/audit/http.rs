//! The audit log (secretariat and council).

use actix_web::{HttpResponse, get, web};

use crate::access::principal::SecretariatOrCouncil;
use crate::audit::log::{self, AuditEntry, AuditQuery};
use crate::platform::error::ApiResult;
use crate::platform::pagination::Page;
use crate::state::AppState;

/// The audit log, newest first (secretariat and council). Append-only: no
/// endpoint changes or deletes an entry.
#[utoipa::path(
    tag = "audit",
    security(("bearer_auth" = [])),
    params(AuditQuery),
    responses((status = 200, body = Page<AuditEntry>, description = "One page of audit entries, newest first"), (status = 403, description = "`FORBIDDEN`"))
)]
#[get("/audit-log")]
pub async fn list_audit(
    state: web::Data<AppState>,
    SecretariatOrCouncil(_viewer): SecretariatOrCouncil,
    q: web::Query<AuditQuery>,
) -> ApiResult<HttpResponse> {
    let page = log::list(&state.db, &state.page_token_key, &q).await?;
    Ok(HttpResponse::Ok().json(page))
}
