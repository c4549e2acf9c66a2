//! The development run's demo association: districts and member schools, so
//! the flows can be tried on a fresh laptop. Only seeded into an empty
//! database, and never in production.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Set, TransactionTrait,
};

use crate::entity::{district, school};

/// Districts and a few of their member schools (public names of Sichuan universities).
const DEMO: &[(&str, &[&str])] = &[
    (
        "成都片区",
        &[
            "四川大学",
            "电子科技大学",
            "西南交通大学",
            "西南财经大学",
            "成都理工大学",
            "四川师范大学",
            "西华大学",
            "成都中医药大学",
        ],
    ),
    (
        "川南片区",
        &["西南医科大学", "宜宾学院", "四川轻化工大学", "乐山师范学院"],
    ),
    (
        "川东北片区",
        &["西南石油大学", "西华师范大学", "川北医学院", "四川文理学院"],
    ),
    (
        "川西北片区",
        &[
            "西南科技大学",
            "绵阳师范学院",
            "四川农业大学",
            "阿坝师范学院",
        ],
    ),
];

/// Seeds the demo organisation when there are no districts yet. Answers whether it did.
pub async fn demo_organisation(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    if district::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let txn = db.begin().await?;
    for (d, schools) in DEMO {
        let district = district::ActiveModel {
            name: Set((*d).to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for s in *schools {
            school::ActiveModel {
                name: Set((*s).to_owned()),
                district_id: Set(district.id),
                active: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(true)
}
