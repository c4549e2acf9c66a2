//! The events members are told of, as notices: who hears, what they read,
//! and the facts a WeChat template shows. One function per event, called in
//! the unit of work of the change (the mechanism every path goes through:
//! a single review and a batch review both call `article_reviewed`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::entity::article;
use crate::notifications::Notice;
use crate::platform::clock::to_china;

/// The fact after which a notice's WeChat message is no longer sent (RFC 3339).
pub const EXPIRES_AT: &str = "expires_at";

/// WeChat's `time` value: `2021年11月3日 23:59`, China time.
pub fn wechat_time(at: DateTime<Utc>) -> String {
    to_china(at).format("%Y年%-m月%-d日 %H:%M").to_string()
}

fn facts<const N: usize>(pairs: [(&str, String); N]) -> BTreeMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn article_title(a: &article::Model) -> String {
    a.title
        .clone()
        .or_else(|| a.declared_title.clone())
        .unwrap_or_else(|| a.url.clone())
}

/// `article.reviewed`: the submitter hears that their article was approved,
/// rejected (with the reason) or marked a repost (with the reason). A
/// revised decision is another event.
pub fn article_reviewed(a: &article::Model, now: DateTime<Utc>) -> Option<Notice> {
    let (result, verb) = match a.status.as_str() {
        "approved" => ("通过", "已审核通过"),
        "rejected" => ("退回", "被退回"),
        "repost" => ("转载", "被认定为转载，不计分"),
        _ => return None,
    };
    let title = article_title(a);
    let reason = a.review_reason.clone().unwrap_or_default();
    let mut body = format!("您提交的稿件《{title}》{verb}。");
    if !reason.is_empty() {
        body.push_str(&format!("原因：{reason}"));
    }
    let at = a.reviewed_at.unwrap_or(now);
    Some(Notice {
        member_id: a.submitted_by,
        event: "article.reviewed",
        key: format!("article.reviewed:{}:{}", a.id, at.timestamp_micros()),
        title: format!("稿件审核结果：{result}"),
        body,
        page: Some("pages/articles/detail".into()),
        entity: Some(("article", a.id)),
        facts: facts([
            ("title", title),
            ("result", result.to_owned()),
            (
                "reason",
                if reason.is_empty() {
                    "无".into()
                } else {
                    reason
                },
            ),
            ("time", wechat_time(at)),
        ]),
    })
}

/// `article.merged`: the submitter hears that their article was found to be
/// the same story as another and merged with it (the group's points count once).
pub fn article_merged(a: &article::Model, into_id: i64, now: DateTime<Utc>) -> Notice {
    let title = article_title(a);
    Notice {
        member_id: a.submitted_by,
        event: "article.merged",
        key: format!("article.merged:{}:{}", a.id, now.timestamp_micros()),
        title: "稿件已合并为同一篇报道".into(),
        body: format!(
            "您提交的稿件《{title}》与稿件 {into_id} 是同一篇报道，已合并计分（同一报道只计一次）。"
        ),
        page: Some("pages/articles/detail".into()),
        entity: Some(("article", a.id)),
        facts: facts([
            ("title", title),
            ("result", "合并".to_owned()),
            ("reason", format!("与稿件{into_id}为同一报道")),
            ("time", wechat_time(now)),
        ]),
    }
}

/// The members leading a district (the recipients of its nominations' news).
pub async fn district_leads(
    db: &impl sea_orm::ConnectionTrait,
    district_id: i64,
) -> crate::platform::error::ApiResult<Vec<i64>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let ids: Vec<i64> = crate::entity::member_role::Entity::find()
        .select_only()
        .column(crate::entity::member_role::Column::MemberId)
        .filter(crate::entity::member_role::Column::Role.eq("district_lead"))
        .filter(crate::entity::member_role::Column::DistrictId.eq(district_id))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids)
}

