//! Authentication and roles as extractors: a handler's signature says who may
//! call it (`Secretariat`, `DistrictLead`, …), so a forgotten check is a
//! compile error, not a hole. Roles are read from the database on every
//! request, so a role removed takes effect at once.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use actix_web::{FromRequest, HttpRequest, web};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use secrecy::ExposeSecret;

use super::tokens::{TokenError, verify_access};
use crate::domain::roles::{Grant, Role};
use crate::entity::{member, member_role};
use crate::error::{ApiError, ApiResult, ErrorCode};
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

pub async fn load_grants(
    db: &impl sea_orm::ConnectionTrait,
    member_id: i64,
) -> ApiResult<Vec<Grant>> {
    let rows = member_role::Entity::find()
        .filter(member_role::Column::MemberId.eq(member_id))
        .all(db)
        .await?;
    let mut grants: Vec<Grant> = rows
        .into_iter()
        .filter_map(|r| {
            Role::parse(&r.role).map(|role| Grant {
                role,
                school_id: r.school_id,
                district_id: r.district_id,
            })
        })
        .collect();
    grants.sort();
    Ok(grants)
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
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthenticated(Some("invalid_request"), "请先登录。"))?;
    let member_id = verify_access(
        state.settings.jwt_secret.expose_secret().as_bytes(),
        token,
        state.now(),
    )
    .map_err(|e| match e {
        TokenError::Expired => unauthenticated(Some("invalid_token"), "登录已过期，请刷新登录。"),
        TokenError::Invalid => unauthenticated(Some("invalid_token"), "登录凭证无效，请重新登录。"),
    })?;
    let member = member::Entity::find_by_id(member_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| unauthenticated(Some("invalid_token"), "登录凭证无效，请重新登录。"))?;
    let grants = load_grants(&state.db, member_id).await?;
    Ok(Principal { member, grants })
}

/// Any logged-in member.
#[derive(Clone, Debug)]
pub struct Auth(pub Principal);

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(req).await.map(Auth) })
    }
}

/// A member, if a valid token is given; anonymous otherwise (an invalid token is still a 401).
#[derive(Clone, Debug)]
pub struct MaybeAuth(pub Option<Principal>);

impl FromRequest for MaybeAuth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if req.headers().contains_key(AUTHORIZATION) {
                authenticate(req).await.map(|p| MaybeAuth(Some(p)))
            } else {
                Ok(MaybeAuth(None))
            }
        })
    }
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $detail:literal, $allowed:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(pub Principal);

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move {
                    let p = authenticate(req).await?;
                    let allowed: fn(&Principal) -> bool = $allowed;
                    if allowed(&p) {
                        Ok($name(p))
                    } else {
                        Err(ApiError::new(ErrorCode::Forbidden).with_detail($detail))
                    }
                })
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
