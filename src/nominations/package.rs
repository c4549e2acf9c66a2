//! Forwarding and the package (seed 002): "协会经评审后推荐2名(个人或团体)报到
//! 中国教育后勤协会" — the secretariat forwards shortlisted nominees with their
//! consent, within the association's quota, and exports their package: per
//! nominee a folder with the registration form (`.docx`) and the attachments.

use std::io::Write;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::access::principal::Principal;
use crate::access::roles::Role;
use crate::entity::{campaign, nomination, nomination_attachment as att};
use crate::nominations::form::form_document;
use crate::nominations::images;
use crate::nominations::lookup::{district_names, find_campaign, lock_campaign};
use crate::nominations::model::{
    Download, ForwardInput, ForwardResult, fail_if, kind_of, parse_form, safe_name, summary,
};
use crate::nominations::rules::{self as rules, AttachmentKind, NominationStatus};
use crate::platform::audit::{self, Entry};
use crate::platform::db::Tx;
use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};

/// Forwards nominees of campaign `campaign_id` to the national association:
/// at most the association quota in total (409 `QUOTA_EXCEEDED`), only
/// shortlisted ones (409 `CONFLICT`), only with the nominee's consent (409
/// `CONSENT_REQUIRED`). All or nothing; audited per nomination.
pub async fn forward(
    tx: Tx,
    p: &Principal,
    campaign_id: i64,
    input: &ForwardInput,
    now: DateTime<Utc>,
) -> ApiResult<ForwardResult> {
    let txn = &*tx;
    let mut ids = input.nomination_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    lock_campaign(txn, campaign_id).await?;
    let c = find_campaign(txn, campaign_id).await?;
    let rows = nomination::Entity::find()
        .filter(nomination::Column::CampaignId.eq(campaign_id))
        .filter(nomination::Column::Id.is_in(ids))
        .all(txn)
        .await?;
    let missing: Vec<FieldError> = input
        .nomination_ids
        .iter()
        .enumerate()
        .filter(|(_, id)| !rows.iter().any(|n| n.id == **id))
        .map(|(i, _)| {
            FieldError::new(
                &format!("/nomination_ids/{i}"),
                "not_found",
                "该评选活动中没有这条推荐。",
            )
        })
        .collect();
    fail_if(missing)?;
    let label = |n: &nomination::Model| {
        n.nominee_name
            .clone()
            .unwrap_or_else(|| format!("#{}", n.id))
    };
    let mut adding = Vec::new();
    for n in &rows {
        match NominationStatus::parse(&n.status) {
            Some(NominationStatus::Forwarded) => {}
            Some(NominationStatus::Shortlisted) => adding.push(n),
            other => {
                return Err(ApiError::new(ErrorCode::Conflict).with_detail(format!(
                    "只能报送入围的候选人：{}当前为“{}”。",
                    label(n),
                    other.map(NominationStatus::label).unwrap_or("未知")
                )));
            }
        }
    }
    let without: Vec<String> = adding
        .iter()
        .filter(|n| !n.consent)
        .map(|n| label(n))
        .collect();
    if !without.is_empty() {
        return Err(
            ApiError::new(ErrorCode::ConsentRequired).with_detail(format!(
                "{}未同意报送至中国教育后勤协会及公开事迹和照片，不能报送。",
                without.join("、")
            )),
        );
    }
    rules::check_association_quota(c.forwarded_count, adding.len(), c.association_quota)?;
    let n_adding = i32::try_from(adding.len()).map_err(ApiError::internal)?;
    if n_adding > 0 {
        let res = campaign::Entity::update_many()
            .col_expr(
                campaign::Column::ForwardedCount,
                Expr::col(campaign::Column::ForwardedCount).add(n_adding),
            )
            .filter(campaign::Column::Id.eq(campaign_id))
            .filter(
                Expr::col(campaign::Column::ForwardedCount)
                    .add(n_adding)
                    .lte(Expr::col(campaign::Column::AssociationQuota)),
            )
            .exec(txn)
            .await?;
        if res.rows_affected != 1 {
            return Err(ApiError::new(ErrorCode::QuotaExceeded));
        }
    }
    for n in adding {
        let before = serde_json::json!({"status": n.status, "consent": n.consent});
        let res = nomination::Entity::update_many()
            .col_expr(
                nomination::Column::Status,
                Expr::value(NominationStatus::Forwarded.as_str()),
            )
            .col_expr(
                nomination::Column::Version,
                Expr::col(nomination::Column::Version).add(1),
            )
            .col_expr(nomination::Column::ForwardedAt, Expr::value(now))
            .col_expr(nomination::Column::UpdatedAt, Expr::value(now))
            .filter(nomination::Column::Id.eq(n.id))
            .filter(nomination::Column::Status.eq(NominationStatus::Shortlisted.as_str()))
            .filter(nomination::Column::Consent.eq(true))
            .exec(txn)
            .await?;
        if res.rows_affected != 1 {
            return Err(
                ApiError::new(ErrorCode::Conflict).with_detail("推荐状态已变化，请刷新后重试。")
            );
        }
        audit::record(
            txn,
            now,
            Entry::by(
                p,
                Role::Secretariat,
                "nomination.forward",
                "nomination",
                n.id,
            ),
            Some(&before),
            Some(&serde_json::json!({"status": "forwarded"})),
        )
        .await?;
    }
    let forwarded = nomination::Entity::find()
        .filter(nomination::Column::CampaignId.eq(campaign_id))
        .filter(nomination::Column::Status.eq(NominationStatus::Forwarded.as_str()))
        .order_by_asc(nomination::Column::Id)
        .all(txn)
        .await?;
    let c = find_campaign(txn, campaign_id).await?;
    let names = district_names(txn).await?;
    Ok(ForwardResult {
        forwarded: forwarded.into_iter().map(|n| summary(n, &names)).collect(),
        forwarded_count: c.forwarded_count,
        association_quota: c.association_quota,
    })
}

