use sea_orm::entity::prelude::*;

/// A site or outlet whose articles earn credit (`sources`). The JSON-array
/// columns are read through `domain::articles::SourceRules`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sources")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub hosts: String,
    #[sea_orm(column_type = "Text")]
    pub columns: String,
    #[sea_orm(column_type = "Text")]
    pub years: String,
    /// First and last counted year of the range (inclusive; null = open), when `years` is empty.
    pub from_year: Option<i32>,
    pub until_year: Option<i32>,
    pub needs_confirmation: bool,
    pub allow_private_network: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
