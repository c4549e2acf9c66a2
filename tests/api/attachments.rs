//! Attachments (the one-inch photo, the honour certificates, the stamped
//! form's scan), the Word form of 附件二, and the export of the forwarded
//! nominees' package.

use std::io::Read;

use association::access::roles::Role;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, assert_problem, image_bytes, pdf_bytes, person_form, spawn_app, team_form,
};

async fn setup(app: &TestApp) -> (crate::helpers::Session, i64, crate::helpers::Session, i64) {
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    let id = app
        .draft(
            &lead,
            campaign,
            "person",
            person_form("刘照片", "四川农业大学"),
        )
        .await;
    (admin, campaign, lead, id)
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

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

/// The nomination's attachments as its view lists them.
async fn attachments_of(app: &TestApp, who: &crate::helpers::Session, id: i64) -> Vec<Value> {
    let view: Value = app
        .get_as(&format!("/api/v1/nominations/{id}"), who)
        .await
        .json()
        .await
        .unwrap();
    view["attachments"].as_array().unwrap().clone()
}

/// `PUT /nominations/{id}/attachments/{attachment_id}` with the one part `file`.
async fn replace(
    app: &TestApp,
    who: &crate::helpers::Session,
    id: i64,
    attachment_id: &Value,
    file_name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned());
    app.authed(
        reqwest::Method::PUT,
        &format!("/api/v1/nominations/{id}/attachments/{attachment_id}"),
        who,
    )
    .multipart(reqwest::multipart::Form::new().part("file", part))
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn a_file_named_jpg_that_is_a_pdf_is_refused_as_a_photo() {
    let app = spawn_app().await;
    let (_admin, _campaign, lead, id) = setup(&app).await;
    let res = app
        .upload(&lead, id, "photo", "照片.jpg", "image/jpeg", pdf_bytes())
        .await;
    let body = assert_problem(res, 415, "UNSUPPORTED_MEDIA_TYPE").await;
    assert!(body["detail"].as_str().unwrap().contains("PDF"), "{body}");
    // A PNG named .pdf is a photo all the same, stored as image/png.
    let res = app
        .upload(
            &lead,
            id,
            "photo",
            "scan.pdf",
            "application/pdf",
            image_bytes(image::ImageFormat::Png),
        )
        .await;
    assert_eq!(res.status(), 201);
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["content_type"], "image/png");
    assert_eq!(a["file_name"], "scan.png");
    // Text is no scan either.
    let res = app
        .upload(
            &lead,
            id,
            "certificate",
            "证书.pdf",
            "application/pdf",
            b"hello".to_vec(),
        )
        .await;
    assert_problem(res, 415, "UNSUPPORTED_MEDIA_TYPE").await;
}

