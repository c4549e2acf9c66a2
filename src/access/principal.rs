//! Authentication and roles as extractors: a handler's signature says who may
//! call it (`Secretariat`, `DistrictLead`, …), so a forgotten check is a
//! compile error, not a hole. The member and their roles are read from the
//! database on every request, in one statement, so a role removed takes
//! effect at once.

use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use actix_web::{FromRequest, HttpRequest, web};
use secrecy::ExposeSecret;

use super::tokens::{TokenError, verify_access};
use crate::access::roles::{Grant, Role};
use crate::access::{grants, revoked};
use crate::entity::member;
use crate::platform::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;

/// The member behind a valid access token, with their roles.
#[derive(Clone, Debug)]
pub struct Principal {
    pub member: member::Model,
    pub grants: Vec<Grant>,
}

impl Principal {
    pub fn id(&self) -> i64 {
        self.member.id
    }

    pub fn has(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    pub fn is_secretariat(&self) -> bool {
        self.has(Role::Secretariat)
    }

    /// Schools this member is a correspondent of.
    pub fn school_ids(&self) -> Vec<i64> {
        self.grants
            .iter()
            .filter(|g| g.role == Role::Correspondent)
            .filter_map(|g| g.school_id)
            .collect()
    }

    /// Districts this member leads.
    pub fn district_ids(&self) -> Vec<i64> {
        self.grants
            .iter()
            .filter(|g| g.role == Role::DistrictLead)
            .filter_map(|g| g.district_id)
            .collect()
    }

    /// The role named in the audit log for this member's action.
    pub fn acting_role(&self, preferred: Role) -> &'static str {
        if self.has(preferred) {
            preferred.as_str()
        } else {
            "member"
        }
    }
}

impl crate::platform::audit::Actor for Principal {
    type Role = Role;

    fn actor_id(&self) -> i64 {
        self.id()
    }

    fn acting_role(&self, role: Role) -> &'static str {
        Principal::acting_role(self, role)
    }
}

fn unauthenticated(error: Option<&str>, detail: &'static str) -> ApiError {
    let challenge = match error {
        Some(e) => format!("Bearer realm=\"association\", error=\"{e}\""),
        None => "Bearer realm=\"association\"".to_owned(),
    };
    let mut err = ApiError::new(
        if error == Some("invalid_token") && detail.contains("过期") {
            ErrorCode::TokenExpired
        } else {
            ErrorCode::Unauthenticated
        },
    )
    .with_detail(detail);
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        err = err.with_header(WWW_AUTHENTICATE, v);
    }
    err
}

/// The token of a well-formed `Authorization: Bearer …` header, if any.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(strip_bearer)
}

fn strip_bearer(header: &str) -> Option<&str> {
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

async fn authenticate(req: HttpRequest) -> ApiResult<Principal> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no app state")))?;
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| unauthenticated(None, "请先登录。"))?;
    let token = strip_bearer(header)
        .ok_or_else(|| unauthenticated(Some("invalid_request"), "请先登录。"))?;
    let verified = verify_access(
        state.settings.jwt_secret.expose_secret().as_bytes(),
        token,
        state.now(),
    )
    .map_err(|e| match e {
        TokenError::Expired => unauthenticated(Some("invalid_token"), "登录已过期，请刷新登录。"),
        TokenError::Invalid => unauthenticated(Some("invalid_token"), "登录凭证无效，请重新登录。"),
    })?;
    // A logged-out token is refused at once, by every process (the shared
    // cache). When the cache cannot answer, the request is 503: a token is
    // never let through unchecked.
    if revoked::is_revoked(&state.cache, &verified.jti).await? {
        return Err(unauthenticated(
            Some("invalid_token"),
            "已退出登录，请重新登录。",
        ));
    }
    let member_id = verified.member_id;
    let (member, grants) = grants::load_member(&state.db, member_id)
        .await?
        .ok_or_else(|| unauthenticated(Some("invalid_token"), "登录凭证无效，请重新登录。"))?;
    Ok(Principal { member, grants })
}

/// The outcome of authenticating a request, resolved once by [`middleware`]
/// before any extractor runs.
#[derive(Clone)]
enum Resolved {
    Member(Box<Principal>),
    Refused {
        code: ErrorCode,
        detail: String,
        headers: Vec<(actix_web::http::header::HeaderName, HeaderValue)>,
    },
}

