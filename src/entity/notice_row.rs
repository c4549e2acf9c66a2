use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notice_rows")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub notice_id: i64,
    pub scope: String,
    pub position: i32,
    pub rank: i32,
    pub row_key: String,
    pub name: String,
    pub school_id: i64,
    pub school_name: String,
    pub site_points: i32,
    pub bonus_points: i32,
    pub total: i32,
    pub counted_articles: i32,
    pub within_cap: bool,
    pub tied_at_cutoff: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
