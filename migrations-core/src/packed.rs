//! The compact form in which `embed_migrations!` emits a script's statement ranges: one byte
//! string per script instead of one `start..end` expression per statement, because rustc's
//! type checking and const evaluation of thousands of small expressions dominated the build of
//! a crate embedding a long history.
//!
//! Each range is its start and end as unsigned LEB128 numbers (7 bits a byte, low bits first,
//! the high bit set on every byte but the last).
//!
//! ```
//! use migrations_core::packed;
//!
//! let ranges = vec![0..23, 25..300];
//! assert_eq!(packed::unpack(&packed::pack(&ranges)), ranges);
//! ```

use std::ops::Range;

/// Encodes `ranges`.
pub fn pack(ranges: &[Range<usize>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ranges.len() * 4);
    for range in ranges {
        push(&mut out, range.start);
        push(&mut out, range.end);
    }
    out
}

/// Decodes what [`pack`] encoded. The bytes come from the macro of the same crate version, so
/// they are well formed; a truncated trailing number is dropped rather than invented.
pub fn unpack(mut bytes: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    while let (Some(start), Some(end)) = (take(&mut bytes), take(&mut bytes)) {
        out.push(start..end);
    }
    out
}

fn push(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn take(bytes: &mut &[u8]) -> Option<usize> {
    let mut n = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        n |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            *bytes = &bytes[i + 1..];
            return Some(n);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_small_and_large_offsets() {
        let ranges = vec![0..0, 1..127, 128..16_384, 70_000..(1 << 31)];
        assert_eq!(unpack(&pack(&ranges)), ranges);
        assert!(unpack(&pack(&[])).is_empty());
        assert_eq!(pack(&[5..300, 1..2]), [5, 0xac, 0x02, 1, 2]);
    }
}
