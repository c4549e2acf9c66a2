//! The filled registration form (附件二) as a Word document, to print,
//! stamp and scan, with the photo embedded when uploaded — its form-sized
//! copy, so a form costs the memory of the form, not of the original. The
//! layout itself is in `registration_form`.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::access::principal::Principal;
use crate::entity::{campaign, nomination_attachment as att};
use crate::nominations::images::{self, FormPhoto};
use crate::nominations::lookup::{district_name, find_campaign, nomination_to_read};
use crate::nominations::model::{Download, kind_of, parse_form, safe_name};
use crate::nominations::registration_form::{self, FormDocument};
use crate::nominations::rules::{AttachmentKind, NomineeKind, RegistrationForm};
use crate::platform::error::{ApiError, ApiResult};

/// The media type of a `.docx`.
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// The form of nomination `id` (the lead of its district and the secretariat).
pub async fn docx(db: &impl ConnectionTrait, p: &Principal, id: i64) -> ApiResult<Download> {
    let n = nomination_to_read(db, p, id).await?;
    let c = find_campaign(db, n.campaign_id).await?;
    let district_name = district_name(db, n.district_id).await?;
    let photo = form_photo(db, n.id).await?;
    let form = parse_form(&n)?;
    let bytes = form_document(&c, &district_name, kind_of(&n), &form, photo.as_ref())?;
    let nominee = n
        .nominee_name
        .clone()
        .unwrap_or_else(|| format!("推荐{}", n.id));
    Ok(Download {
        content_type: DOCX.to_owned(),
        file_name: format!("{}-报名表.docx", safe_name(&nominee)),
        fallback_name: format!("nomination-{}-form.docx", n.id),
        bytes,
    })
}

/// The photo of nomination `nomination_id` as the form embeds it: the copy
/// made at upload — the original is not even read — or, for a photo stored
/// before copies were kept, the original decoded under the same limits.
async fn form_photo(db: &impl ConnectionTrait, nomination_id: i64) -> ApiResult<Option<FormPhoto>> {
    let photo = || {
        att::Entity::find()
            .filter(att::Column::NominationId.eq(nomination_id))
            .filter(att::Column::Kind.eq(AttachmentKind::Photo.as_str()))
            .select_only()
    };
    let copy: Option<Option<Vec<u8>>> = photo()
        .column(att::Column::FormCopy)
        .into_tuple()
        .one(db)
        .await?;
    let copy = match copy {
        None => return Ok(None),
        Some(Some(copy)) => Some(copy),
        Some(None) => None,
    };
    let original: Option<Vec<u8>> = if copy.is_none() {
        photo()
            .column(att::Column::Data)
            .into_tuple()
            .one(db)
            .await?
    } else {
        None
    };
    images::photo_for_form(copy, original).await
}

/// The `.docx` of a registration form filed in campaign `c` by a district.
pub(crate) fn form_document(
    c: &campaign::Model,
    district_name: &str,
    kind: NomineeKind,
    form: &RegistrationForm,
    photo: Option<&FormPhoto>,
) -> ApiResult<Vec<u8>> {
    registration_form::render(&FormDocument {
        campaign_title: &c.title,
        district_name,
        kind,
        form,
        photo,
    })
    .map_err(ApiError::internal)
}
