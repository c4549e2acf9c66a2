//! The filled registration form (附件二 "推举活动报名表") as a Word document,
//! to print, stamp (加盖单位公章) and scan: "《……推举活动报名表》需加盖单位公章,
//! 并附两份最高荣誉证书扫描件". Laid out like 附件二: the title line, 推荐单位,
//! a table (姓名, 性别, 一寸免冠照, 民族, 年龄, 政治面貌, 联系电话, 邮箱,
//! 单位名称, 职务/职称, 通讯地址, 邮编, 申报人单位意见 (盖章) 年 月 日,
//! 特别说明), the organising committee's address and contacts under it, then
//! the story (事迹材料) and the honours (曾获表彰). The table also carries the
//! frontline row (seed 002 二(二)), which 附件二 itself does not have.

use std::io::Cursor;

use docx_rs::{
    AlignmentType, BreakType, Docx, HeightRule, Paragraph, Pic, Run, RunFonts, Table, TableCell,
    TableRow, VAlignType, VMergeType, WidthType,
};

use crate::nominations::images::FormPhoto;
use crate::nominations::rules::{NomineeKind, RegistrationForm};

/// What the form shows besides the registration form itself.
pub struct FormDocument<'a> {
    /// e.g. 2021年度最美后勤人
    pub campaign_title: &'a str,
    /// The district that files the nomination, e.g. 成都片区.
    pub district_name: &'a str,
    pub kind: NomineeKind,
    pub form: &'a RegistrationForm,
    /// The one-inch photo as the form embeds it, if any: its form-sized
    /// copy, never the original (see `images`).
    pub photo: Option<&'a FormPhoto>,
}

/// 附件二 "特别说明", as the seed prints it (five notes of the national
/// association's form for the 2021 campaign).
pub const SPECIAL_NOTES: [&str; 5] = [
    "一、申报人须在中国教育后勤协会官网(www.chinacacm.org)《全国教育后勤系统“2021年度最美后勤人”推举活动》专题页面中,认真如实填写报名页面中相关内容。",
    "二、“2021年度最美后勤人事迹材料”、“曾获各级各类媒体平台表彰与奖励情况”两项内容填写均以线上填报信息为准。",
    "三、《全国教育后勤系统“2021年度最美后勤人”推举活动报名表》需加盖单位公章,并附两份最高荣誉证书扫描件,按要求上传至专题页面。",
    "四、线上报名表与提交材料截止日期:2021年12月10日。",
    "五、已经获得协会通报表扬的“全国教育后勤系统‘2020年度感动人物’的个人与集体”,不再参与“2021年度最美后勤人”的推举活动。",
];

/// Under the form in 附件二: the organising committee's address and its
/// contacts, as the seed prints them.
pub const COMMITTEE_LINES: [&str; 3] = [
    "评选活动组委会地址:北京市海淀区中关村大街59号中国人民大学国际文化交流中心105室",
    "协会秘书处:黄粤涛 13911210869",
    "项目负责人:王清埃 13718918500、宋宇 15210889396",
];

/// The height of the row of the unit's opinion and stamp, in twips: 4.6 cm,
/// room for a 4.2 cm official stamp (公章) with the date under it.
pub const STAMP_ROW_TWIPS: f32 = 2608.0;

/// Column widths in twentieths of a point (A4 less 2.5 cm margins).
const GRID: [usize; 5] = [1600, 2300, 1500, 1900, 1772];
/// The photo box: 2.5 cm wide (one inch photo, 一寸), in EMU.
const PHOTO_WIDTH_EMU: u32 = 900_000;

#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error("cannot write the docx package: {0}")]
    Zip(String),
}

fn text(s: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(s))
}

fn label(s: &str) -> TableCell {
    TableCell::new()
        .vertical_align(VAlignType::Center)
        .add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .add_run(Run::new().add_text(s).bold()),
        )
}

fn value(s: &str) -> TableCell {
    TableCell::new()
        .vertical_align(VAlignType::Center)
        .add_paragraph(text(s))
}

