//! Fingerprints for likely duplicates (SPEC §A rule 9: "The same story on the
//! two official sites has two different URLs, so URL identity is not enough:
//! the server fingerprints the normalised title (and the page text where
//! fetched) and shows likely duplicates to the secretariat").
//!
//! - Titles are compared after [`normalise`]: the same words with other
//!   spacing or punctuation are the same title.
//! - Page text is compared by SimHash (64 bits) over character 3-shingles,
//!   which works for Chinese (no word segmentation needed): two texts whose
//!   fingerprints differ in at most [`NEAR_DUPLICATE_DISTANCE`] bits are
//!   near-identical.
//! - To find candidates with an index, a fingerprint is cut into four 16-bit
//!   bands ([`bands`]): two fingerprints within 3 bits of each other agree on
//!   at least one whole band (pigeonhole), so `band_i = ?` finds them all.

/// Hamming distance at or under which two page texts are "near-identical".
pub const NEAR_DUPLICATE_DISTANCE: u32 = 3;

/// Fewer normalised characters than this give no text fingerprint (a page
/// whose body could not be found is not evidence of anything).
pub const MIN_TEXT_CHARS: usize = 40;

/// Text reduced to what identifies it: full-width ASCII folded to
/// half-width, lower-case, and only letters and digits kept (Chinese
/// characters are letters; whitespace and every punctuation mark go).
pub fn normalise(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// The normalised title used to flag likely duplicates (same school, same
/// year): `None` when nothing is left.
pub fn title_key(title: &str) -> Option<String> {
    let n: String = normalise(title).chars().take(300).collect();
    (!n.is_empty()).then_some(n)
}

/// A stable 64-bit hash: FNV-1a, then the MurmurHash3 finaliser so that every
/// input bit spreads over all output bits (SimHash needs well-mixed bits).
/// Stable across builds and versions, as stored fingerprints require.
fn hash64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

/// SimHash (64 bits) of a text over its character 3-shingles, after
/// [`normalise`]. `None` for texts shorter than [`MIN_TEXT_CHARS`].
pub fn simhash(text: &str) -> Option<u64> {
    let chars: Vec<char> = normalise(text).chars().collect();
    if chars.len() < MIN_TEXT_CHARS {
        return None;
    }
    let mut weights = [0i64; 64];
    let mut buf = [0u8; 12];
    for w in chars.windows(3) {
        let mut n = 0;
        for c in w {
            n += c.encode_utf8(&mut buf[n..]).len();
        }
        let h = hash64(&buf[..n]);
        for (bit, weight) in weights.iter_mut().enumerate() {
            if (h >> bit) & 1 == 1 {
                *weight += 1;
            } else {
                *weight -= 1;
            }
        }
    }
    let mut out = 0u64;
    for (bit, weight) in weights.iter().enumerate() {
        if *weight > 0 {
            out |= 1 << bit;
        }
    }
    Some(out)
}

/// Number of differing bits.
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// Whether two page texts are near-identical (SimHash distance ≤ 3).
pub fn near_identical(a: u64, b: u64) -> bool {
    hamming(a, b) <= NEAR_DUPLICATE_DISTANCE
}

/// The four 16-bit bands of a fingerprint, low bits first.
pub fn bands(fp: u64) -> [i32; 4] {
    [0, 16, 32, 48].map(|shift| i32::from((fp >> shift) as u16))
}

/// A fingerprint as stored (the same 64 bits in a signed column).
pub fn to_stored(fp: u64) -> i64 {
    fp as i64
}

pub fn from_stored(fp: i64) -> u64 {
    fp as u64
}
