//! Excel output for the secretariat (who lives in Excel, and prints): the
//! standings of a year and the honours list, with Chinese headers, a frozen
//! header row and, above each table, which figures it shows and the year's
//! cap figures.
//!
//! A workbook shows one source of figures, stated on the first rows of every
//! sheet and in every page's footer: either the **live** standings (实时数据,
//! with the instant they were computed) or one **notice version** (公示第 N
//! 版, with when it was published): never both. The honours list is built
//! from a notice version, so it appears only in that version's workbook.
//!
//! Every sheet prints on A4 landscape, one page wide (as many pages high as
//! it takes), with the rows above the table and its header row repeated on
//! every printed page.

use chrono::{DateTime, FixedOffset};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::honours::model::{CapFigures, HonoursView};
use crate::honours::rules::{RankingKey, Scope};
use crate::platform::error::{ApiError, ApiResult};

/// The media type of a workbook.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Excel's paper size code for A4.
const PAPER_A4: u8 = 9;

fn err(e: XlsxError) -> ApiError {
    ApiError::internal(anyhow::anyhow!("xlsx: {e}"))
}

/// Which figures a workbook shows.
#[derive(Clone, Debug)]
pub enum FiguresSource {
    /// The live standings, computed at this instant (China time).
    Live { computed_at: DateTime<FixedOffset> },
    /// A published notice version: a frozen snapshot.
    Notice {
        version: i32,
        published_at: DateTime<FixedOffset>,
        opens_at: DateTime<FixedOffset>,
        closes_at: DateTime<FixedOffset>,
    },
}

fn minute(t: &DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

impl FiguresSource {
    /// The sentence on the first rows of every sheet.
    pub fn statement(&self) -> String {
        match self {
            Self::Live { computed_at } => format!(
                "数据来源：实时数据，计算时间 {}（北京时间）；随稿件审核而变化，尚未冻结",
                minute(computed_at)
            ),
            Self::Notice {
                version,
                published_at,
                opens_at,
                closes_at,
            } => format!(
                "数据来源：公示第 {version} 版，发布时间 {}，公示期 {} 至 {}（北京时间）；公示时冻结，不随之后的审核变化",
                minute(published_at),
                minute(opens_at),
                minute(closes_at)
            ),
        }
    }

    /// The short form, for the title and the page footer.
    fn short(&self) -> String {
        match self {
            Self::Live { computed_at } => format!("实时数据（{}）", minute(computed_at)),
            Self::Notice { version, .. } => format!("公示第 {version} 版"),
        }
    }
}

/// One row of a standings sheet.
#[derive(Clone, Debug)]
pub struct SheetRow {
    pub rank: i64,
    /// The school's name, or the person's.
    pub name: String,
    /// The person's school (individuals only; a school's row names it once, in `name`).
    pub school_name: String,
    pub site_points: i64,
    pub bonus_points: i64,
    pub total: i64,
    pub counted_articles: i64,
    pub within_cap: bool,
    pub tied_at_cutoff: bool,
}

/// One standings sheet: a scope, its cap figures and its rows in order.
#[derive(Clone, Debug)]
pub struct Sheet {
    pub scope: Scope,
    pub figures: CapFigures,
    pub rows: Vec<SheetRow>,
}

/// The row of the table's header; the rows above it say what the table shows.
pub const TABLE_HEADER_ROW: u32 = 4;

fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_border(FormatBorder::Thin)
        .set_background_color("#DDEBF7")
}

fn last_col(headers: &[(&str, f64)]) -> u16 {
    u16::try_from(headers.len().saturating_sub(1)).unwrap_or(u16::MAX)
}

fn write_headers(ws: &mut Worksheet, headers: &[(&str, f64)]) -> Result<(), XlsxError> {
    let fmt = header_format();
    for (col, (h, width)) in headers.iter().enumerate() {
        let col = u16::try_from(col).unwrap_or(u16::MAX);
        ws.write_string_with_format(TABLE_HEADER_ROW, col, *h, &fmt)?;
        ws.set_column_width(col, *width)?;
    }
    // Freeze everything down to and including the header row.
    ws.set_freeze_panes(TABLE_HEADER_ROW + 1, 0)?;
    Ok(())
}

/// The lines above the table (title, figures source, figures, ranking key),
/// each across the table's width and wrapped, so they print inside the page.
fn write_preamble(ws: &mut Worksheet, lines: &[String; 4], last_col: u16) -> Result<(), XlsxError> {
    let title = Format::new().set_bold().set_font_size(14);
    let source = Format::new().set_bold().set_text_wrap();
    let plain = Format::new().set_text_wrap();
    for (row, (text, fmt)) in lines
        .iter()
        .zip([&title, &source, &plain, &plain])
        .enumerate()
    {
        let row = u32::try_from(row).unwrap_or(0);
        ws.merge_range(row, 0, row, last_col, text, fmt)?;
    }
    // Merged cells do not grow with wrapped text: room for two lines.
    ws.set_row_height(1, 30)?;
    ws.set_row_height(2, 30)?;
    Ok(())
}

/// A4 landscape, one page wide (height as needed), the preamble and the
/// header row repeated on every page, the figures source and page number in
/// the footer.
fn print_setup(ws: &mut Worksheet, source: &FiguresSource) -> Result<(), XlsxError> {
    ws.set_landscape();
    ws.set_paper_size(PAPER_A4);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, TABLE_HEADER_ROW)?;
    ws.set_print_center_horizontally(true);
    // `&` starts a footer code; none of our text has one.
    ws.set_footer(format!(
        "&L{}&R第 &P 页，共 &N 页",
        source.short().replace('&', "&&")
    ));
    Ok(())
}