/// `nomination.reviewed`: the district's leads hear that their nominee was
/// shortlisted, rejected (with the reason) or disqualified (with the reason).
pub fn nomination_reviewed(
    leads: &[i64],
    n: &crate::entity::nomination::Model,
    now: DateTime<Utc>,
) -> Vec<Notice> {
    let (result, verb) = match n.status.as_str() {
        "shortlisted" => ("入围", "已通过协会审核，入围推荐"),
        "rejected" => ("未入围", "未入围"),
        "disqualified" => ("取消资格", "被取消参评资格，本片区可另行推荐"),
        _ => return Vec::new(),
    };
    let nominee = n.nominee_name.clone().unwrap_or_else(|| "推荐对象".into());
    let reason = n.review_reason.clone().unwrap_or_default();
    let mut body = format!("本片区推荐的「{nominee}」{verb}。");
    if !reason.is_empty() {
        body.push_str(&format!("原因：{reason}"));
    }
    let at = n.reviewed_at.unwrap_or(now);
    leads
        .iter()
        .map(|&member_id| Notice {
            member_id,
            event: "nomination.reviewed",
            key: format!("nomination.reviewed:{}:{}", n.id, n.version),
            title: format!("推荐审核结果：{result}"),
            body: body.clone(),
            page: Some("pages/nominations/detail".into()),
            entity: Some(("nomination", n.id)),
            facts: facts([
                ("nominee", nominee.clone()),
                ("result", result.to_owned()),
                (
                    "reason",
                    if reason.is_empty() {
                        "无".into()
                    } else {
                        reason.clone()
                    },
                ),
                ("time", wechat_time(at)),
            ]),
        })
        .collect()
}

/// `campaign.late_grant`: the district's leads hear that they may file late,
/// and until when.
pub fn late_grant(
    leads: &[i64],
    campaign: &crate::entity::campaign::Model,
    grant_id: i64,
    until: DateTime<Utc>,
) -> Vec<Notice> {
    let until_text = crate::platform::clock::format_china_deadline(until);
    leads
        .iter()
        .map(|&member_id| Notice {
            member_id,
            event: "campaign.late_grant",
            key: format!("campaign.late_grant:{grant_id}"),
            title: "已准许延期推荐".into(),
            body: format!(
                "「{}」已准许本片区延期推荐，截止时间为{until_text}（北京时间）。",
                campaign.title
            ),
            page: Some("pages/campaigns/detail".into()),
            entity: Some(("campaign", campaign.id)),
            facts: facts([
                ("campaign", campaign.title.clone()),
                ("result", "准许延期".to_owned()),
                ("deadline", wechat_time(until)),
                ("time", wechat_time(until)),
            ]),
        })
        .collect()
}

/// `campaign.deadline_reminder`: a lead of a district that has not filed
/// hears how long is left. `before` names the reminder (e.g. `7d`).
pub fn deadline_reminder(
    leads: &[i64],
    campaign: &crate::entity::campaign::Model,
    district_id: i64,
    before: &str,
    left: &str,
) -> Vec<Notice> {
    let deadline = campaign.district_deadline;
    let deadline_text = crate::platform::clock::format_china_deadline(deadline);
    leads
        .iter()
        .map(|&member_id| Notice {
            member_id,
            event: "campaign.deadline_reminder",
            key: format!(
                "campaign.deadline_reminder:{}:{district_id}:{before}",
                campaign.id
            ),
            title: format!("推荐截止还有{left}"),
            body: format!(
                "「{}」的片区推荐将于{deadline_text}（北京时间）截止，本片区尚未提交推荐。请按附件二填写、打印盖章并上传扫描件后提交。",
                campaign.title
            ),
            page: Some("pages/campaigns/detail".into()),
            entity: Some(("campaign", campaign.id)),
            facts: facts([
                ("campaign", campaign.title.clone()),
                ("result", "待提交".to_owned()),
                ("left", left.to_owned()),
                ("deadline", wechat_time(deadline)),
                ("time", wechat_time(deadline)),
                // Not worth sending once the deadline has passed.
                (EXPIRES_AT, deadline.to_rfc3339()),
            ]),
        })
        .collect()
}

