//! The page fetcher's address check (SPEC §A rule 8) against the IANA IPv4
//! and IPv6 Special-Purpose Address Registries: every entry refused, the
//! addresses just outside fetched, and every IPv6 form that carries an IPv4
//! address (mapped, translated, compatible, NAT64, 6to4, Teredo) judged by
//! that address — `::ffff:0:7f00:1` (issue 10) included.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use association::articles::rules::{HostPattern, SourceKind, SourceRules};
use association::articles::verify::address::{self, Refusal};
use association::articles::verify::{FetchFailure, FetchOptions, Fetcher};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::articles::world;
use crate::verification::{reason, submit};

use Refusal::*;

const PUBLIC: Option<Refusal> = None;

fn class(ip: &str) -> Option<Refusal> {
    let ip: IpAddr = ip.parse().unwrap_or_else(|_| panic!("{ip} parses"));
    address::classify(ip)
}

fn assert_table(table: &[(&str, Option<Refusal>)]) {
    let wrong: Vec<String> = table
        .iter()
        .filter(|(ip, expected)| class(ip) != *expected)
        .map(|(ip, expected)| format!("{ip}: expected {expected:?}, got {:?}", class(ip)))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for (ip, expected) in table {
        let ip: IpAddr = ip.parse().unwrap();
        assert_eq!(
            address::check(ip, false),
            expected.map_or(Ok(()), Err),
            "{ip}"
        );
    }
}

#[test]
fn every_entry_of_the_iana_ipv4_special_purpose_registry_is_refused_and_its_neighbours_are_not() {
    assert_table(&[
        // 0.0.0.0/8 "This network", 0.0.0.0/32 "This host on this network"
        ("0.0.0.0", Some(Unspecified)),
        ("0.1.2.3", Some(Unspecified)),
        ("0.255.255.255", Some(Unspecified)),
        ("1.0.0.0", PUBLIC),
        // 10.0.0.0/8 Private-Use
        ("9.255.255.255", PUBLIC),
        ("10.0.0.0", Some(Private)),
        ("10.255.255.255", Some(Private)),
        ("11.0.0.0", PUBLIC),
        // 100.64.0.0/10 Shared Address Space
        ("100.63.255.255", PUBLIC),
        ("100.64.0.0", Some(SharedAddressSpace)),
        ("100.127.255.255", Some(SharedAddressSpace)),
        ("100.128.0.0", PUBLIC),
        // 127.0.0.0/8 Loopback
        ("126.255.255.255", PUBLIC),
        ("127.0.0.1", Some(Loopback)),
        ("127.255.255.255", Some(Loopback)),
        ("128.0.0.0", PUBLIC),
        // 169.254.0.0/16 Link Local
        ("169.253.255.255", PUBLIC),
        ("169.254.0.0", Some(LinkLocal)),
        ("169.254.169.254", Some(LinkLocal)),
        ("169.254.255.255", Some(LinkLocal)),
        ("169.255.0.0", PUBLIC),
        // 172.16.0.0/12 Private-Use
        ("172.15.255.255", PUBLIC),
        ("172.16.0.0", Some(Private)),
        ("172.31.255.255", Some(Private)),
        ("172.32.0.0", PUBLIC),
        // 192.0.0.0/24 IETF Protocol Assignments and its entries
        ("191.255.255.255", PUBLIC),
        ("192.0.0.0", Some(SpecialPurpose)), // 192.0.0.0/29 IPv4 Service Continuity
        ("192.0.0.7", Some(SpecialPurpose)), // 192.0.0.0/29
        ("192.0.0.8", Some(SpecialPurpose)), // IPv4 dummy address
        ("192.0.0.9", Some(SpecialPurpose)), // PCP Anycast
        ("192.0.0.10", Some(SpecialPurpose)), // TURN Anycast
        ("192.0.0.170", Some(SpecialPurpose)), // NAT64/DNS64 Discovery
        ("192.0.0.171", Some(SpecialPurpose)), // NAT64/DNS64 Discovery
        ("192.0.0.255", Some(SpecialPurpose)),
        ("192.0.1.0", PUBLIC),
        // 192.0.2.0/24 Documentation (TEST-NET-1)
        ("192.0.1.255", PUBLIC),
        ("192.0.2.0", Some(Documentation)),
        ("192.0.2.255", Some(Documentation)),
        ("192.0.3.0", PUBLIC),
        // 192.31.196.0/24 AS112-v4
        ("192.31.195.255", PUBLIC),
        ("192.31.196.1", Some(SpecialPurpose)),
        ("192.31.197.0", PUBLIC),
        // 192.52.193.0/24 AMT
        ("192.52.192.255", PUBLIC),
        ("192.52.193.1", Some(SpecialPurpose)),
        ("192.52.194.0", PUBLIC),
        // 192.88.99.0/24 Deprecated (6to4 Relay Anycast)
        ("192.88.98.255", PUBLIC),
        ("192.88.99.1", Some(SpecialPurpose)),
        ("192.88.100.0", PUBLIC),
        // 192.168.0.0/16 Private-Use
        ("192.167.255.255", PUBLIC),
        ("192.168.0.0", Some(Private)),
        ("192.168.255.255", Some(Private)),
        ("192.169.0.0", PUBLIC),
        // 192.175.48.0/24 Direct Delegation AS112 Service
        ("192.175.47.255", PUBLIC),
        ("192.175.48.1", Some(SpecialPurpose)),
        ("192.175.49.0", PUBLIC),
        // 198.18.0.0/15 Benchmarking
        ("198.17.255.255", PUBLIC),
        ("198.18.0.0", Some(Benchmarking)),
        ("198.19.255.255", Some(Benchmarking)),
        ("198.20.0.0", PUBLIC),
        // 198.51.100.0/24 Documentation (TEST-NET-2)
        ("198.51.99.255", PUBLIC),
        ("198.51.100.1", Some(Documentation)),
        ("198.51.101.0", PUBLIC),
        // 203.0.113.0/24 Documentation (TEST-NET-3)
        ("203.0.112.255", PUBLIC),
        ("203.0.113.1", Some(Documentation)),
        ("203.0.114.0", PUBLIC),
        // 224.0.0.0/4 multicast (IPv4 Multicast Address Space Registry)
        ("223.255.255.255", PUBLIC),
        ("224.0.0.1", Some(Multicast)),
        ("239.255.255.255", Some(Multicast)),
        // 240.0.0.0/4 Reserved, 255.255.255.255/32 Limited Broadcast
        ("240.0.0.0", Some(Reserved)),
        ("255.255.255.254", Some(Reserved)),
        ("255.255.255.255", Some(Broadcast)),
        // Ordinary public servers
        ("1.1.1.1", PUBLIC),
        ("114.114.114.114", PUBLIC),
        ("202.115.32.1", PUBLIC),
    ]);
}

