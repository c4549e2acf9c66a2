//! Reading an article page: decoding (UTF-8, GBK, GB2312, GB18030, …) and
//! finding its title, publication date, column and text.
//!
//! - Charset: the HTTP `Content-Type` charset, else `<meta charset>` or
//!   `<meta http-equiv="Content-Type" content="…; charset=…">` in the first
//!   bytes, else a byte-order mark, else UTF-8 when the bytes are valid
//!   UTF-8, else `chardetng`'s guess (with the `.cn` hint: GBK wins over its
//!   look-alikes) for a page that declares nothing. GB2312 and GBK are
//!   decoded as GBK, which `encoding_rs` decodes as GB18030 (a superset).
//! - Title: `og:title`; else the page's article-title element; else
//!   `<title>` without the site name suffix (`标题-四川省高校后勤协会`).
//! - Publication date: `article:published_time`, `publishdate`, `pubdate`
//!   meta; else the date after 发布时间/发布日期/发表时间 …; else the first
//!   date in the article's info line. `2021-12-31`, `2021/12/31`,
//!   `2021年12月31日`, optionally with `23:30[:00]`, read in China time.
//! - Column: the breadcrumb (`当前位置：首页 > 学校后勤动态 > 正文`): the segment
//!   that is one of the source's columns, else the last meaningful segment.
//! - Text: the article body (without scripts and styles), for the fingerprint.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use encoding_rs::Encoding;
use std::collections::HashMap;

use scraper::{Element as _, ElementRef, Html, Selector, node::Node};

use crate::articles::fingerprint;
use crate::articles::rules::SourceRules;

/// What the page shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageFacts {
    pub title: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub column: Option<String>,
    /// The article's text (normalise it for fingerprints).
    pub text: String,
}

/// The charset named by a `Content-Type` value (`text/html; charset=GBK`).
fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(|c| c == '"' || c == '\''))
    })
}

/// The charset declared by a `<meta>` in the first 4 KB (HTML's prescan, simplified).
fn sniff_meta_charset(body: &[u8]) -> Option<&'static Encoding> {
    let head = &body[..body.len().min(4096)];
    let text: String = head
        .iter()
        .map(|b| {
            if b.is_ascii() {
                b.to_ascii_lowercase() as char
            } else {
                ' '
            }
        })
        .collect();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("<meta") {
        let tag = &rest[i..];
        let end = tag.find('>').unwrap_or(tag.len());
        let tag = &tag[..end];
        if let Some(j) = tag.find("charset") {
            let after = tag[j + "charset".len()..].trim_start();
            if let Some(value) = after.strip_prefix('=') {
                let value = value.trim_start().trim_start_matches(['"', '\'']);
                let label: String = value
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
                    .collect();
                if let Some(enc) = Encoding::for_label(label.as_bytes()) {
                    return Some(enc);
                }
            }
        }
        rest = &rest[i + 5..];
    }
    None
}

/// The encoding of a page that declares none: UTF-8 when its bytes are
/// valid UTF-8, else `chardetng`'s guess for a Chinese (`.cn`) site.
fn detect_undeclared(body: &[u8]) -> &'static Encoding {
    if std::str::from_utf8(body).is_ok() {
        return encoding_rs::UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(body, true);
    detector.guess(Some(b"cn"), chardetng::Utf8Detection::Allow)
}

/// Decodes a page: HTTP charset, then `<meta>` sniffing, then BOM, then
/// UTF-8 if valid, else the detected encoding.
pub fn decode(body: &[u8], content_type: Option<&str>) -> (String, &'static str) {
    let declared = content_type
        .and_then(charset_param)
        .and_then(|l| Encoding::for_label(l.as_bytes()));
    let encoding = declared
        .or_else(|| sniff_meta_charset(body))
        .or_else(|| Encoding::for_bom(body).map(|(e, _)| e))
        .unwrap_or_else(|| detect_undeclared(body));
    // A meta tag saying UTF-16 in an ASCII-compatible page means UTF-8 (HTML spec).
    let encoding = if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
        encoding_rs::UTF_8
    } else {
        encoding
    };
    let (text, used, _) = encoding.decode(body);
    (text.into_owned(), used.name())
}

fn selector(s: &str) -> Option<Selector> {
    Selector::parse(s).ok()
}

