//! Invitation codes: the secretariat issues a code for a role and an
//! organisation; a member redeems it to get the role.

use chrono::{DateTime, FixedOffset, Utc};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::access::grants;
use crate::access::principal::Principal;
use crate::access::roles::{Grant, GrantError, Role};
use crate::entity::{invitation, invitation_redemption};
use crate::identity::views::{MeView, me_view};
use crate::organisation::lookup::{require_district, require_school};
use crate::platform::audit::{self, Entry};
use crate::platform::cache::Cache;
use crate::platform::clock::to_china;
use crate::platform::db::{self, Tx};
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::platform::pagination::{Page, PageParams, PageTokens};
use crate::platform::rate_limit::{self, Rule};

/// Redemption attempts per member (guessing codes is pointless).
pub const REDEEM_LIMIT: Rule = Rule {
    name: "redeem",
    limit: 10,
    window: std::time::Duration::from_secs(600),
};

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "role": "correspondent",
    "school_id": 1,
    "max_uses": 3,
    "expires_at": "2027-06-30T00:00:00+08:00",
    "note": "四川大学通讯员"
}))]
pub struct InvitationInput {
    pub role: Role,
    /// Required for `correspondent`.
    pub school_id: Option<i64>,
    /// Required for `district_lead`.
    pub district_id: Option<i64>,
    /// How many members may redeem it (1–500, default 1).
    #[validate(range(min = 1, max = 500, message = "使用次数须为 1–500。"))]
    #[schema(minimum = 1, maximum = 500)]
    pub max_uses: Option<i32>,
    /// When it stops working (must be in the future).
    pub expires_at: DateTime<FixedOffset>,
    /// For the secretariat's own records (at most 200 characters).
    #[validate(length(max = 200, message = "备注不能超过 200 个字。"))]
    #[schema(max_length = 200)]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    pub id: i64,
    /// The code to give to the person (e.g. `K7M2Q9XA`).
    pub code: String,
    pub role: Role,
    pub school_id: Option<i64>,
    pub district_id: Option<i64>,
    pub max_uses: i32,
    pub uses: i32,
    pub expires_at: DateTime<FixedOffset>,
    pub revoked: bool,
    pub note: Option<String>,
    pub created_at: DateTime<FixedOffset>,
}

