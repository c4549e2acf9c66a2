//! The migrations, frozen history: tables and columns are named by strings,
//! never by entity types, so later entity changes cannot rewrite the past.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_foundation;
mod m20261121_000002_identity;
mod m20261121_000003_articles;
mod m20261121_000004_honours;
mod m20261121_000005_nominations;
mod m20261122_000001_attachment_form_copy;
mod m20261122_000002_article_page_check;
mod m20261202_000010_school_left_on;
mod m20261202_000011_source_year_range;
mod m20261202_000020_honours_people;
mod m20261202_000030_nomination_frontline;
mod m20261203_000031_campaign_timeline;
mod m20261203_000032_attachment_pages;
mod m20261203_000040_notifications;
mod m20261203_000041_campaign_reminders;
mod m20261203_000050_standing_totals;
mod m20261203_000051_drop_redundant_indexes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_foundation::Migration),
            Box::new(m20261121_000002_identity::Migration),
            Box::new(m20261121_000003_articles::Migration),
            Box::new(m20261121_000004_honours::Migration),
            Box::new(m20261121_000005_nominations::Migration),
            Box::new(m20261122_000001_attachment_form_copy::Migration),
            Box::new(m20261122_000002_article_page_check::Migration),
            Box::new(m20261202_000010_school_left_on::Migration),
            Box::new(m20261202_000011_source_year_range::Migration),
            Box::new(m20261202_000020_honours_people::Migration),
            Box::new(m20261202_000030_nomination_frontline::Migration),
            Box::new(m20261203_000031_campaign_timeline::Migration),
            Box::new(m20261203_000032_attachment_pages::Migration),
            Box::new(m20261203_000040_notifications::Migration),
            Box::new(m20261203_000041_campaign_reminders::Migration),
            Box::new(m20261203_000050_standing_totals::Migration),
            Box::new(m20261203_000051_drop_redundant_indexes::Migration),
        ]
    }
}
