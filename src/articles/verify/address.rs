//! Which addresses the server may fetch article pages from (SPEC §A rule 8:
//! "only hosts of configured sources — never any other host").
//!
//! A page is fetched only from a public address: loopback, private,
//! link-local, shared (CGNAT), unspecified, multicast, broadcast, reserved and
//! documentation ranges are refused, in IPv4 and IPv6 alike, and so are IPv6
//! forms that embed such an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`,
//! IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`).
//!
//! A source configured with `allow_private_network` (tests against a local
//! mock server; refused in production) may use loopback and private
//! addresses, never the others (link-local holds cloud metadata services).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

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

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn classify_v4(ip: Ipv4Addr) -> Option<Refusal> {
    use Refusal::*;
    let table: &[([u8; 4], u32, Refusal)] = &[
        ([0, 0, 0, 0], 8, Unspecified),
        ([10, 0, 0, 0], 8, Private),
        ([100, 64, 0, 0], 10, SharedAddressSpace),
        ([127, 0, 0, 0], 8, Loopback),
        ([169, 254, 0, 0], 16, LinkLocal),
        ([172, 16, 0, 0], 12, Private),
        ([192, 0, 0, 0], 24, Reserved),
        ([192, 0, 2, 0], 24, Documentation),
        ([192, 88, 99, 0], 24, Reserved),
        ([192, 168, 0, 0], 16, Private),
        ([198, 18, 0, 0], 15, Reserved),
        ([198, 51, 100, 0], 24, Documentation),
        ([203, 0, 113, 0], 24, Documentation),
        ([224, 0, 0, 0], 4, Multicast),
        ([255, 255, 255, 255], 32, Broadcast),
        ([240, 0, 0, 0], 4, Reserved),
    ];
    table
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map(|(_, _, r)| *r)
}

fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let o = ip.octets();
    let tail = || Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    match s {
        // IPv4-mapped ::ffff:a.b.c.d
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(tail()),
        // IPv4-compatible ::a.b.c.d (deprecated), not :: or ::1
        [0, 0, 0, 0, 0, 0, hi, lo] if hi != 0 || lo > 1 => Some(tail()),
        // NAT64 well-known prefix 64:ff9b::/96
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(tail()),
        // 6to4 2002:aabb:ccdd::/48
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo))),
        _ => None,
    }
}

fn classify_v6(ip: Ipv6Addr) -> Option<Refusal> {
    use Refusal::*;
    if ip.is_unspecified() {
        return Some(Unspecified);
    }
    if ip.is_loopback() {
        return Some(Loopback);
    }
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let s = ip.segments();
    match s[0] {
        x if x & 0xfe00 == 0xfc00 => Some(Private), // unique local fc00::/7
        x if x & 0xffc0 == 0xfe80 => Some(LinkLocal), // fe80::/10
        x if x & 0xffc0 == 0xfec0 => Some(Private), // site-local fec0::/10 (deprecated)
        x if x & 0xff00 == 0xff00 => Some(Multicast), // ff00::/8
        0x2001 if s[1] == 0x0db8 => Some(Documentation),
        0x2001 if s[1] == 0 => Some(Reserved), // Teredo 2001::/32
        0x0100 if s[1..4] == [0, 0, 0] => Some(Reserved), // discard 100::/64
        _ => None,
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
