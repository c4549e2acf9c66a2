use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub year: i32,
    pub version: i32,
    pub ranking_key: String,
    pub opens_at: DateTimeUtc,
    pub closes_at: DateTimeUtc,
    pub school_population: i32,
    pub school_cap: i32,
    pub individual_population: i32,
    pub individual_cap: i32,
    pub published_by: Option<i64>,
    pub published_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
