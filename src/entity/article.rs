use sea_orm::entity::prelude::*;

/// A submitted article (`articles`). See `domain::articles` for the rules
/// behind `status`, `credit_year`, `site_points` and `bonus_points`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "articles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub submitted_by: i64,
    pub first_author_member_id: Option<i64>,
    pub first_author_name: Option<String>,
    pub author_key: String,
    #[sea_orm(column_type = "Text")]
    pub url: String,
    #[sea_orm(column_type = "Text")]
    pub canonical_url: String,
    pub url_key: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub host: String,
    pub source_id: i64,
    pub source_kind: String,
    pub title: Option<String>,
    pub title_norm: Option<String>,
    pub column_name: Option<String>,
    pub published_at: Option<DateTimeUtc>,
    pub credit_year: Option<i32>,
    pub declared_title: Option<String>,
    pub declared_column: Option<String>,
    pub declared_published_on: Option<Date>,
    pub declared_original: bool,
    pub verification_status: String,
    pub verification_reason: Option<String>,
    pub verified_at: Option<DateTimeUtc>,
    pub page_title: Option<String>,
    pub page_column: Option<String>,
    pub page_published_at: Option<DateTimeUtc>,
    pub fingerprint: Option<i64>,
    pub fp_band0: Option<i32>,
    pub fp_band1: Option<i32>,
    pub fp_band2: Option<i32>,
    pub fp_band3: Option<i32>,
    pub status: String,
    pub review_reason: Option<String>,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub confirmed_level: Option<String>,
    pub duplicate_group_id: Option<i64>,
    pub site_points: i32,
    pub bonus_points: i32,
    /// Approved while the page check was still running (on the typed facts).
    pub approved_on_typed_data: bool,
    /// The page's facts disagreeing with those approved (JSON of
    /// `articles::rules::PageMismatch`), for the secretariat.
    #[sea_orm(column_type = "Text")]
    pub page_mismatch: Option<String>,
    pub page_mismatch_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
