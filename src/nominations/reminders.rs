//! Reminders before the district deadline (issue 14): the leads of every
//! district that has not filed hear 7 days, 1 day and 3 hours before the
//! deadline (China time, from the campaign's deadline).
//!
//! A sweep (a job the workers enqueue once a minute per clock minute, so
//! any number of processes make one) records the reminder that is due now:
//! the latest of the instants already passed, only while the deadline is
//! ahead. Each (campaign, district, reminder) is recorded once per lead — a
//! sweep that runs twice tells nobody twice — and a reminder whose message
//! is still queued at the deadline is not sent (`expires_at`).

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::entity::{campaign, member_role, nomination};
use crate::nominations::rules::NominationStatus;
use crate::notifications::{self, events};
use crate::platform::db::{self, Tx};
use crate::platform::error::ApiResult;

/// The sweep's job (no arguments: it reads the clock and the campaigns).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct RemindDeadlines {}

impl crate::platform::jobs::Job for RemindDeadlines {
    const QUEUE: &'static str = "campaigns.remind_deadlines";
    const MAX_ATTEMPTS: u32 = 3;
}

/// The reminders: its name, how long before the deadline, what is left.
pub const REMINDERS: [(&str, i64, &str); 3] = [
    ("7d", 7 * 24 * 60, "7天"),
    ("1d", 24 * 60, "1天"),
    ("3h", 3 * 60, "3小时"),
];

/// Records the reminders due at `now`; answers how many notices were new.
pub async fn sweep(db: &sea_orm::DatabaseConnection, now: DateTime<Utc>) -> ApiResult<usize> {
    db::write(db, |tx| remind(tx, now)).await
}

async fn remind(tx: Tx, now: DateTime<Utc>) -> ApiResult<usize> {
    let txn = &*tx;
    let furthest = REMINDERS.iter().map(|r| r.1).max().unwrap_or(0);
    let campaigns = campaign::Entity::find()
        .filter(campaign::Column::DistrictDeadline.gt(now))
        .filter(campaign::Column::DistrictDeadline.lte(now + Duration::minutes(furthest)))
        .all(txn)
        .await?;
    if campaigns.is_empty() {
        return Ok(0);
    }
    // The districts that have a lead to tell.
    let districts: Vec<Option<i64>> = member_role::Entity::find()
        .select_only()
        .column(member_role::Column::DistrictId)
        .filter(member_role::Column::Role.eq("district_lead"))
        .distinct()
        .into_tuple()
        .all(txn)
        .await?;
    let mut new = 0;
    for c in campaigns {
        // The reminder due now: the closest to the deadline of those passed.
        let Some(&(name, _, left)) = REMINDERS
            .iter()
            .filter(|r| c.district_deadline - Duration::minutes(r.1) <= now)
            .min_by_key(|r| r.1)
        else {
            continue;
        };
        let filed = filed_districts(txn, c.id).await?;
        for district_id in districts.iter().flatten() {
            if filed.contains(district_id) {
                continue;
            }
            let leads = events::district_leads(txn, *district_id).await?;
            let notices = events::deadline_reminder(&leads, &c, *district_id, name, left);
            new += notifications::notify(txn, notices, now).await?;
        }
    }
    Ok(new)
}

/// The districts whose nomination is filed (submitted and not disqualified:
/// a disqualified nominee's district may file again, and is reminded).
async fn filed_districts(txn: &impl ConnectionTrait, campaign_id: i64) -> ApiResult<Vec<i64>> {
    let filed = [
        NominationStatus::Submitted,
        NominationStatus::Shortlisted,
        NominationStatus::Rejected,
        NominationStatus::Forwarded,
    ]
    .map(|s| s.as_str());
    let ids: Vec<i64> = nomination::Entity::find()
        .select_only()
        .column(nomination::Column::DistrictId)
        .filter(nomination::Column::CampaignId.eq(campaign_id))
        .filter(nomination::Column::Status.is_in(filed))
        .distinct()
        .into_tuple()
        .all(txn)
        .await?;
    Ok(ids)
}
