use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "nominations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub campaign_id: i64,
    pub district_id: i64,
    /// `person` or `team`.
    pub kind: String,
    /// `draft`, `submitted`, `shortlisted`, `rejected`, `disqualified`, `forwarded`.
    pub status: String,
    /// Bumped by every change; the `ETag` is `"n-<id>-v<version>"`.
    pub version: i32,
    /// JSON: the registration form.
    #[sea_orm(column_type = "Text")]
    pub form: String,
    pub nominee_name: Option<String>,
    pub unit: Option<String>,
    pub category: Option<String>,
    pub phone: Option<String>,
    pub media_honoured: bool,
    pub consent: bool,
    /// The form's `frontline` (seed 002 二(二)), for the review list's filter.
    pub frontline: Option<bool>,
    pub review_reason: Option<String>,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub submitted_at: Option<DateTimeUtc>,
    pub forwarded_at: Option<DateTimeUtc>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
