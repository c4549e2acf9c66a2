//! Reminders before the district deadline (issue 14): the leads of every
//! district that has not filed hear the campaign's `reminder_hours` before
//! its deadline (by default 7 days, 1 day and 3 hours; China time).
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

/// A campaign's reminders unless it says otherwise: 7 days, 1 day and 3
/// hours before the district deadline.
pub const DEFAULT_HOURS: [u32; 3] = [168, 24, 3];

/// At most this far ahead a campaign's reminders may be (30 days).
pub const MAX_HOURS: u32 = 720;

/// A reminder's name in its key (`7d`, `3h`) and what is left, in Chinese.
fn reminder_text(hours: u32) -> (String, String) {
    if hours.is_multiple_of(24) {
        (format!("{}d", hours / 24), format!("{}天", hours / 24))
    } else {
        (format!("{hours}h"), format!("{hours}小时"))
    }
}

/// Records the reminders due at `now`; answers how many notices were new.
pub async fn sweep(db: &sea_orm::DatabaseConnection, now: DateTime<Utc>) -> ApiResult<usize> {
    db::write(db, |tx| remind(tx, now)).await
}

async fn remind(tx: Tx, now: DateTime<Utc>) -> ApiResult<usize> {
    let txn = &*tx;
    let campaigns = campaign::Entity::find()
        .filter(campaign::Column::DistrictDeadline.gt(now))
        .filter(campaign::Column::DistrictDeadline.lte(now + Duration::hours(i64::from(MAX_HOURS))))
        .all(txn)
        .await?;
    if campaigns.is_empty() {
        return Ok(0);
    }
    // The districts' leads, read once for every campaign of the sweep.
    let leads: Vec<(Option<i64>, i64)> = member_role::Entity::find()
        .select_only()
        .column(member_role::Column::DistrictId)
        .column(member_role::Column::MemberId)
        .filter(member_role::Column::Role.eq("district_lead"))
        .distinct()
        .into_tuple()
        .all(txn)
        .await?;
    let mut by_district: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
    for (district, member) in leads {
        if let Some(d) = district {
            by_district.entry(d).or_default().push(member);
        }
    }
    let mut new = 0;
    for c in campaigns {
        // The reminder due now: the closest to the deadline of those passed.
        let hours: Vec<u32> = serde_json::from_str(&c.reminder_hours).unwrap_or_default();
        let Some(due) = hours
            .into_iter()
            .filter(|h| c.district_deadline - Duration::hours(i64::from(*h)) <= now)
            .min()
        else {
            continue;
        };
        let (name, left) = reminder_text(due);
        let (name, left) = (name.as_str(), left.as_str());
        let filed = filed_districts(txn, c.id).await?;
        for (district_id, leads) in &by_district {
            if filed.contains(district_id) {
                continue;
            }
            let notices = events::deadline_reminder(leads, &c, *district_id, name, left);
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
