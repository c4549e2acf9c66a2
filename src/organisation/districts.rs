//! Districts (片区): listing them, creating and renaming them (secretariat).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::access::principal::Principal;
use crate::access::roles::Role;
use crate::entity::district;
use crate::organisation::names::name_conflict;
use crate::platform::audit::{self, Entry};
use crate::platform::db::Tx;
use crate::platform::error::{ApiError, ApiResult};
use crate::platform::pagination::{Page, PageParams, PageTokens};

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DistrictView {
    pub id: i64,
    pub name: String,
}

impl From<district::Model> for DistrictView {
    fn from(d: district::Model) -> Self {
        Self {
            id: d.id,
            name: d.name,
        }
    }
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "攀西片区"}))]
pub struct DistrictInput {
    /// e.g. 成都片区 (1–32 characters, unique).
    #[validate(
        length(min = 1, max = 32, message = "片区名称须为 1–32 个字。"),
        custom(function = "crate::platform::text::single_line")
    )]
    #[schema(
        min_length = 1,
        max_length = 32,
        pattern = r"^[\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u061C\u1680\u2000-\u200F\u2028-\u202F\u205F\u2060\u2066-\u2069\u3000\uFEFF][^\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]*$"
    )]
    pub name: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Rows per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the previous page (empty or absent: the first page).
    #[param(pattern = r"^([A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{22})?$")]
    pub page_token: Option<String>,
}

/// The row of a new district.
pub fn new_district(name: String, now: DateTime<Utc>) -> district::ActiveModel {
    district::ActiveModel {
        name: Set(name),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Districts, by id. `page_key` signs the page tokens.
pub async fn list(
    db: &impl ConnectionTrait,
    page_key: &[u8],
    q: &ListQuery,
) -> ApiResult<Page<DistrictView>> {
    let params = PageParams::new(q.page_size, q.page_token.clone())?;
    let tokens = PageTokens::new(page_key, "districts");
    let after: Option<i64> = tokens.cursor(&params)?;
    let mut query = district::Entity::find().order_by_asc(district::Column::Id);
    if let Some(after) = after {
        query = query.filter(district::Column::Id.gt(after));
    }
    let rows = query.limit(params.size() + 1).all(db).await?;
    let rows: Vec<DistrictView> = rows.into_iter().map(Into::into).collect();
    tokens.page(rows, params.size(), |d| d.id)
}

/// Creates a district (by the secretariat `p`), audited; its name is unique.
pub async fn create(
    tx: Tx,
    p: &Principal,
    input: &DistrictInput,
    now: DateTime<Utc>,
) -> ApiResult<DistrictView> {
    let txn = &*tx;
    let d = new_district(input.name.trim().to_owned(), now)
        .insert(txn)
        .await
        .map_err(|e| name_conflict(e, "/name", "片区"))?;
    let view = DistrictView::from(d);
    audit::record(
        txn,
        now,
        Entry::by(p, Role::Secretariat, "district.create", "district", view.id),
        None::<&()>,
        Some(&view),
    )
    .await?;
    Ok(view)
}

/// Renames a district (by the secretariat `p`), audited with before and after.
pub async fn rename(
    tx: Tx,
    p: &Principal,
    id: i64,
    input: &DistrictInput,
    now: DateTime<Utc>,
) -> ApiResult<DistrictView> {
    let txn = &*tx;
    let before = district::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::not_found().with_detail("片区不存在。"))?;
    let mut am: district::ActiveModel = before.clone().into();
    am.name = Set(input.name.trim().to_owned());
    am.updated_at = Set(now);
    let after = am
        .update(txn)
        .await
        .map_err(|e| name_conflict(e, "/name", "片区"))?;
    let (before, after) = (DistrictView::from(before), DistrictView::from(after));
    audit::record(
        txn,
        now,
        Entry::by(
            p,
            Role::Secretariat,
            "district.update",
            "district",
            after.id,
        ),
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(after)
}
