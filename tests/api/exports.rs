//! Exports that print (issue 12, item 7): `standings.xlsx` shows the live
//! standings and says so; `notice.xlsx` shows one notice version (and the
//! honours list approved from it) and says so; never a mix of the two. Every
//! sheet prints on A4 landscape, one page wide, its header rows repeated on
//! every page. The workbooks are read back from their XML parts.

use std::collections::HashMap;
use std::io::Read;

use association::access::roles::Role;
use regex::Regex;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, assert_problem, default_now, spawn_app, unique};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

// ------------------------------------------------------------------ reading a workbook

/// The XML parts of a workbook.
struct Xlsx {
    parts: HashMap<String, String>,
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn attributes(tag: &str) -> HashMap<String, String> {
    let re = Regex::new(r#"([A-Za-z:]+)="([^"]*)""#).unwrap();
    re.captures_iter(tag)
        .map(|c| (c[1].to_owned(), unescape(&c[2])))
        .collect()
}

impl Xlsx {
    fn read(bytes: &[u8]) -> Self {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let mut parts = HashMap::new();
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).unwrap();
            let name = f.name().to_owned();
            if name.ends_with(".xml") || name.ends_with(".rels") {
                let mut s = String::new();
                f.read_to_string(&mut s).unwrap();
                parts.insert(name, s);
            }
        }
        Self { parts }
    }

    fn part(&self, name: &str) -> &str {
        self.parts
            .get(name)
            .unwrap_or_else(|| panic!("{name} in the workbook"))
    }

    fn sheet_names(&self) -> Vec<String> {
        let re = Regex::new(r"<sheet ([^>]*)/>").unwrap();
        re.captures_iter(self.part("xl/workbook.xml"))
            .map(|c| attributes(&c[1])["name"].clone())
            .collect()
    }

    /// The XML of the `i`-th sheet (1-based, in workbook order).
    fn sheet(&self, i: usize) -> &str {
        self.part(&format!("xl/worksheets/sheet{i}.xml"))
    }

    fn strings(&self) -> Vec<String> {
        let Some(xml) = self.parts.get("xl/sharedStrings.xml") else {
            return Vec::new();
        };
        let si = Regex::new(r"(?s)<si>(.*?)</si>").unwrap();
        let t = Regex::new(r"(?s)<t[^>]*>(.*?)</t>").unwrap();
        si.captures_iter(xml)
            .map(|c| {
                t.captures_iter(&c[1])
                    .map(|x| unescape(&x[1]))
                    .collect::<String>()
            })
            .collect()
    }

