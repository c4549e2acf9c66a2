//! Pictures among the attachments (issue 10, item 4): a small file declaring
//! a huge picture is refused (422 `IMAGE_TOO_LARGE`, nothing stored), and the
//! photo's form-sized copy made at upload is what `form.docx` and the export
//! package embed — so a form costs the memory of the form, not of the
//! original; photos stored before copies were kept still print.

use std::io::Read;

use association::entity::nomination_attachment as att;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, assert_problem, image_bytes, person_form, spawn_app};

/// A campaign, a lead and a person's draft.
async fn draft(app: &TestApp) -> (Session, Session, i64, i64) {
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    let id = app
        .draft(
            &lead,
            campaign,
            "person",
            person_form("王照片", "西南交通大学"),
        )
        .await;
    (admin, lead, campaign, id)
}

/// A PNG of one colour, `w` × `h`: a few KB whatever it declares.
fn one_colour_png(w: u32, h: u32) -> Vec<u8> {
    use image::ImageEncoder;
    let pixels = vec![200u8; (w * h) as usize];
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Default,
        image::codecs::png::FilterType::NoFilter,
    )
    .write_image(&pixels, w, h, image::ExtendedColorType::L8)
    .unwrap();
    out
}

/// A photo-like JPEG of `w` × `h` (gradients and stripes).
fn photo_jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x * 255 / w) as u8,
            (y * 255 / h) as u8,
            if (x / 16 + y / 16) % 2 == 0 { 60 } else { 190 },
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

/// A JPEG whose EXIF says "rotate 90° clockwise to view" (orientation 6),
/// as phones write a portrait photo.
fn jpeg_turned(w: u32, h: u32) -> Vec<u8> {
    let jpeg = photo_jpeg(w, h);
    let tiff: &[u8] = &[
        b'M', b'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF header, IFD at 8
        0, 1, // one entry
        0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, // Orientation, SHORT, 1, = 6
        0, 0, 0, 0, // no next IFD
    ];
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(tiff);
    let len = u16::try_from(app1.len() + 2).unwrap().to_be_bytes();
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1, len[0], len[1]]);
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn unzip(bytes: &[u8]) -> zip::ZipArchive<std::io::Cursor<Vec<u8>>> {
    zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a valid zip package")
}

