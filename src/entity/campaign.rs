use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub year: i32,
    /// JSON: `[{name, kind}]`.
    #[sea_orm(column_type = "Text")]
    pub categories: String,
    pub district_quota: i32,
    pub association_quota: i32,
    pub district_deadline: DateTimeUtc,
    pub national_deadline: Option<DateTimeUtc>,
    /// JSON: `[{name, role, phone, email}]`.
    #[sea_orm(column_type = "Text")]
    pub contacts: String,
    /// JSON: `[{name, unit, note}]`.
    #[sea_orm(column_type = "Text")]
    pub exclusions: String,
    /// Hours before the district deadline its leads are reminded (JSON list).
    #[sea_orm(column_type = "Text")]
    pub reminder_hours: String,
    pub forwarded_count: i32,
    /// JSON: the stages of the national timeline, `[{name, when, description}]`.
    #[sea_orm(column_type = "Text")]
    pub timeline: String,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
