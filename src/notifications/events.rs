//! The events members are told of, as notices: who hears, what they read,
//! and the facts a WeChat template shows. One function per event, called in
//! the unit of work of the change (the mechanism every path goes through:
//! a single review and a batch review both call `article_reviewed`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::entity::article;
use crate::notifications::Notice;
use crate::platform::clock::to_china;

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