fn span(cell: TableCell, cols: usize) -> TableCell {
    let width = GRID.iter().take(cols).sum::<usize>();
    cell.grid_span(cols).width(width, WidthType::Dxa)
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

fn row(cells: Vec<TableCell>) -> TableRow {
    TableRow::new(cells)
        .row_height(560.0)
        .height_rule(HeightRule::AtLeast)
}

/// The photo as a picture of the package, 2.5 cm wide, with its size in
/// EMU. Nothing is decoded here: the copy is embedded as it is.
fn photo_pic(photo: &FormPhoto) -> Pic {
    let (w, h) = (photo.width, photo.height);
    let height_emu = u64::from(PHOTO_WIDTH_EMU) * u64::from(h) / u64::from(w.max(1));
    Pic::new_with_dimensions(photo.png.clone(), w, h).size(
        PHOTO_WIDTH_EMU,
        u32::try_from(height_emu).unwrap_or(u32::MAX),
    )
}

fn photo_cell(photo: Option<&FormPhoto>) -> TableCell {
    let p = Paragraph::new().align(AlignmentType::Center);
    let p = match photo.map(photo_pic) {
        Some(pic) => p.add_run(Run::new().add_image(pic)),
        None => p.add_run(Run::new().add_text("一寸免冠照")),
    };
    TableCell::new()
        .vertical_align(VAlignType::Center)
        .vertical_merge(VMergeType::Restart)
        .add_paragraph(p)
}

fn merged_below() -> TableCell {
    TableCell::new()
        .vertical_merge(VMergeType::Continue)
        .add_paragraph(Paragraph::new())
}

fn unit_with_department(f: &RegistrationForm) -> String {
    match (opt(&f.unit), opt(&f.department)) {
        (u, "") => u.to_owned(),
        (u, d) => format!("{u}{d}"),
    }
}

fn opinion_cell(f: &RegistrationForm) -> TableCell {
    let mut cell = TableCell::new().add_paragraph(text(opt(&f.unit_opinion)));
    cell = cell.add_paragraph(Paragraph::new());
    cell = cell.add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Right)
            .add_run(Run::new().add_text("（盖章）")),
    );
    cell.add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Right)
            .add_run(Run::new().add_text("年　　月　　日")),
    )
}

fn person_rows(f: &RegistrationForm, photo: Option<&FormPhoto>) -> Vec<TableRow> {
    let age = f.age.map(|a| a.to_string()).unwrap_or_default();
    vec![
        row(vec![
            label("姓名"),
            value(opt(&f.name)),
            label("性别"),
            value(opt(&f.gender)),
            photo_cell(photo),
        ]),
        row(vec![
            label("民族"),
            value(opt(&f.ethnicity)),
            label("年龄"),
            value(&age),
            merged_below(),
        ]),
        row(vec![
            label("政治面貌"),
            value(opt(&f.political_status)),
            label("联系电话"),
            value(opt(&f.phone)),
            merged_below(),
        ]),
        row(vec![label("邮箱"), span(value(opt(&f.email)), 4)]),
        row(vec![
            label("单位名称"),
            span(value(&unit_with_department(f)), 2),
            label("职务/职称"),
            value(opt(&f.position)),
        ]),
        row(vec![
            label("通讯地址"),
            span(value(opt(&f.address)), 2),
            label("邮编"),
            value(opt(&f.postcode)),
        ]),
    ]
}

/// Frontline staff or team (seed 002 二(二) "被推荐对象主要来自学校后勤管理服务一线的员工和团队"), with the post.
fn frontline_row(f: &RegistrationForm, kind: NomineeKind) -> TableRow {
    let question = match kind {
        NomineeKind::Person => "是否一线员工",
        NomineeKind::Team => "是否一线团队",
    };
    let answer = match f.frontline {
        Some(true) => "是",
        Some(false) => "否",
        None => "",
    };
    row(vec![
        label(question),
        span(value(answer), 2),
        label("一线岗位"),
        value(opt(&f.frontline_post)),
    ])
}

/// 附件二's last row: 特别说明, one paragraph per note.
fn special_notes_row() -> TableRow {
    let mut notes = TableCell::new();
    for note in SPECIAL_NOTES {
        notes = notes.add_paragraph(text(note));
    }
    TableRow::new(vec![label("特别说明"), span(notes, 4)])
}