/// Whitespace collapsed to single spaces, trimmed.
fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Text of an element without `<script>`, `<style>` and `<noscript>`, in
/// document order (an explicit stack: deeply nested pages cannot overflow it).
fn visible_text(el: ElementRef<'_>) -> String {
    let mut out = String::new();
    let mut stack = vec![el.children()];
    while let Some(top) = stack.last_mut() {
        let Some(child) = top.next() else {
            stack.pop();
            continue;
        };
        match child.value() {
            Node::Text(t) => out.push_str(t),
            Node::Element(e) => {
                let name = e.name();
                if matches!(name, "script" | "style" | "noscript" | "template") {
                    continue;
                }
                if matches!(
                    name,
                    "p" | "div"
                        | "br"
                        | "li"
                        | "tr"
                        | "td"
                        | "th"
                        | "h1"
                        | "h2"
                        | "h3"
                        | "h4"
                        | "h5"
                        | "h6"
                        | "section"
                        | "article"
                        | "table"
                        | "ul"
                        | "ol"
                        | "dd"
                        | "dt"
                        | "header"
                        | "footer"
                        | "nav"
                ) {
                    out.push(' ');
                }
                stack.push(child.children());
            }
            _ => {}
        }
    }
    out
}

fn meta_content(doc: &Html, keys: &[&str]) -> Option<String> {
    let sel = selector("meta")?;
    for key in keys {
        for m in doc.select(&sel) {
            let el = m.value();
            let name = el
                .attr("property")
                .or_else(|| el.attr("name"))
                .or_else(|| el.attr("itemprop"))
                .unwrap_or_default();
            if name.eq_ignore_ascii_case(key)
                && let Some(c) = el.attr("content").map(clean).filter(|c| !c.is_empty())
            {
                return Some(c);
            }
        }
    }
    None
}

/// Separators between a page title and the site name in `<title>`.
const TITLE_SEPARATORS: &[&str] = &[" - ", " — ", " – ", " | ", "_", "－", "—", "|", "-"];

/// `<title>` without the site name suffix: a trailing segment is dropped when
/// it names the source, the `og:site_name`, or looks like a site (…网, …官网,
/// …协会, 首页).
fn strip_site_suffix(title: &str, source: &SourceRules, site_name: Option<&str>) -> String {
    let mut t = clean(title);
    loop {
        let mut changed = false;
        for sep in TITLE_SEPARATORS {
            if let Some((head, tail)) = t.rsplit_once(sep) {
                let tail = tail.trim();
                let head = head.trim();
                let site_like = tail.contains(&source.name)
                    || source.name.contains(tail) && !tail.is_empty()
                    || site_name.is_some_and(|s| !s.is_empty() && tail.contains(s))
                    || tail.ends_with('网')
                    || tail.ends_with("网站")
                    || tail.ends_with("官网")
                    || tail.ends_with("协会")
                    || tail == "首页";
                if site_like && !head.is_empty() {
                    t = head.to_owned();
                    changed = true;
                    break;
                }
            }
        }
        if !changed {
            return t;
        }
    }
}

const TITLE_SELECTORS: &[&str] = &[
    ".article-title",
    ".article_title",
    ".arti-title",
    ".arti_title",
    ".news-title",
    ".news_title",
    ".detail-title",
    ".detail_title",
    ".content-title",
    ".content_title",
    "#title",
    "#articleTitle",
    "article h1",
    "h1",
];

fn find_title(doc: &Html, source: &SourceRules) -> Option<String> {
    if let Some(t) = meta_content(doc, &["og:title"]) {
        return Some(truncate(&t, 300));
    }
    for s in TITLE_SELECTORS {
        let Some(sel) = selector(s) else { continue };
        for el in doc.select(&sel) {
            let t = clean(&visible_text(el));
            let n = t.chars().count();
            if (2..=200).contains(&n) && t != source.name {
                return Some(t);
            }
        }
    }
    let site_name = meta_content(doc, &["og:site_name"]);
    let sel = selector("title")?;
    let raw = doc.select(&sel).next().map(|e| visible_text(e))?;
    let t = strip_site_suffix(&raw, source, site_name.as_deref());
    (!t.is_empty()).then(|| truncate(&t, 300))
}