#[tokio::test]
async fn an_oversized_upload_is_413() {
    let app = spawn_app().await;
    let (_admin, _campaign, lead, id) = setup(&app).await;
    let mut big = image_bytes(image::ImageFormat::Png);
    big.resize(2 * 1024 * 1024 + 1, 0);
    let res = app
        .upload(&lead, id, "photo", "big.png", "image/png", big.clone())
        .await;
    let body = assert_problem(res, 413, "PAYLOAD_TOO_LARGE").await;
    assert!(body["detail"].as_str().unwrap().contains("2 MB"), "{body}");
    // The same size is fine for a certificate scan (10 MB).
    let res = app
        .upload(&lead, id, "certificate", "big.png", "image/png", big)
        .await;
    assert_eq!(res.status(), 201);
    let mut huge = pdf_bytes();
    huge.resize(10 * 1024 * 1024 + 1, b' ');
    let res = app
        .upload(
            &lead,
            id,
            "registration_scan",
            "huge.pdf",
            "application/pdf",
            huge,
        )
        .await;
    assert_problem(res, 413, "PAYLOAD_TOO_LARGE").await;
    let view: Value = app
        .get_as(&format!("/api/v1/nominations/{id}"), &lead)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["attachments"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_bad_multipart_body_or_kind_is_refused() {
    let app = spawn_app().await;
    let (_admin, _campaign, lead, id) = setup(&app).await;
    let res = app
        .upload(
            &lead,
            id,
            "selfie",
            "a.png",
            "image/png",
            image_bytes(image::ImageFormat::Png),
        )
        .await;
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/kind");
    let res = app
        .post_as(
            &format!("/api/v1/nominations/{id}/attachments"),
            &lead,
            &json!({"kind": "photo"}),
        )
        .await;
    assert_problem(res, 415, "UNSUPPORTED_MEDIA_TYPE").await;
}

#[tokio::test]
async fn at_most_two_certificates_and_a_team_has_no_photo() {
    let app = spawn_app().await;
    let (admin, campaign, lead, id) = setup(&app).await;
    for page in 1..=2 {
        let res = app
            .upload(
                &lead,
                id,
                "certificate",
                "c.pdf",
                "application/pdf",
                pdf_bytes(),
            )
            .await;
        assert_eq!(res.status(), 201);
        assert_eq!(json_of(res).await["page"], page);
    }
    let res = app
        .upload(
            &lead,
            id,
            "certificate",
            "c.pdf",
            "application/pdf",
            pdf_bytes(),
        )
        .await;
    let body = assert_problem(res, 409, "CONFLICT").await;
    assert_eq!(body["maximum"], 2);
    assert_eq!(attachments_of(&app, &lead, id).await.len(), 2);

    let (_d, team_lead) = app.district_with_lead(&admin).await;
    let team = app
        .draft(
            &team_lead,
            campaign,
            "team",
            team_form("保洁团队", "四川轻化工大学"),
        )
        .await;
    let res = app
        .upload(
            &team_lead,
            team,
            "photo",
            "p.png",
            "image/png",
            image_bytes(image::ImageFormat::Png),
        )
        .await;
    assert_problem(res, 422, "VALIDATION_FAILED").await;
}

/// Issue 13 item 6: an upload never replaces silently. A second photo is
/// 409 `ATTACHMENT_EXISTS` naming the first, which stays; replacing it is
/// `PUT …/attachments/{attachment_id}`, which keeps its id and page.
#[tokio::test]
async fn a_second_photo_is_refused_naming_the_first_and_replacing_it_keeps_its_id_and_page() {
    let app = spawn_app().await;
    let (_admin, _campaign, lead, id) = setup(&app).await;
    let first = json_of(
        app.upload(
            &lead,
            id,
            "photo",
            "p.png",
            "image/png",
            image_bytes(image::ImageFormat::Png),
        )
        .await,
    )
    .await;
    assert_eq!(first["page"], 1);
    let res = app
        .upload(
            &lead,
            id,
            "photo",
            "p.jpg",
            "image/jpeg",
            image_bytes(image::ImageFormat::Jpeg),
        )
        .await;
    let body = assert_problem(res, 409, "ATTACHMENT_EXISTS").await;
    assert_eq!(body["existing_attachment_id"], first["id"]);
    let stored = attachments_of(&app, &lead, id).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["content_type"], "image/png");

    let jpeg = image_bytes(image::ImageFormat::Jpeg);
    let res = replace(&app, &lead, id, &first["id"], "新照片.jpg", jpeg.clone()).await;
    assert_eq!(res.status(), 200);
    let replaced = json_of(res).await;
    assert_eq!(replaced["id"], first["id"]);
    assert_eq!(replaced["page"], 1);
    assert_eq!(replaced["kind"], "photo");
    assert_eq!(replaced["content_type"], "image/jpeg");
    assert_eq!(replaced["file_name"], "新照片.jpg");
    let got = app
        .get_as(
            &format!("/api/v1/nominations/{id}/attachments/{}", first["id"]),
            &lead,
        )
        .await;
    assert_eq!(got.headers()["content-type"], "image/jpeg");
    assert_eq!(got.bytes().await.unwrap().to_vec(), jpeg);
    // The kind's rules hold for the new file: a PDF is no photo.
    let res = replace(&app, &lead, id, &first["id"], "p.pdf", pdf_bytes()).await;
    assert_problem(res, 415, "UNSUPPORTED_MEDIA_TYPE").await;
    assert_eq!(attachments_of(&app, &lead, id).await.len(), 1);
}

/// Issue 13 item 6: the stamped form's scan may be several pages — up to 10
/// images, listed and exported in order — or one PDF standing alone.
#[tokio::test]
async fn a_stamped_scan_takes_up_to_ten_image_pages_in_order_or_one_pdf() {
    let app = spawn_app().await;
    let (_admin, _campaign, lead, id) = setup(&app).await;
    let scan = |name: &str, bytes: Vec<u8>| {
        let (app, lead, name) = (&app, &lead, name.to_owned());
        async move {
            app.upload(
                lead,
                id,
                "registration_scan",
                &name,
                "application/octet-stream",
                bytes,
            )
            .await
        }
    };
    for page in 1..=10 {
        let format = if page % 2 == 0 {
            image::ImageFormat::Png
        } else {
            image::ImageFormat::Jpeg
        };
        let res = scan(&format!("第{page}页"), image_bytes(format)).await;
        assert_eq!(res.status(), 201, "page {page}");
        assert_eq!(json_of(res).await["page"], page);
    }
    let res = scan("第11页", image_bytes(image::ImageFormat::Jpeg)).await;
    let body = assert_problem(res, 409, "CONFLICT").await;
    assert_eq!(body["maximum"], 10);
    // A PDF does not join pages that are images.
    let res = scan("全部.pdf", pdf_bytes()).await;
    let body = assert_problem(res, 409, "CONFLICT").await;
    assert_eq!(body["maximum"], 1);
    let pages: Vec<i64> = attachments_of(&app, &lead, id)
        .await
        .iter()
        .map(|a| a["page"].as_i64().unwrap())
        .collect();
    assert_eq!(pages, (1..=10).collect::<Vec<_>>());
    // Nor does a PDF replace one page among them.
    let third = attachments_of(&app, &lead, id).await[2]["id"].clone();
    let res = replace(&app, &lead, id, &third, "p.pdf", pdf_bytes()).await;
    let body = assert_problem(res, 409, "CONFLICT").await;
    assert_eq!(body["maximum"], 1);

    // Deleting a page moves the later ones up: the pages stay 1..n.
    let res = app
        .authed(
            reqwest::Method::DELETE,
            &format!("/api/v1/nominations/{id}/attachments/{third}"),
            &lead,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let after = attachments_of(&app, &lead, id).await;
    let pages: Vec<i64> = after.iter().map(|a| a["page"].as_i64().unwrap()).collect();
    assert_eq!(pages, (1..=9).collect::<Vec<_>>());
    assert_eq!(after[2]["file_name"], "第4页.png");
    let res = scan("第10页", image_bytes(image::ImageFormat::Png)).await;
    assert_eq!(json_of(res).await["page"], 10);

    // One PDF is the whole scan: nothing joins it.
    let (_admin2, _c, lead2, id2) = {
        let admin = app.secretariat().await;
        let campaign = app.seed_campaign(&admin).await;
        let (_d, lead) = app.district_with_lead(&admin).await;
        let id = app
            .draft(&lead, campaign, "person", person_form("周扫描", "成都大学"))
            .await;
        (admin, campaign, lead, id)
    };
    let res = app
        .upload(
            &lead2,
            id2,
            "registration_scan",
            "报名表.pdf",
            "application/pdf",
            pdf_bytes(),
        )
        .await;
    assert_eq!(res.status(), 201);
    let pdf = json_of(res).await;
    let res = app
        .upload(
            &lead2,
            id2,
            "registration_scan",
            "第2页.jpg",
            "image/jpeg",
            image_bytes(image::ImageFormat::Jpeg),
        )
        .await;
    let body = assert_problem(res, 409, "CONFLICT").await;
    assert_eq!(body["maximum"], 1);
    // A PDF alone is replaced by a PDF or by an image.
    let res = replace(&app, &lead2, id2, &pdf["id"], "新.pdf", pdf_bytes()).await;
    assert_eq!(res.status(), 200);
    let res = replace(
        &app,
        &lead2,
        id2,
        &pdf["id"],
        "第1页.png",
        image_bytes(image::ImageFormat::Png),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(json_of(res).await["page"], 1);
}

/// Replacing a file is filing: the lead of the nomination's district, on a
/// draft, before the deadline; the body is the one part `file`.
#[tokio::test]
async fn replacing_an_attachment_is_for_the_lead_of_a_draft_before_the_deadline() {
    let app = spawn_app().await;
    let (admin, _campaign, lead, id) = setup(&app).await;
    app.upload_all(&lead, id, true).await;
    let scan = attachments_of(&app, &lead, id)
        .await
        .into_iter()
        .find(|a| a["kind"] == "registration_scan")
        .unwrap();
    let jpeg = || image_bytes(image::ImageFormat::Jpeg);
    let res = replace(&app, &admin, id, &scan["id"], "s.jpg", jpeg()).await;
    assert_problem(res, 403, "FORBIDDEN").await;
    let (_d, other_lead) = app.district_with_lead(&admin).await;
    let res = replace(&app, &other_lead, id, &scan["id"], "s.jpg", jpeg()).await;
    assert_problem(res, 403, "FORBIDDEN").await;
    let res = replace(&app, &lead, id, &json!(999_999), "s.jpg", jpeg()).await;
    assert_problem(res, 404, "NOT_FOUND").await;
    // `kind` belongs to the upload, not to a replacement.
    let part = reqwest::multipart::Part::bytes(jpeg()).file_name("s.jpg");
    let res = app
        .authed(
            reqwest::Method::PUT,
            &format!("/api/v1/nominations/{id}/attachments/{}", scan["id"]),
            &lead,
        )
        .multipart(
            reqwest::multipart::Form::new()
                .text("kind", "photo")
                .part("file", part),
        )
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/kind");
    assert_eq!(body["errors"][0]["code"], "unknown");
    assert_eq!(app.submit_nomination(&lead, id).await.status(), 200);
    let res = replace(&app, &lead, id, &scan["id"], "s.jpg", jpeg()).await;
    assert_problem(res, 409, "CONFLICT").await;
    let res = app
        .post_as(
            &format!("/api/v1/nominations/{id}/withdraw"),
            &lead,
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    app.clock.set(crate::helpers::china("2021-11-04T00:00:00"));
    let lead = app.refreshed(&lead).await;
    let res = replace(&app, &lead, id, &scan["id"], "s.jpg", jpeg()).await;
    assert_problem(res, 409, "DEADLINE_PASSED").await;
}

/// The upload's form has the parts `kind` and `file` and nothing else
/// (`additionalProperties: false` in the spec): another part, or one sent
/// twice, is 422 naming it, as an unknown field of a JSON body is; an empty
/// file is 422 at `/file` (`minLength: 1`). Nothing is stored.
#[tokio::test]
async fn an_upload_with_another_part_a_repeated_part_or_an_empty_file_is_422() {
    let app = spawn_app().await;
    let (_admin, _campaign, lead, id) = setup(&app).await;
    let post = |form: reqwest::multipart::Form| {
        app.authed(
            reqwest::Method::POST,
            &format!("/api/v1/nominations/{id}/attachments"),
            &lead,
        )
        .multipart(form)
        .send()
    };
    let pdf = || reqwest::multipart::Part::bytes(pdf_bytes()).file_name("c.pdf");
    let res = post(
        reqwest::multipart::Form::new()
            .text("kind", "certificate")
            .text("note", "第二页")
            .part("file", pdf()),
    )
    .await
    .unwrap();
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/note");
    assert_eq!(body["errors"][0]["code"], "unknown");
    let res = post(
        reqwest::multipart::Form::new()
            .text("kind", "certificate")
            .part("file", pdf())
            .part("file", pdf()),
    )
    .await
    .unwrap();
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/file");
    assert_eq!(body["errors"][0]["code"], "duplicate");
    let res = post(
        reqwest::multipart::Form::new()
            .text("kind", "certificate")
            .part(
                "file",
                reqwest::multipart::Part::bytes(Vec::new()).file_name("c.pdf"),
            ),
    )
    .await
    .unwrap();
    let body = assert_problem(res, 422, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["pointer"], "/file");
    assert_eq!(body["errors"][0]["code"], "required");
    assert!(attachments_of(&app, &lead, id).await.is_empty());
}

#[tokio::test]
async fn attachments_are_read_by_the_lead_and_the_secretariat_only_with_the_sniffed_type() {
    let app = spawn_app().await;
    let (admin, _campaign, lead, id) = setup(&app).await;
    let png = image_bytes(image::ImageFormat::Png);
    let res = app
        .upload(&lead, id, "photo", "证件照.jpg", "image/jpeg", png.clone())
        .await;
    let a: Value = res.json().await.unwrap();
    let path = format!("/api/v1/nominations/{id}/attachments/{}", a["id"]);
    for who in [&lead, &admin] {
        let res = app.get_as(&path, who).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/png");
        let cd = res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(cd.starts_with("attachment"), "{cd}");
        assert!(cd.contains("filename*=UTF-8''"), "{cd}");
        assert_eq!(res.bytes().await.unwrap().to_vec(), png);
    }
    let council = app.member_with(Role::Council, None, None).await;
    assert_problem(app.get_as(&path, &council).await, 403, "FORBIDDEN").await;
    let (_d, other_lead) = app.district_with_lead(&admin).await;
    assert_problem(app.get_as(&path, &other_lead).await, 403, "FORBIDDEN").await;
    assert_problem(app.get(&path).await, 401, "UNAUTHENTICATED").await;
    let res = app
        .get_as(
            &format!("/api/v1/nominations/{id}/attachments/999999"),
            &lead,
        )
        .await;
    assert_problem(res, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn deleting_an_attachment_is_for_the_lead_of_a_draft_before_the_deadline() {
    let app = spawn_app().await;
    let (admin, _campaign, lead, id) = setup(&app).await;
    app.upload_all(&lead, id, true).await;
    let view: Value = app
        .get_as(&format!("/api/v1/nominations/{id}"), &lead)
        .await
        .json()
        .await
        .unwrap();
    let first = view["attachments"][0]["id"].as_i64().unwrap();
    let second = view["attachments"][1]["id"].as_i64().unwrap();
    let path = |a: i64| format!("/api/v1/nominations/{id}/attachments/{a}");
    let res = app
        .authed(reqwest::Method::DELETE, &path(first), &admin)
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, "FORBIDDEN").await;
    let res = app
        .authed(reqwest::Method::DELETE, &path(first), &lead)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(app.get_as(&path(first), &lead).await, 404, "NOT_FOUND").await;
    app.clock.set(crate::helpers::china("2021-11-04T00:00:00"));
    let lead = app.refreshed(&lead).await;
    let res = app
        .authed(reqwest::Method::DELETE, &path(second), &lead)
        .send()
        .await
        .unwrap();
    assert_problem(res, 409, "DEADLINE_PASSED").await;
}

#[tokio::test]
async fn the_form_docx_contains_the_fields() {
    let app = spawn_app().await;
    let (admin, _campaign, lead, id) = setup(&app).await;
    app.upload_all(&lead, id, true).await;
    let res = app
        .get_as(&format!("/api/v1/nominations/{id}/form.docx"), &lead)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let bytes = res.bytes().await.unwrap();
    if let Ok(dir) = std::env::var("DUMP_DOCX_DIR") {
        std::fs::write(format!("{dir}/form.docx"), &bytes).unwrap();
    }
    // It reads back as a Word document.
    assert!(docx_rs::read_docx(&bytes).is_ok(), "a readable docx");
    let mut pkg = unzip(&bytes);
    for part in [
        "[Content_Types].xml",
        "_rels/.rels",
        "word/document.xml",
        "word/styles.xml",
    ] {
        assert!(pkg.by_name(part).is_ok(), "{part} in the package");
    }
    let xml = String::from_utf8(read_entry(&mut pkg, "word/document.xml")).unwrap();
    for text in [
        "全国教育后勤系统“2021年度最美后勤人” 推举活动报名表",
        "推荐单位",
        "姓名",
        "刘照片",
        "性别",
        "民族",
        "彝族",
        "年龄",
        "45",
        "政治面貌",
        "中共党员",
        "联系电话",
        "13812346978",
        "邮箱",
        "nominee@example.com",
        "单位名称",
        "四川农业大学后勤保障处饮食服务中心",
        "职务/职称",
        "通讯地址",
        "邮编",
        "610065",
        "申报人单位意见",
        "同意推荐。",
        "（盖章）",
        "事迹材料",
        "她扎根后勤一线二十年",
        "曾获表彰",
        "四川省教育后勤先进个人",
        "敬业美",
    ] {
        assert!(xml.contains(text), "{text} in word/document.xml");
    }
    // The photo is embedded as a picture of the package.
    assert!(xml.contains("<pic:pic"), "a picture in the document");
    let media = (0..pkg.len())
        .filter(|i| pkg.by_index(*i).unwrap().name().starts_with("word/media/"))
        .count();
    assert!(media >= 1, "the photo in word/media/");
    let rels = String::from_utf8(read_entry(&mut pkg, "word/_rels/document.xml.rels")).unwrap();
    assert!(rels.contains("media/"), "{rels}");
    // The secretariat reads it too; council does not.
    assert_eq!(
        app.get_as(&format!("/api/v1/nominations/{id}/form.docx"), &admin)
            .await
            .status(),
        200
    );
    let council = app.member_with(Role::Council, None, None).await;
    let res = app
        .get_as(&format!("/api/v1/nominations/{id}/form.docx"), &council)
        .await;
    assert_problem(res, 403, "FORBIDDEN").await;
}

/// Issue 13 item 4: form.docx is laid out like 附件二 — its 特别说明 block
/// verbatim, the organising committee's address and contacts as seed 002
/// gives them, the frontline row, and a stamp cell of at least 4.5 cm
/// (2552 twips) for a 4.2 cm official stamp.
#[tokio::test]
async fn the_form_docx_has_the_special_notes_the_committee_address_frontline_and_a_tall_stamp_cell()
{
    let app = spawn_app().await;
    let (_admin, _campaign, lead, id) = setup(&app).await;
    let bytes = app
        .get_as(&format!("/api/v1/nominations/{id}/form.docx"), &lead)
        .await
        .bytes()
        .await
        .unwrap();
    if let Ok(dir) = std::env::var("DUMP_DOCX_DIR") {
        std::fs::write(format!("{dir}/form-notes.docx"), &bytes).unwrap();
    }
    let xml = String::from_utf8(read_entry(&mut unzip(&bytes), "word/document.xml")).unwrap();
    for text in [
        "特别说明",
        "一、申报人须在中国教育后勤协会官网(www.chinacacm.org)《全国教育后勤系统“2021年度最美后勤人”推举活动》专题页面中,认真如实填写报名页面中相关内容。",
        "二、“2021年度最美后勤人事迹材料”、“曾获各级各类媒体平台表彰与奖励情况”两项内容填写均以线上填报信息为准。",
        "三、《全国教育后勤系统“2021年度最美后勤人”推举活动报名表》需加盖单位公章,并附两份最高荣誉证书扫描件,按要求上传至专题页面。",
        "四、线上报名表与提交材料截止日期:2021年12月10日。",
        "五、已经获得协会通报表扬的“全国教育后勤系统‘2020年度感动人物’的个人与集体”,不再参与“2021年度最美后勤人”的推举活动。",
        "评选活动组委会地址:北京市海淀区中关村大街59号中国人民大学国际文化交流中心105室",
        "协会秘书处:黄粤涛 13911210869",
        "项目负责人:王清埃 13718918500、宋宇 15210889396",
    ] {
        assert!(xml.contains(text), "{text} in word/document.xml");
    }
    // The frontline row: the question, the answer and the post.
    let frontline = table_row_with(&xml, "是否一线员工");
    assert!(frontline.contains(">是<"), "{frontline}");
    assert!(frontline.contains("一线岗位"), "{frontline}");
    assert!(frontline.contains("学生食堂面点师"), "{frontline}");
    // The stamp row is at least 4.5 cm tall.
    let stamp = table_row_with(&xml, "（盖章）");
    let height: u32 = stamp
        .split("<w:trHeight w:val=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a row height in {stamp}"));
    assert!(height >= 2552, "the stamp row is {height} twips");
    assert!(stamp.contains("w:hRule=\"atLeast\""), "{stamp}");
}

/// The `<w:tr>` element of document.xml that contains `text`.
fn table_row_with<'a>(xml: &'a str, text: &str) -> &'a str {
    xml.split("<w:tr>")
        .skip(1)
        .map(|row| row.split("</w:tr>").next().unwrap_or(row))
        .find(|row| row.contains(text))
        .unwrap_or_else(|| panic!("a table row with {text}"))
}

#[tokio::test]
async fn a_team_form_docx_shows_the_team() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    let id = app
        .draft(
            &lead,
            campaign,
            "team",
            team_form("宿管服务团队", "宜宾学院"),
        )
        .await;
    let bytes = app
        .get_as(&format!("/api/v1/nominations/{id}/form.docx"), &lead)
        .await
        .bytes()
        .await
        .unwrap();
    let xml = String::from_utf8(read_entry(&mut unzip(&bytes), "word/document.xml")).unwrap();
    for text in [
        "团队名称",
        "宿管服务团队",
        "团队人数",
        "36",
        "联系人",
        "王清",
        "13718918500",
        "最美服务团队",
        "四川日报",
        "是否一线团队",
        "学生公寓管理服务",
    ] {
        assert!(xml.contains(text), "{text} in word/document.xml");
    }
}

#[tokio::test]
async fn the_export_zip_holds_the_forwarded_packages() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let res = app
        .get_as(&format!("/api/v1/campaigns/{campaign}/export.zip"), &admin)
        .await;
    assert_problem(res, 409, "CONFLICT").await;
    let mut ids = Vec::new();
    let mut leads = Vec::new();
    for name in ["钱报送", "孙报送", "李留下"] {
        let (_d, lead) = app.district_with_lead(&admin).await;
        let id = app.complete_draft(&lead, campaign, name).await;
        assert_eq!(app.submit_nomination(&lead, id).await.status(), 200);
        app.review_nomination(&admin, id, "shortlist", None).await;
        ids.push(id);
        leads.push(lead);
    }
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{campaign}/forward"),
            &admin,
            &json!({"nomination_ids": [ids[0], ids[1]]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .get_as(&format!("/api/v1/campaigns/{campaign}/export.zip"), &admin)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let bytes = res.bytes().await.unwrap();
    let mut archive = unzip(&bytes);
    let names: Vec<String> = (0..archive.len())
        .map(|i| archive.by_index(i).unwrap().name().to_owned())
        .collect();
    assert_eq!(names.len(), 8, "{names:?}");
    for nominee in ["钱报送", "孙报送"] {
        let of = |suffix: &str| {
            names
                .iter()
                .any(|n| n.contains(nominee) && n.ends_with(suffix))
        };
        assert!(of("-报名表.docx"), "{nominee} form in {names:?}");
        assert!(of("一寸免冠照.png"), "{nominee} photo in {names:?}");
        assert!(of("荣誉证书1.pdf"), "{nominee} certificate in {names:?}");
        assert!(of("盖章报名表扫描件.jpg"), "{nominee} scan in {names:?}");
    }
    assert!(!names.iter().any(|n| n.contains("李留下")), "{names:?}");
    let form = names
        .iter()
        .find(|n| n.contains("钱报送") && n.ends_with(".docx"))
        .unwrap()
        .clone();
    let docx = read_entry(&mut archive, &form);
    let xml = String::from_utf8(read_entry(&mut unzip(&docx), "word/document.xml")).unwrap();
    assert!(xml.contains("钱报送"));
    // A nominee who withdraws consent after forwarding leaves the package.
    let etag = app.etag_of(&leads[1], ids[1]).await;
    let res = app
        .patch_form(&leads[1], ids[1], Some(&etag), json!({"consent": false}))
        .await;
    assert_eq!(res.status(), 200);
    let bytes = app
        .get_as(&format!("/api/v1/campaigns/{campaign}/export.zip"), &admin)
        .await
        .bytes()
        .await
        .unwrap();
    let archive = unzip(&bytes);
    assert_eq!(archive.len(), 4);
    assert!(archive.file_names().all(|n| n.contains("钱报送")));
    // Secretariat only.
    let (_d, lead) = app.district_with_lead(&admin).await;
    let res = app
        .get_as(&format!("/api/v1/campaigns/{campaign}/export.zip"), &lead)
        .await;
    assert_problem(res, 403, "FORBIDDEN").await;
}

/// The export package names the pages of a scan in order
/// (`盖章报名表扫描件_第1页.jpg`, `_第2页.png`), the certificates 1 and 2.
#[tokio::test]
async fn the_export_names_the_scan_pages_in_order() {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let campaign = app.seed_campaign(&admin).await;
    let (_d, lead) = app.district_with_lead(&admin).await;
    let id = app.complete_draft(&lead, campaign, "吴两页").await;
    let second = image_bytes(image::ImageFormat::Png);
    let res = app
        .upload(
            &lead,
            id,
            "registration_scan",
            "第二页.png",
            "image/png",
            second.clone(),
        )
        .await;
    assert_eq!(json_of(res).await["page"], 2);
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
    let bytes = app
        .get_as(&format!("/api/v1/campaigns/{campaign}/export.zip"), &admin)
        .await
        .bytes()
        .await
        .unwrap();
    let mut archive = unzip(&bytes);
    let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
    let scans: Vec<&String> = names
        .iter()
        .filter(|n| n.contains("盖章报名表扫描件"))
        .collect();
    assert_eq!(scans.len(), 2, "{names:?}");
    assert!(
        scans[0].ends_with("盖章报名表扫描件_第1页.jpg"),
        "{names:?}"
    );
    assert!(
        scans[1].ends_with("盖章报名表扫描件_第2页.png"),
        "{names:?}"
    );
    let page2 = scans[1].clone();
    assert_eq!(read_entry(&mut archive, &page2), second);
    assert!(
        names.iter().any(|n| n.ends_with("荣誉证书1.pdf")),
        "{names:?}"
    );
}