#[test]
fn every_entry_of_the_iana_ipv6_special_purpose_registry_is_refused_and_its_neighbours_are_not() {
    assert_table(&[
        // ::/128 Unspecified, ::1/128 Loopback
        ("::", Some(Unspecified)),
        ("::1", Some(Loopback)),
        // ::ffff:0:0/96 IPv4-mapped (judged by the IPv4 address)
        ("::ffff:0.0.0.0", Some(Unspecified)),
        ("::ffff:127.0.0.1", Some(Loopback)),
        ("::ffff:1.1.1.1", PUBLIC),
        ("::fffe:ffff:ffff", Some(Reserved)), // just below: outside 2000::/3
        ("::1:0:0:0", Some(Reserved)),        // just above
        // ::ffff:0:0:0/96 IPv4-translated (RFC 2765)
        ("::ffff:0:7f00:1", Some(Loopback)),
        ("::ffff:0:0a00:1", Some(Private)),
        ("::ffff:0:101:101", PUBLIC),
        ("::ffff:1:0:0", Some(Reserved)),
        // ::/96 IPv4-compatible (deprecated)
        ("::2", Some(Unspecified)), // 0.0.0.2
        ("::127.0.0.2", Some(Loopback)),
        ("::10.1.2.3", Some(Private)),
        ("::1.1.1.1", PUBLIC),
        ("::1:0:0", Some(Reserved)),
        // 64:ff9b::/96 IPv4-IPv6 Translation (NAT64 well-known prefix)
        ("64:ff9b::127.0.0.1", Some(Loopback)),
        ("64:ff9b::192.168.0.1", Some(Private)),
        ("64:ff9b::169.254.169.254", Some(LinkLocal)),
        ("64:ff9b::1.1.1.1", PUBLIC),
        ("64:ff9b::1:0:0", Some(Reserved)), // outside the /96
        // 64:ff9b:1::/48 IPv4-IPv6 Translation, local use: refused whatever it carries
        ("64:ff9b:1::1.1.1.1", Some(SpecialPurpose)),
        ("64:ff9b:1::127.0.0.1", Some(SpecialPurpose)),
        ("64:ff9b:1:ffff:ffff:ffff:ffff:ffff", Some(SpecialPurpose)),
        ("64:ff9b:2::", Some(Reserved)),
        // 100::/64 Discard-Only, 100:0:0:1::/64 Dummy IPv6 Prefix
        ("100::", Some(SpecialPurpose)),
        ("100::ffff:ffff:ffff:ffff", Some(SpecialPurpose)),
        ("100:0:0:1::1", Some(SpecialPurpose)),
        ("100:0:0:1:ffff:ffff:ffff:ffff", Some(SpecialPurpose)),
        ("100:0:0:2::", Some(Reserved)),
        // 2001::/23 IETF Protocol Assignments
        ("2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", PUBLIC),
        ("2001:100::1", Some(SpecialPurpose)),
        (
            "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff",
            Some(SpecialPurpose),
        ),
        ("2001:200::1", PUBLIC),
        // 2001::/32 Teredo: judged by the client address it carries, refused anyway
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", Some(Documentation)), // client 192.0.2.45
        ("2001:0:4136:e378:8000:63bf:fefe:fefe", Some(SpecialPurpose)), // client 1.1.1.1
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", Some(Loopback)),      // client 127.0.0.1
        // 2001:1::1 PCP, 2001:1::2 TURN, 2001:1::3 DNS-SD SRP anycast
        ("2001:1::1", Some(SpecialPurpose)),
        ("2001:1::2", Some(SpecialPurpose)),
        ("2001:1::3", Some(SpecialPurpose)),
        // 2001:2::/48 Benchmarking (and just outside it, still in 2001::/23)
        ("2001:2::1", Some(Benchmarking)),
        ("2001:2:0:ffff:ffff:ffff:ffff:ffff", Some(Benchmarking)),
        ("2001:2:1::", Some(SpecialPurpose)),
        // 2001:3::/32 AMT, 2001:4:112::/48 AS112-v6
        ("2001:3::1", Some(SpecialPurpose)),
        ("2001:3:ffff::1", Some(SpecialPurpose)),
        ("2001:4:112::1", Some(SpecialPurpose)),
        // 2001:10::/28 deprecated ORCHID, 2001:20::/28 ORCHIDv2, 2001:30::/28 DETs
        ("2001:10::1", Some(SpecialPurpose)),
        ("2001:20::1", Some(SpecialPurpose)),
        ("2001:30::1", Some(SpecialPurpose)),
        ("2001:3f:ffff::1", Some(SpecialPurpose)),
        // 2001:db8::/32 Documentation
        ("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", PUBLIC),
        ("2001:db8::1", Some(Documentation)),
        (
            "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
            Some(Documentation),
        ),
        ("2001:db9::", PUBLIC),
        // 2002::/16 6to4 (judged by the IPv4 address)
        ("2002:7f00:1::1", Some(Loopback)),
        ("2002:a00:1::1", Some(Private)),
        ("2002:a9fe:a9fe::1", Some(LinkLocal)),
        ("2002:101:101::1", PUBLIC),
        ("2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", PUBLIC),
        ("2003::1", PUBLIC),
        // 2620:4f:8000::/48 Direct Delegation AS112 Service
        ("2620:4f:7fff:ffff:ffff:ffff:ffff:ffff", PUBLIC),
        ("2620:4f:8000::1", Some(SpecialPurpose)),
        ("2620:4f:8001::", PUBLIC),
        // 3fff::/20 Documentation
        ("3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", PUBLIC),
        ("3fff::1", Some(Documentation)),
        (
            "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff",
            Some(Documentation),
        ),
        ("3fff:1000::", PUBLIC),
        // 5f00::/16 SRv6 SIDs (outside 2000::/3 on both sides)
        ("5eff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Reserved)),
        ("5f00::1", Some(SpecialPurpose)),
        ("5f01::", Some(Reserved)),
        // fc00::/7 Unique-Local
        ("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Reserved)),
        ("fc00::1", Some(Private)),
        ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Private)),
        ("fe00::", Some(Reserved)),
        // fe80::/10 Link-Local Unicast, fec0::/10 site-local (deprecated)
        ("fe80::1", Some(LinkLocal)),
        ("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(LinkLocal)),
        ("fec0::1", Some(Private)),
        // ff00::/8 multicast
        ("ff00::", Some(Multicast)),
        ("ff02::1", Some(Multicast)),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Multicast)),
        // Outside global unicast 2000::/3: never a public web server
        ("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Reserved)),
        ("2000::", PUBLIC),
        ("3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", PUBLIC),
        ("4000::", Some(Reserved)),
        ("8000::1", Some(Reserved)),
        // Ordinary public servers
        ("2400:3200::1", PUBLIC),
        ("2408:8000:1010:1::6", PUBLIC),
        ("2001:4860:4860::8888", PUBLIC),
    ]);
}