/// Finds the first date (and optional time) in `text`, read in China time
/// unless it carries an offset (RFC 3339).
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%z") {
        return Some(d.with_timezone(&Utc));
    }
    let chars: Vec<char> = t.chars().collect();
    let digits = |i: usize, max: usize| -> (u32, usize) {
        let mut v = 0u32;
        let mut n = 0;
        while n < max && i + n < chars.len() && chars[i + n].is_ascii_digit() {
            v = v * 10 + chars[i + n].to_digit(10).unwrap_or(0);
            n += 1;
        }
        (v, n)
    };
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || (i > 0 && chars[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let (year, n) = digits(i, 4);
        let mut j = i + n;
        let date_sep = |c: char| matches!(c, '-' | '/' | '.' | '年');
        if n != 4 || !(1990..=2100).contains(&year) || j >= chars.len() || !date_sep(chars[j]) {
            i += n.max(1);
            continue;
        }
        j += 1;
        let (month, mn) = digits(j, 2);
        j += mn;
        if mn == 0 || j >= chars.len() || !matches!(chars[j], '-' | '/' | '.' | '月') {
            i += n;
            continue;
        }
        j += 1;
        let (day, dn) = digits(j, 2);
        j += dn;
        if dn == 0 || (j < chars.len() && chars[j].is_ascii_digit()) {
            i += n;
            continue;
        }
        let Some(date) = NaiveDate::from_ymd_opt(year as i32, month, day) else {
            i += n;
            continue;
        };
        if j < chars.len() && chars[j] == '日' {
            j += 1;
        }
        while j < chars.len() && (chars[j].is_whitespace() || chars[j] == 'T') {
            j += 1;
        }
        let (hour, hn) = digits(j, 2);
        let mut time = NaiveTime::MIN;
        if hn > 0 && j + hn < chars.len() && matches!(chars[j + hn], ':' | '：') {
            let k = j + hn + 1;
            let (minute, min_n) = digits(k, 2);
            let mut second = 0;
            if min_n == 2 {
                let k2 = k + 2;
                if k2 < chars.len() && matches!(chars[k2], ':' | '：') {
                    let (s, sn) = digits(k2 + 1, 2);
                    if sn == 2 {
                        second = s;
                    }
                }
                time = NaiveTime::from_hms_opt(hour, minute, second).unwrap_or(NaiveTime::MIN);
            }
        }
        let local = NaiveDateTime::new(date, time);
        return Shanghai
            .from_local_datetime(&local)
            .earliest()
            .map(|d| d.with_timezone(&Utc));
    }
    None
}

/// Labels of the publication date in an info line, most specific first.
const DATE_LABELS: &[&str] = &["发布时间", "发布日期", "发表时间", "发稿时间", "发文时间"];
/// Looser labels, tried after the info line's elements.
const LOOSE_DATE_LABELS: &[&str] = &["更新时间", "日期", "时间"];

const INFO_SELECTORS: &[&str] = &[
    ".info",
    ".article-info",
    ".article_info",
    ".arti-info",
    ".arti_info",
    ".news-info",
    ".news_info",
    ".detail-info",
    ".time",
    ".date",
    ".pubtime",
    ".publish-time",
    ".source",
    ".meta",
    ".property",
];

/// The first date following one of `labels` in `text`.
fn date_after_label(text: &str, labels: &[&str]) -> Option<DateTime<Utc>> {
    for label in labels {
        let mut rest = text;
        while let Some(i) = rest.find(label) {
            let after: String = rest[i + label.len()..].chars().take(40).collect();
            if let Some(d) = parse_date(&after) {
                return Some(d);
            }
            rest = &rest[i + label.len()..];
        }
    }
    None
}

fn find_published_at(doc: &Html, page_text: &str) -> Option<DateTime<Utc>> {
    let meta = meta_content(
        doc,
        &[
            "article:published_time",
            "og:article:published_time",
            "publishdate",
            "pubdate",
            "publish_date",
            "publishtime",
            "datePublished",
        ],
    );
    if let Some(d) = meta.and_then(|m| parse_date(&m)) {
        return Some(d);
    }
    if let Some(d) = date_after_label(page_text, DATE_LABELS) {
        return Some(d);
    }
    for s in INFO_SELECTORS {
        let Some(sel) = selector(s) else { continue };
        for el in doc.select(&sel) {
            if let Some(d) = parse_date(&visible_text(el)) {
                return Some(d);
            }
        }
    }
    date_after_label(page_text, LOOSE_DATE_LABELS)
}

const BREADCRUMB_MARKERS: &[&str] = &[
    "当前位置",
    "您的位置",
    "您现在的位置",
    "现在位置",
    "所在位置",
];
const BREADCRUMB_HINTS: &[&str] = &[
    "crumb", "position", "location", "weizhi", "dqwz", "curpos", "nav-path", "navpath", "daohang",
];
const BREADCRUMB_SEPARATORS: &[char] = &['>', '＞', '»', '›', '→', '/', '|', '\\', '〉'];
const NOT_A_COLUMN: &[&str] = &[
    "首页",
    "网站首页",
    "主页",
    "正文",
    "详情",
    "内容",
    "正文内容",
    "浏览文章",
    "文章内容",
];

fn breadcrumb_segments(text: &str) -> Vec<String> {
    let mut t = clean(text);
    for m in BREADCRUMB_MARKERS {
        if let Some(i) = t.find(m) {
            t = t[i + m.len()..].to_owned();
        }
    }
    let t = t.trim_start_matches([':', '：', ' ']);
    t.split(BREADCRUMB_SEPARATORS)
        .map(|s| {
            clean(s.trim_matches(|c: char| c.is_whitespace() || c == '&' || c == '-' || c == '·'))
        })
        .filter(|s| !s.is_empty() && !NOT_A_COLUMN.contains(&s.as_str()))
        .collect()
}

