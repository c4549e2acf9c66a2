use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "authors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    /// The grouping key of the articles (`member:<id>` or `name:<name>`).
    pub author_key: String,
    pub name: String,
    pub member_id: Option<i64>,
    /// Merged into this author (same school): an alias from then on.
    pub merged_into: Option<i64>,
    pub merge_reason: Option<String>,
    pub merged_by: Option<i64>,
    pub merged_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