/// An IPv6 spelling of an IPv4 address.
type Form = fn(Ipv4Addr) -> Ipv6Addr;

fn mapped(v4: Ipv4Addr) -> Ipv6Addr {
    v4.to_ipv6_mapped()
}
fn translated(v4: Ipv4Addr) -> Ipv6Addr {
    Ipv6Addr::from_bits((0xffff_u128 << 48) | u128::from(v4.to_bits()))
}
fn compatible(v4: Ipv4Addr) -> Ipv6Addr {
    v4.to_ipv6_compatible()
}
fn nat64(v4: Ipv4Addr) -> Ipv6Addr {
    Ipv6Addr::from_bits((0x64_ff9b_u128 << 96) | u128::from(v4.to_bits()))
}
fn six_to_four(v4: Ipv4Addr) -> Ipv6Addr {
    Ipv6Addr::from_bits((0x2002_u128 << 112) | (u128::from(v4.to_bits()) << 80) | 1)
}
/// Teredo server 65.54.227.120, cone flag, port 40000, client `v4`.
fn teredo(client: Ipv4Addr) -> Ipv6Addr {
    let server: u32 = Ipv4Addr::new(65, 54, 227, 120).to_bits();
    Ipv6Addr::from_bits(
        (0x2001_0000_u128 << 96)
            | (u128::from(server) << 64)
            | (0x8000_u128 << 48)
            | (u128::from(!40000_u16) << 32)
            | u128::from(!client.to_bits()),
    )
}