impl From<invitation::Model> for InvitationView {
    fn from(i: invitation::Model) -> Self {
        Self {
            id: i.id,
            code: i.code,
            role: Role::parse(&i.role).unwrap_or(Role::Correspondent),
            school_id: i.school_id,
            district_id: i.district_id,
            max_uses: i.max_uses,
            uses: i.uses,
            expires_at: to_china(i.expires_at),
            revoked: i.revoked_at.is_some(),
            note: i.note,
            created_at: to_china(i.created_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvitationQuery {
    /// Only codes that can still be redeemed.
    pub active: Option<bool>,
    /// Rows per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page (empty or absent: the first page).
    #[param(pattern = r"^([A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{22})?$")]
    pub page_token: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[schema(example = json!({"code": "K7M2-Q9XA"}))]
pub struct RedeemRequest {
    /// The code from the secretariat (1–64 characters; case and dashes do not matter).
    #[validate(length(min = 1, max = 64, message = "请输入邀请码。"))]
    #[schema(min_length = 1, max_length = 64)]
    pub code: String,
}

/// 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L).
fn new_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..8)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Issues an invitation code (by the secretariat `p`), audited.
pub async fn create(
    tx: Tx,
    p: &Principal,
    input: &InvitationInput,
    now: DateTime<Utc>,
) -> ApiResult<InvitationView> {
    let txn = &*tx;
    let grant = Grant::new(input.role, input.school_id, input.district_id).map_err(|e| {
        let pointer = match e {
            GrantError::DistrictRequired => "/district_id",
            _ => "/school_id",
        };
        ApiError::validation(vec![FieldError::new(pointer, "role_scope", e.message())])
    })?;
    let expires_at = input.expires_at.with_timezone(&Utc);
    if expires_at <= now {
        return Err(ApiError::validation(vec![FieldError::new(
            "/expires_at",
            "past",
            "有效期须晚于当前时间。",
        )]));
    }
    if let Some(s) = grant.school_id {
        require_school(txn, s, "/school_id").await?;
    }
    if let Some(d) = grant.district_id {
        require_district(txn, d, "/district_id").await?;
    }
    let inv = invitation::ActiveModel {
        code: Set(new_code()),
        role: Set(grant.role.as_str().to_owned()),
        school_id: Set(grant.school_id),
        district_id: Set(grant.district_id),
        max_uses: Set(input.max_uses.unwrap_or(1)),
        uses: Set(0),
        expires_at: Set(expires_at),
        note: Set(input
            .note
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)),
        created_by: Set(Some(p.id())),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let view = InvitationView::from(inv);
    audit::record(
        txn,
        now,
        Entry::by(
            p,
            Role::Secretariat,
            "invitation.create",
            "invitation",
            view.id,
        ),
        None::<&()>,
        Some(&view),
    )
    .await?;
    Ok(view)
}

/// Invitation codes, newest first. `page_key` signs the page tokens.
pub async fn list(
    db: &impl ConnectionTrait,
    page_key: &[u8],
    q: &InvitationQuery,
    now: DateTime<Utc>,
) -> ApiResult<Page<InvitationView>> {
    let params = PageParams::new(q.page_size, q.page_token.clone())?;
    let tokens = PageTokens::new(page_key, format!("invitations?active={:?}", q.active));
    let before: Option<i64> = tokens.cursor(&params)?;
    let mut query = invitation::Entity::find().order_by_desc(invitation::Column::Id);
    if let Some(b) = before {
        query = query.filter(invitation::Column::Id.lt(b));
    }
    if q.active == Some(true) {
        query = query
            .filter(invitation::Column::RevokedAt.is_null())
            .filter(invitation::Column::ExpiresAt.gt(now))
            .filter(Expr::col(invitation::Column::Uses).lt(Expr::col(invitation::Column::MaxUses)));
    }
    let rows = query.limit(params.size() + 1).all(db).await?;
    let rows: Vec<InvitationView> = rows.into_iter().map(Into::into).collect();
    tokens.page(rows, params.size(), |i| i.id)
}

/// Revokes an invitation code (by the secretariat `p`), audited; revoking
/// it again changes nothing. Roles already granted stay.
pub async fn revoke(tx: Tx, p: &Principal, id: i64, now: DateTime<Utc>) -> ApiResult<()> {
    let txn = &*tx;
    let inv = invitation::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("邀请码不存在。"))?;
    if inv.revoked_at.is_none() {
        let before = InvitationView::from(inv.clone());
        let mut am: invitation::ActiveModel = inv.into();
        am.revoked_at = Set(Some(now));
        let after = InvitationView::from(am.update(txn).await?);
        audit::record(
            txn,
            now,
            Entry::by(
                p,
                Role::Secretariat,
                "invitation.revoke",
                "invitation",
                after.id,
            ),
            Some(&before),
            Some(&after),
        )
        .await?;
    }
    Ok(())
}

/// Redeems an invitation code: the member `p` gets its role for its school
/// or district (rate limited per member). Redeeming a code whose role the
/// member already holds uses nothing.
pub async fn redeem(
    db: &DatabaseConnection,
    cache: &Cache,
    p: &Principal,
    input: &RedeemRequest,
    now: DateTime<Utc>,
) -> ApiResult<MeView> {
    rate_limit::check(cache, REDEEM_LIMIT, &p.id().to_string()).await?;
    let code = normalise_code(&input.code);
    db::write(db, |tx| redeem_code(tx, p, &code, now)).await
}

async fn redeem_code(tx: Tx, p: &Principal, code: &str, now: DateTime<Utc>) -> ApiResult<MeView> {
    let txn = &*tx;
    let inv = invitation::Entity::find()
        .filter(invitation::Column::Code.eq(code))
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::InvitationNotFound))?;
    if inv.revoked_at.is_some() {
        return Err(ApiError::new(ErrorCode::InvitationRevoked));
    }
    if inv.expires_at <= now {
        return Err(ApiError::new(ErrorCode::InvitationExpired));
    }
    let role = Role::parse(&inv.role)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("bad role {}", inv.role)))?;
    let grant = Grant {
        role,
        school_id: inv.school_id,
        district_id: inv.district_id,
    };
    if !grants::holds(txn, p.id(), &grant).await? {
        // Count the use only while uses remain (atomic against concurrent redeemers).
        let used = invitation::Entity::update_many()
            .col_expr(
                invitation::Column::Uses,
                Expr::col(invitation::Column::Uses).add(1),
            )
            .filter(invitation::Column::Id.eq(inv.id))
            .filter(Expr::col(invitation::Column::Uses).lt(Expr::col(invitation::Column::MaxUses)))
            .exec(txn)
            .await?;
        if used.rows_affected != 1 {
            return Err(ApiError::new(ErrorCode::InvitationUsedUp));
        }
        invitation_redemption::ActiveModel {
            invitation_id: Set(inv.id),
            member_id: Set(p.id()),
            redeemed_at: Set(now),
        }
        .insert(txn)
        .await?;
        grants::insert(txn, p.id(), &grant, inv.created_by, now).await?;
        let after = serde_json::json!({"role": role, "school_id": grant.school_id, "district_id": grant.district_id, "invitation_id": inv.id});
        audit::record(
            txn,
            now,
            Entry {
                actor_id: Some(p.id()),
                actor_role: Some("member"),
                action: "invitation.redeem",
                entity_type: "member",
                entity_id: p.id().to_string(),
                reason: None,
            },
            None::<&()>,
            Some(&after),
        )
        .await?;
    }
    me_view(txn, &p.member).await
}
