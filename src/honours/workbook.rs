//! Excel output for the secretariat (who lives in Excel): the standings and
//! the honours list with Chinese headers, a frozen header row and the year's
//! cap figures above each table.

use chrono::{DateTime, FixedOffset};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::honours::model::{CapFigures, HonoursView, StandingView};
use crate::honours::rules::{RankingKey, Scope};
use crate::platform::error::{ApiError, ApiResult};

/// The media type of a workbook.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn err(e: XlsxError) -> ApiError {
    ApiError::internal(anyhow::anyhow!("xlsx: {e}"))
}

/// The rows above each table (title, figures, generated at).
const TABLE_HEADER_ROW: u32 = 3;

fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_border(FormatBorder::Thin)
        .set_background_color("#DDEBF7")
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

fn yes(b: bool) -> &'static str {
    if b { "是" } else { "" }
}

/// Builds the workbook: 学校排名, 个人排名 and, once approved, 表彰名单.
pub fn standings_workbook(
    year: i32,
    key: RankingKey,
    sheets: &[(Scope, CapFigures, Vec<StandingView>)],
    honours: Option<&HonoursView>,
    generated_at: DateTime<FixedOffset>,
) -> ApiResult<Vec<u8>> {
    let mut wb = Workbook::new();
    let title = Format::new().set_bold();
    let key_label = match key {
        RankingKey::Total => "总分（网站积分＋附加分）",
        RankingKey::SitePoints => "网站积分",
    };
    for (scope, figures, rows) in sheets {
        let ws = wb.add_worksheet();
        let (sheet, name_header) = match scope {
            Scope::Schools => ("学校排名", ("学校", 28.0)),
            Scope::Individuals => ("个人排名", ("姓名（第一作者）", 18.0)),
        };
        ws.set_name(sheet).map_err(err)?;
        ws.write_string_with_format(
            0,
            0,
            format!("{year}年度信息宣传工作{}积分排名", scope.label()),
            &title,
        )
        .map_err(err)?;
        ws.write_string(1, 0, figures_line(*scope, figures))
            .map_err(err)?;
        ws.write_string(
            2,
            0,
            format!(
                "排名依据：{key_label}；生成时间：{}",
                generated_at.format("%Y-%m-%d %H:%M")
            ),
        )
        .map_err(err)?;
        write_headers(
            ws,
            &[
                ("名次", 8.0),
                name_header,
                ("所属学校", 28.0),
                ("网站积分", 10.0),
                ("附加分", 10.0),
                ("总分", 10.0),
                ("计分稿件数", 12.0),
                ("名额内", 8.0),
                ("并列跨线", 10.0),
            ],
        )
        .map_err(err)?;
        for (i, r) in rows.iter().enumerate() {
            let row =
                TABLE_HEADER_ROW + 1 + u32::try_from(i).unwrap_or(u32::MAX - TABLE_HEADER_ROW - 1);
            ws.write_number(row, 0, r.rank as f64).map_err(err)?;
            ws.write_string(row, 1, &r.name).map_err(err)?;
            ws.write_string(row, 2, &r.school.name).map_err(err)?;
            ws.write_number(row, 3, r.site_points as f64).map_err(err)?;
            ws.write_number(row, 4, r.bonus_points as f64)
                .map_err(err)?;
            ws.write_number(row, 5, r.total as f64).map_err(err)?;
            ws.write_number(row, 6, r.counted_articles as f64)
                .map_err(err)?;
            ws.write_string(row, 7, yes(r.within_cap)).map_err(err)?;
            ws.write_string(row, 8, yes(r.tied_at_cutoff))
                .map_err(err)?;
        }
    }
    if let Some(h) = honours {
        let ws = wb.add_worksheet();
        ws.set_name("表彰名单").map_err(err)?;
        ws.write_string_with_format(
            0,
            0,
            format!("{year}年度信息宣传工作先进集体和先进个人名单"),
            &title,
        )
        .map_err(err)?;
        ws.write_string(
            1,
            0,
            format!(
                "先进集体 {} 个，先进个人 {} 人",
                h.schools.len(),
                h.individuals.len()
            ),
        )
        .map_err(err)?;
        let approved = h.approved_at.map_or("未审定".to_owned(), |t| {
            format!("理事会审定时间：{}", t.format("%Y-%m-%d %H:%M"))
        });
        ws.write_string(2, 0, approved).map_err(err)?;
        write_headers(
            ws,
            &[
                ("类别", 12.0),
                ("名次", 8.0),
                ("名称", 28.0),
                ("所属学校", 28.0),
                ("总分", 10.0),
                ("人工调整", 10.0),
                ("调整理由", 40.0),
            ],
        )
        .map_err(err)?;
        for (i, e) in h.schools.iter().chain(&h.individuals).enumerate() {
            let row =
                TABLE_HEADER_ROW + 1 + u32::try_from(i).unwrap_or(u32::MAX - TABLE_HEADER_ROW - 1);
            ws.write_string(row, 0, e.scope.label()).map_err(err)?;
            ws.write_number(row, 1, f64::from(e.rank)).map_err(err)?;
            ws.write_string(row, 2, &e.name).map_err(err)?;
            ws.write_string(row, 3, &e.school.name).map_err(err)?;
            ws.write_number(row, 4, f64::from(e.total)).map_err(err)?;
            ws.write_string(row, 5, yes(e.manual)).map_err(err)?;
            ws.write_string(row, 6, e.reason.as_deref().unwrap_or_default())
                .map_err(err)?;
        }
    }
    wb.save_to_buffer().map_err(err)
}