fn team_rows(f: &RegistrationForm) -> Vec<TableRow> {
    let count = f.member_count.map(|n| n.to_string()).unwrap_or_default();
    vec![
        row(vec![
            label("团队名称"),
            span(value(opt(&f.team_name)), 2),
            label("团队人数"),
            value(&count),
        ]),
        row(vec![
            label("联系人"),
            span(value(opt(&f.contact_name)), 2),
            label("联系电话"),
            value(opt(&f.contact_phone)),
        ]),
        row(vec![label("邮箱"), span(value(opt(&f.email)), 4)]),
        row(vec![
            label("单位名称"),
            span(value(&unit_with_department(f)), 4),
        ]),
        row(vec![
            label("通讯地址"),
            span(value(opt(&f.address)), 2),
            label("邮编"),
            value(opt(&f.postcode)),
        ]),
    ]
}

fn heading(s: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(s).bold().size(28))
}

/// Renders the form as a `.docx` (an OOXML package Word and WPS open).
pub fn render(doc: &FormDocument<'_>) -> Result<Vec<u8>, FormError> {
    let f = doc.form;
    let mut rows = match doc.kind {
        NomineeKind::Person => person_rows(f, doc.photo),
        NomineeKind::Team => team_rows(f),
    };
    rows.push(frontline_row(f, doc.kind));
    rows.push(row(vec![
        label("推荐类别"),
        span(value(opt(&f.category)), 4),
    ]));
    rows.push(
        TableRow::new(vec![label("申报人单位意见"), span(opinion_cell(f), 4)])
            .row_height(STAMP_ROW_TWIPS)
            .height_rule(HeightRule::AtLeast)
            .cant_split(),
    );
    rows.push(special_notes_row());
    let table = Table::new(rows)
        .set_grid(GRID.to_vec())
        .width(GRID.iter().sum(), WidthType::Dxa);

    let title = format!("全国教育后勤系统“{}” 推举活动报名表", doc.campaign_title);
    let mut docx = Docx::new()
        .page_size(11906, 16838)
        .default_fonts(
            RunFonts::new()
                .east_asia("宋体")
                .ascii("Times New Roman")
                .hi_ansi("Times New Roman"),
        )
        .default_size(24)
        .add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Left)
                .add_run(Run::new().add_text("附件二").bold()),
        )
        .add_paragraph(
            Paragraph::new().align(AlignmentType::Center).add_run(
                Run::new()
                    .add_text(title)
                    .bold()
                    .size(32)
                    .fonts(RunFonts::new().east_asia("黑体")),
            ),
        )
        .add_paragraph(text(&format!(
            "推荐单位：四川省高校后勤协会（{}推荐）　　推荐类型：{}",
            doc.district_name,
            doc.kind.label()
        )))
        .add_table(table)
        .add_paragraph(Paragraph::new());
    for line in COMMITTEE_LINES {
        docx = docx.add_paragraph(text(line));
    }
    docx = docx
        .add_paragraph(Paragraph::new())
        .add_paragraph(heading(&format!("“{}”事迹材料", doc.campaign_title)));
    let story = opt(&f.story);
    for line in story.lines().map(str::trim).filter(|l| !l.is_empty()) {
        docx = docx.add_paragraph(
            Paragraph::new()
                .first_line_chars(200)
                .add_run(Run::new().add_text(line)),
        );
    }
    docx = docx.add_paragraph(heading("曾获各级各类媒体平台表彰与奖励情况（曾获表彰）"));
    let honours = f.honours.as_deref().unwrap_or_default();
    if honours.is_empty() {
        docx = docx.add_paragraph(text("无"));
    }
    for (i, h) in honours.iter().enumerate() {
        docx = docx.add_paragraph(text(&format!(
            "{}. {}　{}　授予单位：{}　级别：{}",
            i + 1,
            opt(&h.date),
            opt(&h.title),
            opt(&h.awarded_by),
            opt(&h.level),
        )));
    }
    let consent = if f.consent == Some(true) {
        "本人同意将以上信息报送中国教育后勤协会，并同意公开事迹材料和照片。"
    } else {
        "本人尚未同意报送及公开（须经本人同意后方可报送）。"
    };
    docx = docx
        .add_paragraph(Paragraph::new())
        .add_paragraph(text(consent))
        .add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Right)
                .add_run(Run::new().add_text("候选人签字：＿＿＿＿＿＿　　　年　　月　　日"))
                .add_run(Run::new().add_break(BreakType::TextWrapping)),
        );
    let mut out = Cursor::new(Vec::new());
    docx.build()
        .pack(&mut out)
        .map_err(|e| FormError::Zip(e.to_string()))?;
    Ok(out.into_inner())
}
