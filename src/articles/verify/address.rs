//! Which addresses the server may fetch article pages from (SPEC §A rule 8:
//! "only hosts of configured sources — never any other host").
//!
//! A page is fetched only from a public unicast address. Refused are every
//! entry of the IANA IPv4 and IPv6 Special-Purpose Address Registries
//! (RFC 6890 and the RFCs that added entries since), IPv4 multicast, and IPv6
//! outside the global unicast space `2000::/3`: loopback, private, link-local,
//! shared (CGNAT), "this network", broadcast, documentation, benchmarking,
//! reserved and protocol-specific blocks (anycast services, AS112, AMT,
//! ORCHID, SRv6, discard, …) — none of them is a public web server.
//!
//! IPv6 forms that carry an IPv4 address are judged by that address, so a
//! loopback or private IPv4 cannot be reached by writing it in IPv6:
//! IPv4-mapped `::ffff:0:0/96`, IPv4-translated `::ffff:0:0:0/96` (RFC 2765),
//! IPv4-compatible `::/96` (deprecated, RFC 4291), NAT64 `64:ff9b::/96`
//! (RFC 6052) and 6to4 `2002::/16` (RFC 3056). Teredo `2001::/32` (RFC 4380)
//! is judged by the client address it carries (bit-inverted in its last 32
//! bits) and refused in any case; the local-use NAT64 prefix `64:ff9b:1::/48`
//! (RFC 8215) is refused whatever it carries, since where the IPv4 address
//! sits depends on the prefix length the local operator chose.
//!
//! Ranges are [`ipnet`] networks; the most specific entry containing the
//! address decides (the registries nest, e.g. `2001::/32` inside `2001::/23`).
//!
//! A source configured with `allow_private_network` (tests against a local
//! mock server; refused in production) may use loopback, private and shared
//! addresses, never the others (link-local holds cloud metadata services).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

/// Why an address is not fetched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Loopback,
    Private,
    LinkLocal,
    SharedAddressSpace,
    Unspecified,
    Multicast,
    Broadcast,
    Reserved,
    Documentation,
    /// Network benchmarking (198.18.0.0/15, 2001:2::/48).
    Benchmarking,
    /// A block the IETF set aside for one protocol (anycast services, AS112,
    /// AMT, Teredo, ORCHID, SRv6, discard, NAT64 local use, …).
    SpecialPurpose,
}

impl Refusal {
    /// Chinese name of the range, for the failure reason.
    pub fn label(self) -> &'static str {
        match self {
            Self::Loopback => "本机回环地址",
            Self::Private => "内网私有地址",
            Self::LinkLocal => "链路本地地址",
            Self::SharedAddressSpace => "运营商级 NAT 共享地址",
            Self::Unspecified => "未指定地址",
            Self::Multicast => "组播地址",
            Self::Broadcast => "广播地址",
            Self::Reserved => "保留地址",
            Self::Documentation => "文档示例地址",
            Self::Benchmarking => "网络基准测试地址",
            Self::SpecialPurpose => "协议专用的特殊用途地址",
        }
    }

    /// Whether `allow_private_network` lifts this refusal.
    fn lifted_by_private_network(self) -> bool {
        matches!(
            self,
            Self::Loopback | Self::Private | Self::SharedAddressSpace
        )
    }
}

const fn v4(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), prefix)
}

const fn v6(s: [u16; 8], prefix: u8) -> Ipv6Net {
    Ipv6Net::new_assert(
        Ipv6Addr::new(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]),
        prefix,
    )
}

