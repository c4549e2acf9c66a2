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
use crate::identity::views::{MeView, me_view_with};
use crate::platform::db::{self, Tx};
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};

/// Fields to change; absent fields stay as they are, an empty string clears
/// an optional field.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "display_name": "张晓燕",
    "real_name": "张晓燕",
    "department": "四川大学后勤保障部",
    "position": "宣传干事"
}))]
pub struct UpdateMe {
    /// Shown to others (1–32 characters, not blank).
    #[validate(
        length(min = 1, max = 32, message = "昵称须为 1–32 个字。"),
        custom(function = "crate::platform::text::optional_line")
    )]
    #[schema(
        min_length = 1,
        max_length = 32,
        pattern = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub display_name: Option<String>,
    /// 真实姓名 (up to 32 characters).
    #[validate(
        length(max = 32, message = "姓名不能超过 32 个字。"),
        custom(function = "crate::platform::text::optional_line")
    )]
    #[schema(
        max_length = 32,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub real_name: Option<String>,
    /// 部门 (up to 64 characters).
    #[validate(
        length(max = 64, message = "部门不能超过 64 个字。"),
        custom(function = "crate::platform::text::optional_line")
    )]
    #[schema(
        max_length = 64,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub department: Option<String>,
    /// 职务/职称 (up to 32 characters).
    #[validate(
        length(max = 32, message = "职务不能超过 32 个字。"),
        custom(function = "crate::platform::text::optional_line")
    )]
    #[schema(
        max_length = 32,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub position: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[schema(example = json!({"code": "dev:13812346978"}))]
pub struct PhoneRequest {
    /// The `code` from the `getPhoneNumber` button (1–256 characters). In
    /// development without WeChat credentials, `dev:<mobile number>`.
    #[validate(length(min = 1, max = 256, message = "code 不能为空。"))]
    #[schema(min_length = 1, max_length = 256)]
    pub code: String,
}

/// The logged-in member, with roles.
pub async fn me(db: &impl ConnectionTrait, p: &Principal) -> ApiResult<MeView> {
    me_view_with(db, &p.member, &p.grants).await
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
    me_view_with(&*tx, &m, &p.grants).await
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
        me_view_with(&*tx, &m, &p.grants).await
    })
    .await
}
