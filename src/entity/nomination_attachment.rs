use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "nomination_attachments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub nomination_id: i64,
    /// `photo`, `certificate` or `registration_scan`.
    pub kind: String,
    /// The file's place among those of its kind, 1, 2, … (the scan's page;
    /// unique with `nomination_id` and `kind`).
    pub page: i32,
    /// Sniffed from the content, never taken from the client.
    pub content_type: String,
    pub file_name: String,
    pub size: i64,
    pub sha256: String,
    #[sea_orm(column_type = "Blob")]
    pub data: Vec<u8>,
    /// A photo's copy as the registration form embeds it (PNG, at most
    /// 413 × 579 pixels), made at upload; `None` for other attachments and
    /// for photos uploaded before the copy was kept.
    #[sea_orm(column_type = "Blob", nullable)]
    pub form_copy: Option<Vec<u8>>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