#[test]
fn ipv6_forms_of_an_ipv4_address_are_judged_by_that_address() {
    let cases = [
        ("127.0.0.1", Some(Loopback)),
        ("127.1.2.3", Some(Loopback)),
        ("10.0.0.1", Some(Private)),
        ("172.16.5.4", Some(Private)),
        ("192.168.1.1", Some(Private)),
        ("100.64.0.1", Some(SharedAddressSpace)),
        ("169.254.169.254", Some(LinkLocal)),
        ("192.0.0.170", Some(SpecialPurpose)),
        ("203.0.113.9", Some(Documentation)),
        ("1.1.1.1", PUBLIC),
        ("114.114.114.114", PUBLIC),
    ];
    let forms: [(&str, Form); 5] = [
        ("mapped", mapped),
        ("translated", translated),
        ("compatible", compatible),
        ("NAT64", nat64),
        ("6to4", six_to_four),
    ];
    for (v4, expected) in cases {
        let v4: Ipv4Addr = v4.parse().unwrap();
        assert_eq!(address::classify(IpAddr::V4(v4)), expected, "{v4}");
        for (form, make) in forms {
            let v6 = IpAddr::V6(make(v4));
            assert_eq!(address::classify(v6), expected, "{form} {v4} = {v6}");
            for allow in [false, true] {
                assert_eq!(
                    address::check(v6, allow),
                    address::check(IpAddr::V4(v4), allow),
                    "{form} {v4} = {v6}, allow_private_network {allow}"
                );
            }
        }
        // Teredo carries the client address; a public one is still refused.
        let t = IpAddr::V6(teredo(v4));
        assert_eq!(
            address::classify(t),
            expected.or(Some(SpecialPurpose)),
            "Teredo {v4} = {t}"
        );
    }
    // Spellings of the same addresses.
    assert_eq!(
        mapped(Ipv4Addr::LOCALHOST),
        "::ffff:7f00:1".parse::<Ipv6Addr>().unwrap()
    );
    assert_eq!(
        translated(Ipv4Addr::LOCALHOST),
        "::ffff:0:7f00:1".parse::<Ipv6Addr>().unwrap()
    );
    assert_eq!(
        six_to_four(Ipv4Addr::new(10, 0, 0, 1)),
        "2002:a00:1::1".parse::<Ipv6Addr>().unwrap()
    );
}