    /// The text of every cell of a sheet by reference (`A1`).
    fn cells(&self, i: usize) -> HashMap<String, String> {
        let strings = self.strings();
        let re = Regex::new(r#"(?s)<c r="([A-Z]+\d+)"([^>]*?)(?:/>|>(.*?)</c>)"#).unwrap();
        let v = Regex::new(r"(?s)<v>(.*?)</v>").unwrap();
        re.captures_iter(self.sheet(i))
            .filter_map(|c| {
                let value = v.captures(c.get(3)?.as_str())?[1].to_owned();
                let text = if attributes(&c[2]).get("t").map(String::as_str) == Some("s") {
                    strings[value.parse::<usize>().unwrap()].clone()
                } else {
                    value
                };
                Some((c[1].to_owned(), text))
            })
            .collect()
    }

    /// The texts of one row (1-based, as Excel numbers them), left to right.
    fn row(&self, i: usize, row: u32) -> Vec<String> {
        let cells = self.cells(i);
        let mut found: Vec<(String, String)> = cells
            .into_iter()
            .filter(|(r, _)| {
                r.trim_start_matches(|c: char| c.is_ascii_uppercase()) == row.to_string()
            })
            .collect();
        found.sort_by(|a, b| (a.0.len(), &a.0).cmp(&(b.0.len(), &b.0)));
        found.into_iter().map(|(_, t)| t).collect()
    }

    /// The print titles (rows repeated on every page) of each sheet, by 0-based sheet index.
    fn print_titles(&self) -> HashMap<usize, String> {
        let re = Regex::new(r"<definedName ([^>]*)>([^<]*)</definedName>").unwrap();
        re.captures_iter(self.part("xl/workbook.xml"))
            .filter_map(|c| {
                let a = attributes(&c[1]);
                (a["name"] == "_xlnm.Print_Titles")
                    .then(|| (a["localSheetId"].parse::<usize>().unwrap(), unescape(&c[2])))
            })
            .collect()
    }

    /// Asserts the print setup of every sheet: A4 landscape, fit to one page
    /// wide with the height automatic, rows 1–5 (what the table shows and its
    /// header) repeated on every page.
    fn assert_prints_on_a4_landscape_one_page_wide(&self) {
        let titles = self.print_titles();
        let page_setup = Regex::new(r"<pageSetup ([^>]*)/>").unwrap();
        let sheet_pr = Regex::new(r"(?s)<sheetPr[^>]*>(.*?)</sheetPr>").unwrap();
        for (i, name) in self.sheet_names().iter().enumerate() {
            let xml = self.sheet(i + 1);
            let setup = attributes(
                &page_setup
                    .captures(xml)
                    .unwrap_or_else(|| panic!("{name}: no pageSetup"))[1],
            );
            let get = |k: &str, default: &str| {
                setup.get(k).cloned().unwrap_or_else(|| default.to_owned())
            };
            // Defaults as ECMA-376 gives them for an absent attribute.
            assert_eq!(get("orientation", "default"), "landscape", "{name}");
            assert_eq!(get("paperSize", "1"), "9", "{name}: A4");
            assert_eq!(get("fitToWidth", "1"), "1", "{name}: one page wide");
            assert_eq!(get("fitToHeight", "1"), "0", "{name}: height automatic");
            let pr = sheet_pr
                .captures(xml)
                .unwrap_or_else(|| panic!("{name}: no sheetPr"));
            assert!(
                pr[1].contains(r#"<pageSetUpPr fitToPage="1"/>"#),
                "{name}: fit to page is on: {}",
                &pr[1]
            );
            let t = titles
                .get(&i)
                .unwrap_or_else(|| panic!("{name}: no print titles"));
            assert!(t.ends_with("!$1:$5"), "{name}: rows 1–5 repeat: {t}");
        }
    }
}

// ------------------------------------------------------------------ fixture

/// An app with a secretariat, a district and one official source whose
/// articles are put in place directly with their points.
pub struct Year {
    pub app: TestApp,
    pub admin: Session,
    source_id: i64,
    district_id: i64,
}

pub async fn year_fixture() -> Year {
    let app = spawn_app().await;
    let admin = app.secretariat().await;
    let (district_id, _) = app.district_and_school(&admin).await;
    let now = default_now();
    let source = association::entity::source::ActiveModel {
        name: Set(unique("站点")),
        kind: Set("official".into()),
        hosts: Set(json!([format!("{}.example.cn", unique("h"))]).to_string()),
        columns: Set("[]".into()),
        years: Set("[]".into()),
        needs_confirmation: Set(false),
        allow_private_network: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    Year {
        app,
        admin,
        source_id: source.id,
        district_id,
    }
}

impl Year {
    pub async fn school(&self, name: &str) -> i64 {
        let s: Value = self
            .app
            .post_as(
                "/api/v1/schools",
                &self.admin,
                &json!({"name": name, "district_id": self.district_id}),
            )
            .await
            .json()
            .await
            .unwrap();
        s["id"].as_i64().expect("school created")
    }

    /// `n` approved 2021 articles of one site point each, by `author` of `school`.
    pub async fn articles(&self, school_id: i64, author: &str, n: usize) {
        self.articles_in(school_id, author, 2021, n).await;
    }

    /// `n` approved articles of `year`, one site point each, by `author` of `school`.
    pub async fn articles_in(&self, school_id: i64, author: &str, year: i32, n: usize) {
        let now = default_now();
        for _ in 0..n {
            let url = format!("https://news.example.cn/{}.html", unique("a"));
            association::entity::article::ActiveModel {
                school_id: Set(school_id),
                submitted_by: Set(self.admin.member_id),
                first_author_name: Set(Some(author.to_owned())),
                author_key: Set(association::articles::rules::author_key(None, Some(author))),
                url: Set(url.clone()),
                canonical_url: Set(url),
                url_key: Set(Some(unique("k"))),
                host: Set("news.example.cn".into()),
                source_id: Set(self.source_id),
                source_kind: Set("official".into()),
                title: Set(Some(unique("标题"))),
                credit_year: Set(Some(year)),
                declared_original: Set(true),
                verification_status: Set("verified".into()),
                status: Set("approved".into()),
                site_points: Set(1),
                bonus_points: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&self.app.state.db)
            .await
            .unwrap();
        }
        self.app.articles_loaded().await;
    }

    pub async fn publish(&self) -> Value {
        let res = self
            .app
            .post_as(
                "/api/v1/credit-years/2021/notice",
                &self.admin,
                &json!({"opens_at": "2021-11-01T00:00:00+08:00", "closes_at": "2021-11-08T00:00:00+08:00"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        res.json().await.unwrap()
    }

    /// Downloads a workbook; checks its media type and that it is offered as a file.
    async fn download(&self, res: reqwest::Response) -> Xlsx {
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], XLSX);
        let disposition = res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            disposition.starts_with("attachment") && disposition.contains("filename*=UTF-8''"),
            "{disposition}"
        );
        Xlsx::read(&res.bytes().await.unwrap())
    }

    async fn live(&self) -> Xlsx {
        let res = self
            .app
            .get_as("/api/v1/credit-years/2021/standings.xlsx", &self.admin)
            .await;
        self.download(res).await
    }

    async fn notice(&self, query: &str) -> Xlsx {
        // Public, like the notice: no login.
        let res = self
            .app
            .get(&format!("/api/v1/credit-years/2021/notice.xlsx{query}"))
            .await;
        self.download(res).await
    }
}

// ------------------------------------------------------------------ tests

#[tokio::test]
async fn the_live_workbook_says_it_shows_live_figures_and_prints_on_a4_landscape_one_page_wide() {
    let y = year_fixture().await;
    let a = unique("甲校");
    let sa = y.school(&a).await;
    y.articles(sa, "张三", 3).await;
    for i in 0..4 {
        let s = y.school(&unique(&format!("校{i}"))).await;
        y.articles(s, &format!("作者{i}"), 1).await;
    }
    let book = y.live().await;
    assert_eq!(book.sheet_names(), ["学校排名", "个人排名"]);
    book.assert_prints_on_a4_landscape_one_page_wide();
    for sheet in [1, 2] {
        let source = book.row(sheet, 2).concat();
        assert!(
            source.contains("实时数据") && source.contains("计算时间 2021-11-01 10:00"),
            "{source}"
        );
        assert!(
            book.row(sheet, 1).concat().contains("实时数据"),
            "the title says it too"
        );
        assert!(
            !book.cells(sheet).values().any(|t| t.contains("公示")),
            "a live workbook never shows notice figures"
        );
    }
    // The schools sheet names each school once; the individuals sheet says
    // which school a person belongs to.
    assert_eq!(
        book.row(1, 5),
        [
            "名次",
            "学校",
            "网站积分",
            "附加分",
            "总分",
            "计分稿件数",
            "名额内",
            "并列跨线"
        ]
    );
    assert_eq!(book.row(1, 6), ["1", a.as_str(), "3", "0", "3", "3", "是"]);
    assert_eq!(
        book.row(2, 5),
        [
            "名次",
            "姓名（第一作者）",
            "所属学校",
            "网站积分",
            "附加分",
            "总分",
            "计分稿件数",
            "名额内",
            "并列跨线"
        ]
    );
    assert_eq!(book.row(2, 6)[..3], ["1", "张三", a.as_str()]);
    assert!(
        book.row(1, 3)
            .concat()
            .contains("官方网站发文学校总数 5，名额上限 1")
    );
}

#[tokio::test]
async fn the_notice_workbook_shows_one_notice_version_and_never_the_live_figures() {
    let y = year_fixture().await;
    assert_problem(
        y.app.get("/api/v1/credit-years/2021/notice.xlsx").await,
        404,
        "NOTICE_NOT_PUBLISHED",
    )
    .await;
    let a = unique("甲校");
    let b = unique("乙校");
    let (sa, sb) = (y.school(&a).await, y.school(&b).await);
    y.articles(sa, "张三", 2).await;
    y.articles(sb, "李四", 1).await;
    y.publish().await;
    // After the notice, 乙校 overtakes 甲校 in the live standings.
    y.articles(sb, "李四", 3).await;

    let notice = y.notice("").await;
    assert_eq!(notice.sheet_names(), ["学校排名", "个人排名"]);
    notice.assert_prints_on_a4_landscape_one_page_wide();
    for sheet in [1, 2] {
        let source = notice.row(sheet, 2).concat();
        assert!(
            source.contains("公示第 1 版") && source.contains("发布时间 2021-11-01 10:00"),
            "{source}"
        );
        assert!(
            !notice.cells(sheet).values().any(|t| t.contains("实时数据")),
            "a notice workbook never shows live figures"
        );
    }
    assert_eq!(notice.row(1, 6)[..2], ["1".to_owned(), a.clone()]);
    assert_eq!(notice.row(1, 7)[..2], ["2".to_owned(), b.clone()]);
    assert_eq!(notice.row(1, 7)[4], "1", "乙校's total as published");

    let live = y.live().await;
    assert_eq!(live.row(1, 6)[..2], ["1".to_owned(), b.clone()]);
    assert_eq!(live.row(1, 6)[4], "4", "乙校's total now");

    // A second version; the first stays exportable.
    y.publish().await;
    let v2 = y.notice("").await;
    assert!(v2.row(1, 2).concat().contains("公示第 2 版"));
    assert_eq!(v2.row(1, 6)[..2], ["1".to_owned(), b.clone()]);
    let v1 = y.notice("?version=1").await;
    assert!(v1.row(1, 2).concat().contains("公示第 1 版"));
    assert_eq!(v1.row(1, 6)[..2], ["1".to_owned(), a.clone()]);
    assert_problem(
        y.app
            .get("/api/v1/credit-years/2021/notice.xlsx?version=0")
            .await,
        400,
        "INVALID_PARAMETER",
    )
    .await;
    assert_problem(
        y.app
            .get("/api/v1/credit-years/2021/notice.xlsx?version=9")
            .await,
        404,
        "NOTICE_NOT_PUBLISHED",
    )
    .await;
}

#[tokio::test]
async fn once_approved_the_honours_list_is_in_the_workbook_of_its_notice_version_only() {
    let y = year_fixture().await;
    let a = unique("甲校");
    let sa = y.school(&a).await;
    y.articles(sa, "张三", 3).await;
    for i in 0..4 {
        let s = y.school(&unique(&format!("校{i}"))).await;
        y.articles(s, &format!("作者{i}"), 1).await;
    }
    y.publish().await;
    y.publish().await;
    // The council approved a list built from version 1 (put in place here:
    // the procedure itself is tested in `honours`).
    let db = &y.app.state.db;
    let v1 = association::entity::notice::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .find(|n| n.version == 1)
        .unwrap();
    let council = y.app.member_with(Role::Council, None, None).await;
    let now = default_now();
    let p = association::entity::proposal::ActiveModel {
        year: Set(2021),
        notice_id: Set(v1.id),
        status: Set("approved".into()),
        version: Set(1),
        submitted_by: Set(Some(y.admin.member_id)),
        submitted_at: Set(Some(now)),
        decided_by: Set(Some(council.member_id)),
        decided_at: Set(Some(now)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    for (scope, key, name) in [
        ("schools", sa.to_string(), a.clone()),
        ("individuals", format!("{sa}/name:张三"), "张三".to_owned()),
    ] {
        association::entity::proposal_entry::ActiveModel {
            proposal_id: Set(p.id),
            scope: Set(scope.into()),
            row_key: Set(key),
            name: Set(name),
            school_id: Set(sa),
            school_name: Set(a.clone()),
            rank: Set(1),
            total: Set(3),
            manual: Set(false),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
    }

    let book = y.notice("?version=1").await;
    assert_eq!(book.sheet_names(), ["学校排名", "个人排名", "表彰名单"]);
    book.assert_prints_on_a4_landscape_one_page_wide();
    assert!(book.row(3, 2).concat().contains("公示第 1 版"));
    assert!(
        book.row(3, 3)
            .concat()
            .contains("先进集体 1 个，先进个人 1 人")
    );
    assert!(book.row(3, 3).concat().contains("理事会审定时间"));
    // A school's row names the school once; a person's says their school.
    assert_eq!(book.row(3, 6), ["先进集体", "1", a.as_str(), "3"]);
    assert_eq!(book.row(3, 7), ["先进个人", "1", "张三", a.as_str(), "3"]);
    // Neither the later version nor the live workbook carries the list.
    assert_eq!(y.notice("").await.sheet_names(), ["学校排名", "个人排名"]);
    assert_eq!(y.live().await.sheet_names(), ["学校排名", "个人排名"]);
}