/// The members holding `role` (the council, the secretariat).
pub async fn members_with_role(
    db: &impl sea_orm::ConnectionTrait,
    role: crate::access::roles::Role,
) -> crate::platform::error::ApiResult<Vec<i64>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let ids: Vec<i64> = crate::entity::member_role::Entity::find()
        .select_only()
        .column(crate::entity::member_role::Column::MemberId)
        .filter(crate::entity::member_role::Column::Role.eq(role.as_str()))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids)
}

/// The honours list's steps: `proposal.waiting` (the council: a list waits
/// for its decision), `proposal.returned` and `proposal.approved` (the
/// secretariat). One event per version of the list.
pub fn proposal_step(
    recipients: &[i64],
    year: i32,
    version: i32,
    status: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<Notice> {
    let (event, title, body, result) = match status {
        "submitted" => (
            "proposal.waiting",
            format!("{year}年度推荐名单待理事会审定"),
            format!(
                "秘书处已将{year}年度通讯员表彰推荐名单报理事会，请审定（通过或退回并说明意见）。"
            ),
            "待审定",
        ),
        "returned" => (
            "proposal.returned",
            format!("{year}年度推荐名单被理事会退回"),
            format!(
                "理事会退回了{year}年度推荐名单。意见：{}",
                note.unwrap_or("（无）")
            ),
            "退回",
        ),
        "approved" => (
            "proposal.approved",
            format!("{year}年度推荐名单已审定"),
            format!("理事会已审定{year}年度通讯员表彰推荐名单，可公布表彰名单。"),
            "已审定",
        ),
        _ => return Vec::new(),
    };
    recipients
        .iter()
        .map(|&member_id| Notice {
            member_id,
            event,
            key: format!("{event}:{year}:{version}"),
            title: title.clone(),
            body: body.clone(),
            page: Some("pages/honours/proposal".into()),
            entity: Some(("proposal", i64::from(year))),
            facts: facts([
                ("title", title.clone()),
                ("result", result.to_owned()),
                ("reason", note.unwrap_or("无").to_owned()),
                ("time", wechat_time(now)),
            ]),
        })
        .collect()
}

/// `objection.filed`: the secretariat hears of a new objection to the notice.
pub fn objection_filed(recipients: &[i64], o: &crate::entity::objection::Model) -> Vec<Notice> {
    recipients
        .iter()
        .map(|&member_id| Notice {
            member_id,
            event: "objection.filed",
            key: format!("objection.filed:{}", o.id),
            title: format!("{}年度公示收到异议", o.year),
            body: format!("有成员对{}年度统计公示提出异议，请及时核实处理。", o.year),
            page: Some("pages/honours/objection".into()),
            entity: Some(("objection", o.id)),
            facts: facts([
                ("title", format!("{}年度公示异议", o.year)),
                ("result", "待处理".to_owned()),
                ("reason", o.text.clone()),
                ("time", wechat_time(o.created_at)),
            ]),
        })
        .collect()
}

/// `objection.resolved`: whoever filed the objection hears its resolution.
pub fn objection_resolved(o: &crate::entity::objection::Model, now: DateTime<Utc>) -> Notice {
    let result = if o.status == "upheld" {
        "成立"
    } else {
        "不成立"
    };
    let reason = o.resolution_reason.clone().unwrap_or_default();
    Notice {
        member_id: o.member_id,
        event: "objection.resolved",
        key: format!("objection.resolved:{}", o.id),
        title: format!("您的异议处理结果：{result}"),
        body: format!(
            "您对{}年度统计公示提出的异议经核实{result}。说明：{reason}",
            o.year
        ),
        page: Some("pages/honours/objection".into()),
        entity: Some(("objection", o.id)),
        facts: facts([
            ("title", format!("{}年度公示异议", o.year)),
            ("result", result.to_owned()),
            ("reason", reason),
            ("time", wechat_time(o.resolved_at.unwrap_or(now))),
        ]),
    }
}