/// The IANA IPv4 Special-Purpose Address Registry, every entry, and IPv4
/// multicast (its own registry, RFC 5771).
const V4: &[(Ipv4Net, Refusal)] = {
    use Refusal::*;
    &[
        (v4(0, 0, 0, 0, 8), Unspecified),  // "This network", RFC 791
        (v4(0, 0, 0, 0, 32), Unspecified), // "This host on this network", RFC 1122
        (v4(10, 0, 0, 0, 8), Private),     // Private-Use, RFC 1918
        (v4(100, 64, 0, 0, 10), SharedAddressSpace), // RFC 6598
        (v4(127, 0, 0, 0, 8), Loopback),   // RFC 1122
        (v4(169, 254, 0, 0, 16), LinkLocal), // RFC 3927
        (v4(172, 16, 0, 0, 12), Private),  // RFC 1918
        (v4(192, 0, 0, 0, 24), SpecialPurpose), // IETF Protocol Assignments, RFC 6890
        (v4(192, 0, 0, 0, 29), SpecialPurpose), // IPv4 Service Continuity Prefix, RFC 7335
        (v4(192, 0, 0, 8, 32), SpecialPurpose), // IPv4 dummy address, RFC 7600
        (v4(192, 0, 0, 9, 32), SpecialPurpose), // Port Control Protocol Anycast, RFC 7723
        (v4(192, 0, 0, 10, 32), SpecialPurpose), // TURN Anycast, RFC 8155
        (v4(192, 0, 0, 170, 32), SpecialPurpose), // NAT64/DNS64 Discovery, RFC 8880
        (v4(192, 0, 0, 171, 32), SpecialPurpose), // NAT64/DNS64 Discovery, RFC 8880
        (v4(192, 0, 2, 0, 24), Documentation), // TEST-NET-1, RFC 5737
        (v4(192, 31, 196, 0, 24), SpecialPurpose), // AS112-v4, RFC 7535
        (v4(192, 52, 193, 0, 24), SpecialPurpose), // AMT, RFC 7450
        (v4(192, 88, 99, 0, 24), SpecialPurpose), // Deprecated 6to4 Relay Anycast, RFC 7526
        (v4(192, 168, 0, 0, 16), Private), // RFC 1918
        (v4(192, 175, 48, 0, 24), SpecialPurpose), // Direct Delegation AS112 Service, RFC 7534
        (v4(198, 18, 0, 0, 15), Benchmarking), // RFC 2544
        (v4(198, 51, 100, 0, 24), Documentation), // TEST-NET-2, RFC 5737
        (v4(203, 0, 113, 0, 24), Documentation), // TEST-NET-3, RFC 5737
        (v4(224, 0, 0, 0, 4), Multicast),  // RFC 5771
        (v4(240, 0, 0, 0, 4), Reserved),   // RFC 1112
        (v4(255, 255, 255, 255, 32), Broadcast), // Limited Broadcast, RFC 8190
    ]
};

/// How an IPv6 block is judged.
#[derive(Clone, Copy)]
enum V6Rule {
    /// Refused for what the block is.
    Is(Refusal),
    /// Judged by the IPv4 address it carries; when that address is public,
    /// refused with `otherwise` (or fetched when `None`).
    Carries {
        ipv4: fn(Ipv6Addr) -> Ipv4Addr,
        otherwise: Option<Refusal>,
    },
}

/// The last 32 bits (mapped, translated, compatible, NAT64 /96).
fn last_32(ip: Ipv6Addr) -> Ipv4Addr {
    Ipv4Addr::from(ip.to_bits() as u32)
}

/// 6to4 `2002:AABB:CCDD::/48` carries AA.BB.CC.DD in bits 16..48.
fn six_to_four(ip: Ipv6Addr) -> Ipv4Addr {
    Ipv4Addr::from((ip.to_bits() >> 80) as u32)
}

/// Teredo carries the client's public IPv4 address, bit-inverted, in its
/// last 32 bits (RFC 4380 §4).
fn teredo_client(ip: Ipv6Addr) -> Ipv4Addr {
    Ipv4Addr::from(!(ip.to_bits() as u32))
}

const fn carries(ipv4: fn(Ipv6Addr) -> Ipv4Addr) -> V6Rule {
    V6Rule::Carries {
        ipv4,
        otherwise: None,
    }
}