/// The package of the forwarded nominees as a zip archive. A nominee who
/// withdrew their consent after forwarding is left out (PIPL). 409
/// `CONFLICT` when there is nothing to export.
pub async fn export(db: &impl ConnectionTrait, campaign_id: i64) -> ApiResult<Download> {
    let c = find_campaign(db, campaign_id).await?;
    let forwarded = nomination::Entity::find()
        .filter(nomination::Column::CampaignId.eq(c.id))
        .filter(nomination::Column::Status.eq(NominationStatus::Forwarded.as_str()))
        .filter(nomination::Column::Consent.eq(true))
        .order_by_asc(nomination::Column::Id)
        .all(db)
        .await?;
    if forwarded.is_empty() {
        return Err(ApiError::new(ErrorCode::Conflict)
            .with_detail("尚未报送任何候选人，没有可导出的材料。"));
    }
    let names = district_names(db).await?;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let zip_err = |e: zip::result::ZipError| ApiError::internal(e);
    for (i, n) in forwarded.iter().enumerate() {
        let district_name = names.get(&n.district_id).cloned().unwrap_or_default();
        let nominee = n
            .nominee_name
            .clone()
            .unwrap_or_else(|| format!("推荐{}", n.id));
        let folder = safe_name(&format!("{:02}-{}-{}", i + 1, district_name, nominee));
        let files = att::Entity::find()
            .filter(att::Column::NominationId.eq(n.id))
            .order_by_asc(att::Column::Kind)
            .order_by_asc(att::Column::Page)
            .all(db)
            .await?;
        let form = parse_form(n)?;
        let photo = match files.iter().find(|f| f.kind == "photo") {
            // The form-sized copy; the original is decoded only for a photo
            // stored before copies were kept.
            Some(f) => {
                let original = f.form_copy.is_none().then(|| f.data.clone());
                images::photo_for_form(f.form_copy.clone(), original).await?
            }
            None => None,
        };
        let docx = form_document(&c, &district_name, kind_of(n), &form, photo.as_ref())?;
        zip.start_file(
            format!("{folder}/{}-报名表.docx", safe_name(&nominee)),
            options,
        )
        .map_err(zip_err)?;
        zip.write_all(&docx).map_err(ApiError::internal)?;
        let scan_pages = files
            .iter()
            .filter(|f| f.kind == AttachmentKind::RegistrationScan.as_str())
            .count();
        for f in &files {
            let ext = rules::FileType::from_mime(&f.content_type)
                .map(rules::FileType::extension)
                .unwrap_or("bin");
            let name = package_file_name(&f.kind, f.page, scan_pages, ext);
            zip.start_file(format!("{folder}/{name}"), options)
                .map_err(zip_err)?;
            zip.write_all(&f.data).map_err(ApiError::internal)?;
        }
    }
    let bytes = zip.finish().map_err(zip_err)?.into_inner();
    Ok(Download {
        content_type: "application/zip".to_owned(),
        file_name: format!("{}-报送材料.zip", safe_name(&c.title)),
        fallback_name: format!("campaign-{}-export.zip", c.id),
        bytes,
    })
}

/// The name of an attachment in the package, in its kind's order: 一寸免冠照,
/// 荣誉证书1 and 荣誉证书2, and the stamped form's scan — one file as
/// 盖章报名表扫描件, several pages as 盖章报名表扫描件_第1页, _第2页, ….
fn package_file_name(kind: &str, page: i32, scan_pages: usize, ext: &str) -> String {
    match AttachmentKind::parse(kind) {
        Some(AttachmentKind::Photo) => format!("一寸免冠照.{ext}"),
        Some(AttachmentKind::Certificate) => format!("荣誉证书{page}.{ext}"),
        _ if scan_pages > 1 => format!("盖章报名表扫描件_第{page}页.{ext}"),
        _ => format!("盖章报名表扫描件.{ext}"),
    }
}
