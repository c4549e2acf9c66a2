//! The logged-in member's own profile: reading it, changing it, binding a
//! phone number through WeChat.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::access::principal::Principal;
use crate::entity::member;
use crate::identity::codes::{Code, CodeExchange};
use crate::identity::phone::PhoneNumber;
use crate::identity::views::{MeView, me_view};
use crate::platform::db::{self, Tx};
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};

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

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
pub struct PhoneRequest {
    /// The `code` from the `getPhoneNumber` button. In development without
    /// WeChat credentials, `dev:<mobile number>`.
    #[validate(length(min = 1, max = 256, message = "code 不能为空。"))]
    pub code: String,
}

/// The logged-in member, with roles.
pub async fn me(db: &impl ConnectionTrait, p: &Principal) -> ApiResult<MeView> {
    me_view(db, &p.member).await
}

fn optional(v: &str) -> Option<String> {
    let t = v.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Changes the member's own profile.
pub async fn update(
    tx: Tx,
    p: &Principal,
    input: &UpdateMe,
    now: DateTime<Utc>,
) -> ApiResult<MeView> {
    let mut am: member::ActiveModel = p.member.clone().into();
    if let Some(n) = &input.display_name {
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
    if let Some(v) = &input.real_name {
        am.real_name = Set(optional(v));
    }
    if let Some(v) = &input.department {
        am.department = Set(optional(v));
    }
    if let Some(v) = &input.position {
        am.position = Set(optional(v));
    }
    am.updated_at = Set(now);
    let m = am.update(&*tx).await?;
    me_view(&*tx, &m).await
}

/// Binds the member's phone number: WeChat's phone-number API answers it
/// (outside any transaction), never the member typing it.
pub async fn bind_phone(
    db: &DatabaseConnection,
    codes: CodeExchange<'_>,
    p: &Principal,
    input: &PhoneRequest,
    now: DateTime<Utc>,
) -> ApiResult<MeView> {
    let raw = match codes.route(input.code.trim()) {
        Code::Dev(number) => number.to_owned(),
        Code::WeChat(wechat, code) => wechat.phone_number(code).await?.pure_phone_number,
        Code::Unconfigured => {
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
    let phone = phone.as_str();
    db::write(db, |tx| async move {
        let mut am: member::ActiveModel = p.member.clone().into();
        am.phone = Set(Some(phone.to_owned()));
        am.updated_at = Set(now);
        let m = am.update(&*tx).await?;
        me_view(&*tx, &m).await
    })
    .await
}