fn find_column(doc: &Html, source: &SourceRules, title: Option<&str>) -> Option<String> {
    let mut candidates: Vec<String> = Vec::new();
    let mut consider = |el: ElementRef<'_>| -> bool {
        let text = clean(&visible_text(el));
        if text.chars().count() > 300 {
            return false;
        }
        // A breadcrumb says where it is, or separates its levels.
        if BREADCRUMB_MARKERS.iter().any(|m| text.contains(m))
            || text.contains(BREADCRUMB_SEPARATORS)
        {
            candidates.push(text);
        }
        true
    };
    // Elements whose class or id says "breadcrumb".
    if let Some(sel) = selector("[class], [id]") {
        for el in doc.select(&sel) {
            let v = el.value();
            let attrs = format!(
                "{} {}",
                v.attr("class").unwrap_or_default(),
                v.attr("id").unwrap_or_default()
            )
            .to_ascii_lowercase();
            if BREADCRUMB_HINTS.iter().any(|h| attrs.contains(h)) {
                consider(el);
            }
        }
    }
    // Text saying 当前位置: its element and up to three ancestors (the links
    // are often siblings of a `<span>当前位置：</span>`).
    for node in doc.tree.nodes() {
        let Node::Text(t) = node.value() else {
            continue;
        };
        if !BREADCRUMB_MARKERS.iter().any(|m| t.contains(m)) {
            continue;
        }
        let mut up = node.parent();
        for _ in 0..4 {
            let Some(parent) = up else { break };
            let Some(el) = ElementRef::wrap(parent) else {
                break;
            };
            if matches!(el.value().name(), "body" | "html") || !consider(el) {
                break;
            }
            up = parent.parent();
        }
    }
    candidates.sort_by_key(|t| t.chars().count());
    for text in &candidates {
        let segments = breadcrumb_segments(text);
        if segments.is_empty() {
            continue;
        }
        if let Some(c) = segments.iter().find_map(|s| source.column_named(s)) {
            return Some(c);
        }
        // Else the last segment that is not the article's own title.
        let not_title = |s: &&String| {
            s.chars().count() <= 20
                && !title
                    .is_some_and(|t| !t.is_empty() && (t.contains(s.as_str()) || s.contains(t)))
        };
        if let Some(last) = segments.iter().rev().find(not_title) {
            return Some(last.clone());
        }
    }
    None
}

const BODY_SELECTORS: &[&str] = &[
    "#zoom",
    ".TRS_Editor",
    ".article-content",
    ".article_content",
    ".arti-content",
    ".arti_content",
    ".news-content",
    ".news_content",
    ".v_news_content",
    ".detail-content",
    ".detail_content",
    "#content",
    ".content",
    "article",
];

fn find_text(doc: &Html) -> String {
    for s in BODY_SELECTORS {
        let Some(sel) = selector(s) else { continue };
        if let Some(el) = doc.select(&sel).next() {
            let t = clean(&visible_text(el));
            if fingerprint::normalise(&t).chars().count() >= fingerprint::MIN_TEXT_CHARS {
                return t;
            }
        }
    }
    // Else the element holding the most paragraph text (articles are written
    // in `<p>`s; navigation and footers are not).
    if let Some(p_sel) = selector("p") {
        let mut totals = HashMap::new();
        for p in doc.select(&p_sel) {
            let Some(parent) = p.parent_element() else {
                continue;
            };
            let n = fingerprint::normalise(&visible_text(p)).chars().count();
            totals.entry(parent.opaque()).or_insert((parent, 0usize)).1 += n;
        }
        if let Some((el, n)) = totals.into_values().max_by_key(|(_, n)| *n)
            && n >= fingerprint::MIN_TEXT_CHARS
        {
            return clean(&visible_text(el));
        }
    }
    selector("body")
        .and_then(|sel| doc.select(&sel).next().map(|b| clean(&visible_text(b))))
        .unwrap_or_default()
}

/// Reads what a decoded page shows, for an article of `source`.
pub fn extract(html: &str, source: &SourceRules) -> PageFacts {
    let doc = Html::parse_document(html);
    let page_text = selector("body")
        .and_then(|sel| doc.select(&sel).next().map(|b| clean(&visible_text(b))))
        .unwrap_or_default();
    let title = find_title(&doc, source);
    PageFacts {
        published_at: find_published_at(&doc, &page_text),
        column: find_column(&doc, source, title.as_deref()).map(|c| truncate(&c, 64)),
        title,
        text: find_text(&doc),
    }
}