fn figures_line(scope: Scope, f: &CapFigures) -> String {
    let (who, pct) = match scope {
        Scope::Schools => ("官方网站发文学校总数", 20),
        Scope::Individuals => ("官方网站投稿总人数", 10),
    };
    let cutoff = f
        .cutoff_rank
        .map_or("无".to_owned(), |r| format!("第 {r} 名"));
    let tied = f
        .tied_rank
        .map_or(String::new(), |r| format!("；第 {r} 名并列跨越名额线"));
    format!(
        "{who} {}，名额上限 {}（不超过 {pct}%，向下取整），截止名次 {cutoff}{tied}",
        f.population, f.cap
    )
}

/// 是 in the cell when `b`; an empty cell otherwise.
fn yes(ws: &mut Worksheet, row: u32, col: u16, b: bool) -> Result<(), XlsxError> {
    if b {
        ws.write_string(row, col, "是")?;
    }
    Ok(())
}

fn data_row(i: usize) -> u32 {
    TABLE_HEADER_ROW + 1 + u32::try_from(i).unwrap_or(u32::MAX - TABLE_HEADER_ROW - 1)
}

fn standings_sheet(
    wb: &mut Workbook,
    year: i32,
    key_label: &str,
    source: &FiguresSource,
    sheet: &Sheet,
) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    let schools = sheet.scope == Scope::Schools;
    let mut headers: Vec<(&str, f64)> = vec![("名次", 8.0)];
    if schools {
        ws.set_name("学校排名")?;
        headers.push(("学校", 30.0));
    } else {
        ws.set_name("个人排名")?;
        headers.push(("姓名（第一作者）", 18.0));
        headers.push(("所属学校", 28.0));
    }
    headers.extend([
        ("网站积分", 10.0),
        ("附加分", 10.0),
        ("总分", 10.0),
        ("计分稿件数", 12.0),
        ("名额内", 8.0),
        ("并列跨线", 10.0),
    ]);
    write_preamble(
        ws,
        &[
            format!(
                "{year}年度信息宣传工作{}积分排名（{}）",
                sheet.scope.label(),
                source.short()
            ),
            source.statement(),
            figures_line(sheet.scope, &sheet.figures),
            format!("排名依据：{key_label}"),
        ],
        last_col(&headers),
    )?;
    write_headers(ws, &headers)?;
    for (i, r) in sheet.rows.iter().enumerate() {
        let row = data_row(i);
        let mut col = 0u16;
        let mut next = || {
            col += 1;
            col - 1
        };
        ws.write_number(row, next(), r.rank as f64)?;
        ws.write_string(row, next(), &r.name)?;
        if !schools {
            ws.write_string(row, next(), &r.school_name)?;
        }
        ws.write_number(row, next(), r.site_points as f64)?;
        ws.write_number(row, next(), r.bonus_points as f64)?;
        ws.write_number(row, next(), r.total as f64)?;
        ws.write_number(row, next(), r.counted_articles as f64)?;
        yes(ws, row, next(), r.within_cap)?;
        yes(ws, row, next(), r.tied_at_cutoff)?;
    }
    print_setup(ws, source)
}

fn honours_sheet(
    wb: &mut Workbook,
    year: i32,
    source: &FiguresSource,
    h: &HonoursView,
) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name("表彰名单")?;
    let headers = [
        ("类别", 12.0),
        ("名次", 8.0),
        ("名称", 28.0),
        ("所属学校（先进个人）", 28.0),
        ("总分", 10.0),
        ("人工调整", 10.0),
        ("调整理由", 40.0),
    ];
    let approved = h.approved_at.map_or("未审定".to_owned(), |t| {
        format!("理事会审定时间：{}（北京时间）", minute(&t))
    });
    write_preamble(
        ws,
        &[
            format!(
                "{year}年度信息宣传工作先进集体和先进个人名单（{}）",
                source.short()
            ),
            source.statement(),
            format!(
                "先进集体 {} 个，先进个人 {} 人；{approved}",
                h.schools.len(),
                h.individuals.len()
            ),
            "名次与总分为公示中的名次与总分。".to_owned(),
        ],
        last_col(&headers),
    )?;
    write_headers(ws, &headers)?;
    for (i, e) in h.schools.iter().chain(&h.individuals).enumerate() {
        let row = data_row(i);
        ws.write_string(row, 0, e.scope.label())?;
        ws.write_number(row, 1, f64::from(e.rank))?;
        ws.write_string(row, 2, &e.name)?;
        // A school's row names the school once, in 名称.
        if e.scope == Scope::Individuals {
            ws.write_string(row, 3, &e.school.name)?;
        }
        ws.write_number(row, 4, f64::from(e.total))?;
        yes(ws, row, 5, e.manual)?;
        if let Some(reason) = e.reason.as_deref().filter(|r| !r.is_empty()) {
            ws.write_string(row, 6, reason)?;
        }
    }
    print_setup(ws, source)
}

/// Builds the workbook: 学校排名, 个人排名 and, when given (the honours list
/// approved from this notice version), 表彰名单 — all from `source`.
pub fn standings_workbook(
    year: i32,
    key: RankingKey,
    source: &FiguresSource,
    sheets: &[Sheet],
    honours: Option<&HonoursView>,
) -> ApiResult<Vec<u8>> {
    let mut wb = Workbook::new();
    let key_label = match key {
        RankingKey::Total => "总分（网站积分＋附加分）",
        RankingKey::SitePoints => "网站积分",
    };
    for sheet in sheets {
        standings_sheet(&mut wb, year, key_label, source, sheet).map_err(err)?;
    }
    if let Some(h) = honours {
        honours_sheet(&mut wb, year, source, h).map_err(err)?;
    }
    wb.save_to_buffer().map_err(err)
}
