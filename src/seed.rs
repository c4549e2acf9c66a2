//! The development run's demo association: districts and member schools, so
//! the flows can be tried on a fresh laptop. Only seeded into an empty
//! database, and never in production.

use std::future::Future;

use chrono::{DateTime, Datelike, Utc};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Set};

use crate::entity::{campaign, district};
use crate::organisation::districts::new_district;
use crate::organisation::schools::new_school;
use crate::platform::db::{self, Tx};
use crate::platform::error::ApiResult;

/// Runs `seed` in one unit of work when the table of `E` is empty (checked
/// in the same unit of work). Answers whether it seeded.
async fn seed_once<E, F, Fut>(db: &DatabaseConnection, seed: F) -> anyhow::Result<bool>
where
    E: EntityTrait,
    E::Model: Sync + 'static,
    F: Fn(Tx) -> Fut,
    Fut: Future<Output = ApiResult<()>>,
{
    let seed = &seed;
    db::write(db, |tx| async move {
        if E::find().count(&*tx).await? > 0 {
            return Ok(false);
        }
        seed(tx).await?;
        Ok(true)
    })
    .await
    .map_err(|e| anyhow::anyhow!("seeding failed: {e:?}"))
}

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
) -> anyhow::Result<bool> {
    seed_once::<district::Entity, _, _>(db, |tx| async move {
        for (d, schools) in DEMO {
            let district = new_district((*d).to_owned(), now).insert(&*tx).await?;
            for s in *schools {
                new_school((*s).to_owned(), district.id, None, now)
                    .insert(&*tx)
                    .await?;
            }
        }
        Ok(())
    })
    .await
}

/// Seeds a 最美后勤人 campaign of the current year whose district deadline
/// lies a month ahead of `now` (midnight China time), so the nomination flow
/// can be tried; only when there is no campaign yet. Answers whether it did.
/// Its timeline is the national notice's (中后协〔2021〕15号 三), its four
/// stages as far from the district deadline as in 2021: the district
/// deadline 11月3日, then 12月10日 征集申报 (+37 days, the national
/// deadline), 1月20日 材料审核 (+78), 2月20日 信息确认与公示 (+109), and
/// 通报及事迹宣讲 in the fifth month after (4月).
pub async fn demo_campaign(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<bool> {
    use crate::nominations::rules::{self as rules, Contact, Exclusion, Stage, StageWhen};
    use crate::platform::clock::{china_date, china_midnight, china_year};
    let day = |days: u64| {
        china_date(now)
            .checked_add_days(chrono::Days::new(days))
            .and_then(china_midnight)
            .unwrap_or(now + chrono::Duration::days(days as i64))
    };
    let year = china_year(now);
    // The last day of filing: the deadline is the midnight after it (day(31)).
    let last_day = china_date(now)
        .checked_add_days(chrono::Days::new(30))
        .unwrap_or(china_date(now));
    let after = |days: u64| {
        last_day
            .checked_add_days(chrono::Days::new(days))
            .unwrap_or(last_day)
    };
    let announcement = last_day
        .checked_add_months(chrono::Months::new(5))
        .and_then(|d| d.with_day(1))
        .unwrap_or(last_day);
    let whens = [
        StageWhen::Day(after(37)),
        StageWhen::Day(after(78)),
        StageWhen::Day(after(109)),
        StageWhen::Month(announcement),
    ];
    let stages: Vec<Stage> = rules::NATIONAL_STAGES
        .iter()
        .zip(whens)
        .map(|((name, description), when)| Stage {
            name: (*name).to_owned(),
            when,
            description: Some((*description).to_owned()),
        })
        .collect();
    let stages = &stages;
    let contacts = vec![Contact {
        name: "郑云泽".to_owned(),
        role: Some("协会秘书处联系人".to_owned()),
        phone: Some("18583246978".to_owned()),
        email: Some("scgxhq88888@sina.com".to_owned()),
    }];
    let exclusions = vec![Exclusion {
        name: "示例姓名".to_owned(),
        unit: "示例大学".to_owned(),
        note: Some(format!("{}年度感动人物（演示数据）", year - 1)),
    }];
    let (contacts, exclusions) = (&contacts, &exclusions);
    seed_once::<campaign::Entity, _, _>(db, |tx| async move {
        campaign::ActiveModel {
            title: Set(format!("{year}年度最美后勤人")),
            year: Set(year),
            categories: Set(json(&rules::default_categories())),
            district_quota: Set(rules::DEFAULT_DISTRICT_QUOTA),
            association_quota: Set(rules::DEFAULT_ASSOCIATION_QUOTA),
            district_deadline: Set(day(31)),
            national_deadline: Set(Some(whens[0].ends_at())),
            contacts: Set(json(contacts)),
            exclusions: Set(json(exclusions)),
            timeline: Set(json(stages)),
            forwarded_count: Set(0),
            created_by: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&*tx)
        .await?;
        Ok(())
    })
    .await
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned())
}
/// One demo source: name, kind, example hosts, counted columns, first
/// counted year (open-ended: every later year counts; `None` = every year),
/// needs confirmation.
type DemoSource = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    Option<i32>,
    bool,
);

/// The sources of seed 000 with example hosts (configuration, not code: the
/// secretariat corrects hosts, columns and years through `PATCH /sources/{id}`).
fn demo_source_list() -> Vec<DemoSource> {
    vec![
        (
            "四川省高校后勤协会网",
            "official",
            &["www.schqxh.org.cn"],
            &["学校后勤动态", "协会新闻", "招投标信息", "理论与实践"],
            // Every year, 2019 included (in 2019 only the association's own site counted).
            None,
            false,
        ),
        (
            "四川学校后勤与产业信息网",
            "official",
            &["www.schqw.cn"],
            &["高校后勤动态"],
            // Counted from 2020 on, with no last year.
            Some(2020),
            false,
        ),
        (
            "中国教育后勤协会网",
            "bonus",
            &["www.chinacacm.org"],
            &[],
            None,
            false,
        ),
        (
            "中国院校后勤信息网",
            "bonus",
            &["www.hqjt.org"],
            &[],
            None,
            false,
        ),
        // Open-ended: any provincial-or-higher outlet; the secretariat confirms its level.
        ("省级以上媒体", "bonus", &[], &[], None, true),
    ]
}

/// Seeds the article sources when there are none yet. Answers whether it did.
pub async fn demo_sources(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<bool> {
    use crate::entity::source;
    let json = |v: serde_json::Value| v.to_string();
    seed_once::<source::Entity, _, _>(db, |tx| async move {
        for (name, kind, hosts, columns, from_year, needs_confirmation) in demo_source_list() {
            source::ActiveModel {
                name: Set(name.to_owned()),
                kind: Set(kind.to_owned()),
                hosts: Set(json(serde_json::json!(hosts))),
                columns: Set(json(serde_json::json!(columns))),
                years: Set("[]".to_owned()),
                from_year: Set(from_year),
                until_year: Set(None),
                needs_confirmation: Set(needs_confirmation),
                allow_private_network: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&*tx)
            .await?;
        }
        Ok(())
    })
    .await
}