#[test]
fn the_ipv4_translated_loopback_of_the_issue_is_refused() {
    let ip: IpAddr = "::ffff:0:7f00:1".parse().unwrap();
    assert_eq!(address::check(ip, false), Err(Loopback));
    assert_eq!(
        address::check("::ffff:0:a00:1".parse().unwrap(), false),
        Err(Private)
    );
    // The special-purpose ranges are never lifted by allow_private_network.
    for ip in [
        "192.0.0.170",
        "2001:2::1",
        "64:ff9b:1::1",
        "5f00::1",
        "4000::1",
    ] {
        assert!(
            address::check(ip.parse().unwrap(), true).is_err(),
            "{ip} refused even for a local test source"
        );
    }
}

fn rules(hosts: &[String], allow_private_network: bool) -> SourceRules {
    SourceRules {
        id: 1,
        name: "四川省高校后勤协会网".into(),
        kind: SourceKind::Official,
        hosts: hosts
            .iter()
            .map(|h| HostPattern::parse(h).unwrap())
            .collect(),
        columns: vec![],
        years: vec![],
        from_year: None,
        until_year: None,
        needs_confirmation: false,
        allow_private_network,
    }
}

/// A mock site on 127.0.0.1 reached through IPv6 spellings of its address.
async fn local_site() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw("<title>内网</title>".as_bytes().to_vec(), "text/html"),
        )
        .mount(&server)
        .await;
    server
}

const LOOPBACK_FORMS: [&str; 5] = [
    "::ffff:127.0.0.1",   // mapped
    "::ffff:0:7f00:1",    // translated (issue 10)
    "::127.0.0.1",        // compatible
    "64:ff9b::127.0.0.1", // NAT64
    "2002:7f00:1::1",     // 6to4
];

#[tokio::test]
async fn the_fetcher_refuses_ipv6_forms_of_loopback_before_connecting() {
    let server = local_site().await;
    let port = server.address().port();
    association::init_tls();
    let fetcher = Fetcher::new(FetchOptions::default()).unwrap();
    // The mapped form really leads to the local site: with the test-only
    // allowance, the page is fetched through it.
    let mapped_host = format!("[::ffff:127.0.0.1]:{port}");
    let url = url::Url::parse(&format!("http://{mapped_host}/a.html")).unwrap();
    let page = fetcher
        .fetch(&url, &rules(std::slice::from_ref(&mapped_host), true))
        .await
        .unwrap();
    assert_eq!(page.body, "<title>内网</title>".as_bytes());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    // Without it, every form is refused as loopback before any connection.
    for form in LOOPBACK_FORMS {
        let ip: IpAddr = form.parse().unwrap();
        let host = format!("[{form}]:{port}");
        let url = url::Url::parse(&format!("http://{host}/a.html")).unwrap();
        let err = fetcher
            .fetch(&url, &rules(&[host], false))
            .await
            .unwrap_err();
        assert!(
            matches!(err, FetchFailure::Refused { refusal: Loopback, ip: refused, .. } if refused == ip),
            "{form}: {err:?}"
        );
    }
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "no further request reached the local site"
    );
}

#[tokio::test]
async fn a_source_on_an_ipv6_form_of_loopback_leaves_the_article_pending_with_the_reason() {
    let w = world().await;
    let server = local_site().await;
    let port = server.address().port();
    for (i, form) in LOOPBACK_FORMS.iter().enumerate() {
        let host = format!("[{form}]:{port}");
        w.app
            .create_source(
                &w.admin,
                json!({"name": format!("IPv6 写法的本机网站 {i}"), "kind": "bonus", "hosts": [host]}),
            )
            .await;
        let a = submit(&w, &w.writer, &format!("http://{host}/news/{i}.html")).await;
        assert_eq!(a["status"], "pending", "{a}");
        assert_eq!(a["verification"]["status"], "failed", "{a}");
        let shown: IpAddr = form.parse().unwrap();
        assert!(
            reason(&a).contains("本机回环地址")
                && reason(&a).contains(&shown.to_string())
                && reason(&a).contains("未建立连接"),
            "{form}: {a}"
        );
    }
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        0,
        "refused before any connection"
    );
}