fn read_entry(archive: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    archive
        .by_name(name)
        .unwrap_or_else(|_| panic!("{name} in the package"))
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// The pictures of a .docx package (`word/media/*`).
fn media_of(docx: &[u8]) -> Vec<Vec<u8>> {
    let mut pkg = unzip(docx);
    let names: Vec<String> = pkg
        .file_names()
        .filter(|n| n.starts_with("word/media/") && !n.ends_with('/'))
        .map(str::to_owned)
        .collect();
    names.iter().map(|n| read_entry(&mut pkg, n)).collect()
}

fn document_xml(docx: &[u8]) -> String {
    String::from_utf8(read_entry(&mut unzip(docx), "word/document.xml")).unwrap()
}

async fn form_docx(app: &TestApp, who: &Session, id: i64) -> Vec<u8> {
    let res = app
        .get_as(&format!("/api/v1/nominations/{id}/form.docx"), who)
        .await;
    assert_eq!(res.status(), 200);
    res.bytes().await.unwrap().to_vec()
}

/// The stored photo row of a nomination.
async fn stored_photo(app: &TestApp, id: i64) -> Option<att::Model> {
    att::Entity::find()
        .filter(att::Column::NominationId.eq(id))
        .filter(att::Column::Kind.eq("photo"))
        .one(&app.state.db)
        .await
        .unwrap()
}

/// A photo row as one stored before copies were kept.
async fn forget_copies(app: &TestApp) {
    app.state
        .db
        .execute_unprepared("UPDATE nomination_attachments SET form_copy = NULL")
        .await
        .unwrap();
}

/// The pictures of the form in the export package (one nominee).
async fn export_media(app: &TestApp, admin: &Session, campaign: i64) -> Vec<Vec<u8>> {
    let res = app
        .get_as(&format!("/api/v1/campaigns/{campaign}/export.zip"), admin)
        .await;
    assert_eq!(res.status(), 200);
    let mut zip = unzip(&res.bytes().await.unwrap());
    let form = zip
        .file_names()
        .find(|n| n.ends_with("-报名表.docx"))
        .unwrap()
        .to_owned();
    media_of(&read_entry(&mut zip, &form))
}

fn dimensions(png: &[u8]) -> (u32, u32) {
    let img = image::load_from_memory_with_format(png, image::ImageFormat::Png).unwrap();
    (img.width(), img.height())
}

#[tokio::test]
async fn a_small_png_declaring_8000_by_8000_pixels_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (_admin, lead, _campaign, id) = draft(&app).await;
    let before = image_bytes(image::ImageFormat::Png);
    let res = app
        .upload(&lead, id, "photo", "照片.png", "image/png", before.clone())
        .await;
    assert_eq!(res.status(), 201);
    let bomb = one_colour_png(8000, 8000);
    assert!(bomb.len() < 200 * 1024, "{} bytes", bomb.len());
    for kind in ["photo", "certificate", "registration_scan"] {
        let res = app
            .upload(&lead, id, kind, "大图.png", "image/png", bomb.clone())
            .await;
        let body = assert_problem(res, 422, "IMAGE_TOO_LARGE").await;
        assert_eq!(body["errors"][0]["pointer"], "/file", "{body}");
        assert_eq!(body["errors"][0]["code"], "image_too_large", "{body}");
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains("1600 万像素"), "{detail}");
        assert!(detail.contains("8000×8000"), "{detail}");
    }
    // Nothing stored: the earlier photo is still the one, and alone.
    let view: Value = app
        .get_as(&format!("/api/v1/nominations/{id}"), &lead)
        .await
        .json()
        .await
        .unwrap();
    let attachments = view["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1, "{view}");
    assert_eq!(attachments[0]["kind"], "photo");
    assert_eq!(stored_photo(&app, id).await.unwrap().data, before);
    // 16 megapixels is the bound: 4000 × 4000 passes as a scan.
    let res = app
        .upload(
            &lead,
            id,
            "certificate",
            "证书.png",
            "image/png",
            one_colour_png(4000, 4000),
        )
        .await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn the_form_embeds_the_form_sized_copy_made_at_upload() {
    let app = spawn_app().await;
    let (_admin, lead, _campaign, id) = draft(&app).await;
    let original = photo_jpeg(900, 1200);
    let res = app
        .upload(
            &lead,
            id,
            "photo",
            "照片.jpg",
            "image/jpeg",
            original.clone(),
        )
        .await;
    assert_eq!(res.status(), 201);
    let a: Value = res.json().await.unwrap();
    // The original is kept as uploaded, beside its copy.
    let row = stored_photo(&app, id).await.unwrap();
    assert_eq!(row.data, original);
    assert_eq!(a["size"], original.len());
    let copy = row.form_copy.expect("a form-sized copy");
    let (w, h) = dimensions(&copy);
    assert!(w <= 413 && h <= 579, "{w}×{h}");
    assert_eq!((w, h), (413, 551), "the aspect ratio is kept");
    let download = app
        .get_as(
            &format!("/api/v1/nominations/{id}/attachments/{}", a["id"]),
            &lead,
        )
        .await;
    assert_eq!(download.bytes().await.unwrap().to_vec(), original);

    let docx = form_docx(&app, &lead, id).await;
    assert!(document_xml(&docx).contains("<pic:pic"), "a picture");
    assert_eq!(media_of(&docx), vec![copy], "the copy is what is embedded");
}

#[tokio::test]
async fn a_photo_stored_without_a_copy_still_prints_decoded_under_the_limits() {
    let app = spawn_app().await;
    let (_admin, lead, _campaign, id) = draft(&app).await;
    let res = app
        .upload(
            &lead,
            id,
            "photo",
            "照片.jpg",
            "image/jpeg",
            photo_jpeg(900, 1200),
        )
        .await;
    assert_eq!(res.status(), 201);
    forget_copies(&app).await;
    assert!(stored_photo(&app, id).await.unwrap().form_copy.is_none());
    let docx = form_docx(&app, &lead, id).await;
    assert!(document_xml(&docx).contains("<pic:pic"), "a picture");
    let media = media_of(&docx);
    assert_eq!(media.len(), 1);
    let (w, h) = dimensions(&media[0]);
    assert!(w <= 413 && h <= 579, "{w}×{h}");

    // An oversized photo stored before the limit is left out of the form
    // (the placeholder), never decoded: the form still answers.
    let bomb = one_colour_png(8000, 8000);
    att::Entity::update_many()
        .col_expr(att::Column::Data, Expr::value(bomb))
        .filter(att::Column::NominationId.eq(id))
        .exec(&app.state.db)
        .await
        .unwrap();
    let docx = form_docx(&app, &lead, id).await;
    let xml = document_xml(&docx);
    assert!(!xml.contains("<pic:pic"), "no picture");
    assert!(xml.contains("一寸免冠照"), "the placeholder");
}

#[tokio::test]
async fn a_corrupt_photo_is_stored_as_before_and_the_form_shows_the_placeholder() {
    let app = spawn_app().await;
    let (_admin, lead, _campaign, id) = draft(&app).await;
    let png = image_bytes(image::ImageFormat::Png);
    let broken = png[..png.len() / 2].to_vec();
    let res = app
        .upload(&lead, id, "photo", "照片.png", "image/png", broken.clone())
        .await;
    assert_eq!(res.status(), 201);
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["content_type"], "image/png");
    let row = stored_photo(&app, id).await.unwrap();
    assert_eq!(row.data, broken);
    assert!(row.form_copy.is_none());
    let docx = form_docx(&app, &lead, id).await;
    let xml = document_xml(&docx);
    assert!(!xml.contains("<pic:pic"), "no picture");
    assert!(xml.contains("一寸免冠照"), "the placeholder");
}

