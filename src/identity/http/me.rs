//! The logged-in member's own profile.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, FixedOffset};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::entity::{district, member, school};
use crate::identity::phone::PhoneNumber;
use crate::identity::principal::Auth;
use crate::identity::principal::load_grants;
use crate::identity::roles::{Grant, Role};
use crate::organisation::lookup::OrgRef;
use crate::platform::clock::to_china;
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::platform::extract::ValidJson;
use crate::state::AppState;

/// A role with the school or district it applies to.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RoleView {
    pub role: Role,
    /// Chinese label of the role (通讯员, 片区负责人, 秘书处, 理事会).
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub school: Option<OrgRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<OrgRef>,
}

/// The member as they see themselves (phone in full).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MeView {
    pub id: i64,
    pub display_name: String,
    pub real_name: Option<String>,
    pub department: Option<String>,
    pub position: Option<String>,
    /// The whole number: only its owner, their district lead and the secretariat see it whole.
    pub phone: Option<String>,
    pub roles: Vec<RoleView>,
    pub created_at: DateTime<FixedOffset>,
}

/// Names of the schools and districts the grants refer to.
pub async fn role_views(db: &impl ConnectionTrait, grants: &[Grant]) -> ApiResult<Vec<RoleView>> {
    let school_ids: Vec<i64> = grants.iter().filter_map(|g| g.school_id).collect();
    let district_ids: Vec<i64> = grants.iter().filter_map(|g| g.district_id).collect();
    let schools: HashMap<i64, String> = if school_ids.is_empty() {
        HashMap::new()
    } else {
        school::Entity::find()
            .filter(school::Column::Id.is_in(school_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect()
    };
    let districts: HashMap<i64, String> = if district_ids.is_empty() {
        HashMap::new()
    } else {
        district::Entity::find()
            .filter(district::Column::Id.is_in(district_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect()
    };
    Ok(grants
        .iter()
        .map(|g| RoleView {
            role: g.role,
            label: g.role.label().to_owned(),
            school: g.school_id.map(|id| OrgRef {
                id,
                name: schools.get(&id).cloned().unwrap_or_default(),
            }),
            district: g.district_id.map(|id| OrgRef {
                id,
                name: districts.get(&id).cloned().unwrap_or_default(),
            }),
        })
        .collect())
}

pub async fn me_view(db: &impl ConnectionTrait, m: &member::Model) -> ApiResult<MeView> {
    let grants = load_grants(db, m.id).await?;
    Ok(MeView {
        id: m.id,
        display_name: m.display_name.clone(),
        real_name: m.real_name.clone(),
        department: m.department.clone(),
        position: m.position.clone(),
        phone: m.phone.clone(),
        roles: role_views(db, &grants).await?,
        created_at: to_china(m.created_at),
    })
}

/// The logged-in member, with roles.
#[utoipa::path(tag = "me", security(("bearer_auth" = [])), responses((status = 200, body = MeView)))]
#[get("/me")]
pub async fn get_me(state: web::Data<AppState>, Auth(p): Auth) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(me_view(&state.db, &p.member).await?))
}

/// Fields to change; absent fields stay as they are, an empty string clears
/// an optional field.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    /// Shown to others (1–32 characters).
    #[validate(
        length(min = 1, max = 32, message = "昵称须为 1–32 个字。"),
        custom(function = "crate::platform::text::optional_line")
    )]
    pub display_name: Option<String>,
    /// 真实姓名 (up to 32 characters).
    #[validate(
        length(max = 32, message = "姓名不能超过 32 个字。"),
        custom(function = "crate::platform::text::optional_line")
    )]
    pub real_name: Option<String>,
    /// 部门 (up to 64 characters).
    #[validate(
        length(max = 64, message = "部门不能超过 64 个字。"),
        custom(function = "crate::platform::text::optional_line")
    )]
    pub department: Option<String>,
    /// 职务/职称 (up to 32 characters).
    #[validate(
        length(max = 32, message = "职务不能超过 32 个字。"),
        custom(function = "crate::platform::text::optional_line")
    )]
    pub position: Option<String>,
}

fn optional(v: &str) -> Option<String> {
    let t = v.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Update the logged-in member's profile.
#[utoipa::path(tag = "me", security(("bearer_auth" = [])), request_body = UpdateMe, responses((status = 200, body = MeView)))]
#[patch("/me")]
pub async fn patch_me(
    state: web::Data<AppState>,
    Auth(p): Auth,
    body: ValidJson<UpdateMe>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let mut am: member::ActiveModel = p.member.clone().into();
    if let Some(n) = &body.display_name {
        let n = n.trim();
        if n.is_empty() {
            return Err(ApiError::validation(vec![FieldError::new(
                "/display_name",
                "length",
                "昵称不能为空。",
            )]));
        }
        am.display_name = Set(n.to_owned());
    }
    if let Some(v) = &body.real_name {
        am.real_name = Set(optional(v));
    }
    if let Some(v) = &body.department {
        am.department = Set(optional(v));
    }
    if let Some(v) = &body.position {
        am.position = Set(optional(v));
    }
    am.updated_at = Set(state.now());
    let m = am.update(&state.db).await?;
    Ok(HttpResponse::Ok().json(me_view(&state.db, &m).await?))
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
pub struct PhoneRequest {
    /// The `code` from the `getPhoneNumber` button. In development without
    /// WeChat credentials, `dev:<mobile number>`.
    #[validate(length(min = 1, max = 256, message = "code 不能为空。"))]
    pub code: String,
}

/// Bind the member's phone number through WeChat's phone-number API (never typed in).
#[utoipa::path(
    tag = "me",
    security(("bearer_auth" = [])),
    request_body = PhoneRequest,
    responses(
        (status = 200, body = MeView),
        (status = 503, description = "`WECHAT_UNAVAILABLE`, with `Retry-After`"),
    )
)]
#[post("/me/phone")]
pub async fn bind_phone(
    state: web::Data<AppState>,
    Auth(p): Auth,
    body: ValidJson<PhoneRequest>,
) -> ApiResult<HttpResponse> {
    let code = body.code.trim();
    let raw = match (
        code.strip_prefix("dev:"),
        state.settings.dev_login_enabled(),
        &state.wechat,
    ) {
        (Some(number), true, _) => number.to_owned(),
        (_, _, Some(wechat)) => wechat.phone_number(code).await?.pure_phone_number,
        _ => {
            return Err(ApiError::validation(vec![FieldError::new(
                "/code",
                "format",
                "未配置微信；开发环境请使用 dev:<手机号>。",
            )]));
        }
    };
    let phone = PhoneNumber::parse(&raw).ok_or_else(|| {
        ApiError::new(ErrorCode::ValidationFailed).with_detail("仅支持中国大陆手机号。")
    })?;
    let mut am: member::ActiveModel = p.member.clone().into();
    am.phone = Set(Some(phone.as_str().to_owned()));
    am.updated_at = Set(state.now());
    let m = am.update(&state.db).await?;
    Ok(HttpResponse::Ok().json(me_view(&state.db, &m).await?))
}