/// The IANA IPv6 Special-Purpose Address Registry, every entry, the forms
/// that carry IPv4 addresses, and the non-global blocks of the IPv6 Address
/// Space registry. Addresses outside all of them and outside `2000::/3` are
/// [`Refusal::Reserved`].
const V6: &[(Ipv6Net, V6Rule)] = {
    use Refusal::*;
    use V6Rule::Is;
    &[
        (v6([0, 0, 0, 0, 0, 0, 0, 0], 128), Is(Unspecified)), // RFC 4291
        (v6([0, 0, 0, 0, 0, 0, 0, 1], 128), Is(Loopback)),    // RFC 4291
        (v6([0, 0, 0, 0, 0, 0, 0, 0], 96), carries(last_32)), // IPv4-compatible (deprecated), RFC 4291
        (v6([0, 0, 0, 0, 0, 0xffff, 0, 0], 96), carries(last_32)), // IPv4-mapped, RFC 4291
        (v6([0, 0, 0, 0, 0xffff, 0, 0, 0], 96), carries(last_32)), // IPv4-translated, RFC 2765
        (v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96), carries(last_32)), // NAT64 well-known, RFC 6052
        (v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48), Is(SpecialPurpose)), // NAT64 local use, RFC 8215
        (v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64), Is(SpecialPurpose)), // Discard-Only, RFC 6666
        (v6([0x100, 0, 0, 1, 0, 0, 0, 0], 64), Is(SpecialPurpose)), // Dummy IPv6 Prefix, RFC 9780
        (v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), Is(SpecialPurpose)), // IETF Protocol Assignments, RFC 2928
        (
            v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 32), // Teredo, RFC 4380
            V6Rule::Carries {
                ipv4: teredo_client,
                otherwise: Some(SpecialPurpose),
            },
        ),
        (v6([0x2001, 1, 0, 0, 0, 0, 0, 1], 128), Is(SpecialPurpose)), // PCP Anycast, RFC 7723
        (v6([0x2001, 1, 0, 0, 0, 0, 0, 2], 128), Is(SpecialPurpose)), // TURN Anycast, RFC 8155
        (v6([0x2001, 1, 0, 0, 0, 0, 0, 3], 128), Is(SpecialPurpose)), // DNS-SD SRP Anycast, RFC 9665
        (v6([0x2001, 2, 0, 0, 0, 0, 0, 0], 48), Is(Benchmarking)),    // RFC 5180
        (v6([0x2001, 3, 0, 0, 0, 0, 0, 0], 32), Is(SpecialPurpose)),  // AMT, RFC 7450
        (
            v6([0x2001, 4, 0x112, 0, 0, 0, 0, 0], 48),
            Is(SpecialPurpose),
        ), // AS112-v6, RFC 7535
        (v6([0x2001, 0x10, 0, 0, 0, 0, 0, 0], 28), Is(SpecialPurpose)), // Deprecated ORCHID, RFC 4843
        (v6([0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28), Is(SpecialPurpose)), // ORCHIDv2, RFC 7343
        (v6([0x2001, 0x30, 0, 0, 0, 0, 0, 0], 28), Is(SpecialPurpose)), // Drone Remote ID DETs, RFC 9374
        (v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), Is(Documentation)), // RFC 3849
        (v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16), carries(six_to_four)),  // 6to4, RFC 3056
        (
            v6([0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0], 48),
            Is(SpecialPurpose),
        ), // Direct Delegation AS112, RFC 7534
        (v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), Is(Documentation)),     // RFC 9637
        (v6([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16), Is(SpecialPurpose)),    // SRv6 SIDs, RFC 9602
        (v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7), Is(Private)),            // Unique-Local, RFC 4193
        (v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10), Is(LinkLocal)),         // RFC 4291
        (v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10), Is(Private)), // Site-local (deprecated), RFC 3879
        (v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8), Is(Multicast)), // RFC 4291
    ]
};

/// Global unicast, the only IPv6 space IANA allocates from (RFC 4291).
const GLOBAL_UNICAST: Ipv6Net = v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3);

fn classify_v4(ip: Ipv4Addr) -> Option<Refusal> {
    V4.iter()
        .filter(|(net, _)| net.contains(&ip))
        .max_by_key(|(net, _)| net.prefix_len())
        .map(|(_, r)| *r)
}

fn classify_v6(ip: Ipv6Addr) -> Option<Refusal> {
    let rule = V6
        .iter()
        .filter(|(net, _)| net.contains(&ip))
        .max_by_key(|(net, _)| net.prefix_len())
        .map(|(_, rule)| *rule);
    match rule {
        Some(V6Rule::Is(r)) => Some(r),
        Some(V6Rule::Carries { ipv4, otherwise }) => classify_v4(ipv4(ip)).or(otherwise),
        None if GLOBAL_UNICAST.contains(&ip) => None,
        None => Some(Refusal::Reserved),
    }
}

/// The range an address belongs to, when it is not a public unicast address.
pub fn classify(ip: IpAddr) -> Option<Refusal> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// Whether the server may connect to `ip` for a source with this setting.
pub fn check(ip: IpAddr, allow_private_network: bool) -> Result<(), Refusal> {
    match classify(ip) {
        None => Ok(()),
        Some(r) if allow_private_network && r.lifted_by_private_network() => Ok(()),
        Some(r) => Err(r),
    }
}