#[tokio::test]
async fn a_phone_photo_is_printed_upright() {
    let app = spawn_app().await;
    let (_admin, lead, _campaign, id) = draft(&app).await;
    // Stored 600 × 450, viewed 450 × 600 (EXIF orientation 6).
    let res = app
        .upload(
            &lead,
            id,
            "photo",
            "IMG_0001.jpg",
            "image/jpeg",
            jpeg_turned(600, 450),
        )
        .await;
    assert_eq!(res.status(), 201);
    let docx = form_docx(&app, &lead, id).await;
    let media = media_of(&docx);
    assert_eq!(media.len(), 1);
    assert_eq!(dimensions(&media[0]), (413, 551));
}

#[tokio::test]
async fn the_export_package_embeds_the_copy_too() {
    let app = spawn_app().await;
    let (admin, lead, campaign, _) = draft(&app).await;
    let id = app.complete_draft(&lead, campaign, "周照片").await;
    // The photo of the complete draft replaced by a larger one.
    let view: serde_json::Value = app
        .get_as(&format!("/api/v1/nominations/{id}"), &lead)
        .await
        .json()
        .await
        .unwrap();
    let photo = view["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "photo")
        .unwrap()["id"]
        .clone();
    let part = reqwest::multipart::Part::bytes(photo_jpeg(900, 1200)).file_name("照片.jpg");
    let res = app
        .authed(
            reqwest::Method::PUT,
            &format!("/api/v1/nominations/{id}/attachments/{photo}"),
            &lead,
        )
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.submit_nomination(&lead, id).await.status(), 200);
    app.review_nomination(&admin, id, "shortlist", None).await;
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{campaign}/forward"),
            &admin,
            &json!({"nomination_ids": [id]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let copy = stored_photo(&app, id).await.unwrap().form_copy.unwrap();
    assert_eq!(export_media(&app, &admin, campaign).await, vec![copy]);
    forget_copies(&app).await;
    let media = export_media(&app, &admin, campaign).await;
    assert_eq!(media.len(), 1);
    let (w, h) = dimensions(&media[0]);
    assert!(w <= 413 && h <= 579, "{w}×{h}");
}
