use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub member_id: i64,
    pub event: String,
    pub dedup_key: String,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub page: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub facts: String,
    pub wechat_status: String,
    pub wechat_at: Option<DateTimeUtc>,
    pub read_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