/// Resolves the bearer token (when one is given) before the handler's
/// extractors run. Extractors then answer at once, so a refused caller gets
/// 401/403 before anything looks at the body: no validation detail is shown
/// to someone who may not call the endpoint, whatever order actix polls the
/// extractors in.
pub async fn middleware(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use actix_web::HttpMessage;
    if req.headers().contains_key(AUTHORIZATION) {
        let resolved = match authenticate(req.request().clone()).await {
            Ok(p) => Resolved::Member(Box::new(p)),
            Err(e) => {
                if e.code.status().is_server_error() {
                    // The database failed: answer it here (503 when it is
                    // away, else 500; request id and metrics still see it),
                    // the cause goes to the log.
                    use actix_web::ResponseError;
                    let res = e.error_response();
                    return Ok(req.into_response(res).map_into_right_body());
                }
                Resolved::Refused {
                    code: e.code,
                    detail: e.detail.to_string(),
                    headers: e.headers.clone(),
                }
            }
        };
        req.extensions_mut().insert(resolved);
    }
    next.call(req)
        .await
        .map(actix_web::dev::ServiceResponse::map_into_left_body)
}

/// The principal of the request, as the middleware resolved it.
fn principal(req: &HttpRequest) -> ApiResult<Option<Principal>> {
    use actix_web::HttpMessage;
    match req.extensions().get::<Resolved>() {
        Some(Resolved::Member(p)) => Ok(Some((**p).clone())),
        Some(Resolved::Refused {
            code,
            detail,
            headers,
        }) => {
            let mut e = ApiError::new(*code).with_detail(detail.clone());
            for (k, v) in headers {
                e = e.with_header(k.clone(), v.clone());
            }
            Err(e)
        }
        None => Ok(None),
    }
}

fn required(req: &HttpRequest) -> ApiResult<Principal> {
    principal(req)?.ok_or_else(|| unauthenticated(None, "请先登录。"))
}

/// Any logged-in member.
#[derive(Clone, Debug)]
pub struct Auth(pub Principal);

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(required(req).map(Auth))
    }
}

/// A member, if a valid token is given; anonymous otherwise (an invalid token is still a 401).
#[derive(Clone, Debug)]
pub struct MaybeAuth(pub Option<Principal>);

impl FromRequest for MaybeAuth {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(principal(req).map(MaybeAuth))
    }
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $detail:literal, $allowed:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(pub Principal);

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = std::future::Ready<Result<Self, ApiError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let allowed: fn(&Principal) -> bool = $allowed;
                std::future::ready(required(req).and_then(|p| {
                    if allowed(&p) {
                        Ok($name(p))
                    } else {
                        Err(ApiError::new(ErrorCode::Forbidden).with_detail($detail))
                    }
                }))
            }
        }
    };
}

role_extractor!(
    /// 秘书处.
    Secretariat,
    "仅秘书处可以执行此操作。",
    |p| p.has(Role::Secretariat)
);
role_extractor!(
    /// 理事会.
    Council,
    "仅理事会成员可以执行此操作。",
    |p| p.has(Role::Council)
);
role_extractor!(
    /// 秘书处 or 理事会 (e.g. the audit log).
    SecretariatOrCouncil,
    "仅秘书处或理事会可以查看。",
    |p| p.has(Role::Secretariat) || p.has(Role::Council)
);
role_extractor!(
    /// 通讯员 of at least one school.
    Correspondent,
    "仅学校通讯员可以执行此操作。",
    |p| p.has(Role::Correspondent)
);
role_extractor!(
    /// 片区负责人 of at least one district.
    DistrictLead,
    "仅片区负责人可以执行此操作。",
    |p| p.has(Role::DistrictLead)
);
role_extractor!(
    /// 通讯员 or 秘书处: submits and withdraws articles (SPEC §D).
    CorrespondentOrSecretariat,
    "仅学校通讯员或秘书处可以执行此操作。",
    |p| p.has(Role::Correspondent) || p.has(Role::Secretariat)
);
role_extractor!(
    /// 通讯员, 秘书处 or 理事会: reads a school's articles (SPEC §D).
    ArticleReader,
    "仅学校通讯员、秘书处或理事会可以查看稿件。",
    |p| p.has(Role::Correspondent) || p.has(Role::Secretariat) || p.has(Role::Council)
);
