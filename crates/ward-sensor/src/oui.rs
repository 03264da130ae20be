//! MAC address vendor lookup from the IEEE registry (`knowledge/oui/ieee-oui.tsv`).

use std::sync::OnceLock;

static DATA: &str = include_str!("../../../knowledge/oui/ieee-oui.tsv");

/// Sorted (prefix value, prefix bits, organisation) for 24-, 28- and 36-bit assignments.
struct Table {
    entries: Vec<(u64, u8, &'static str)>,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        let mut entries = Vec::with_capacity(42_000);
        for line in DATA.lines().filter(|l| !l.starts_with('#')) {
            let mut parts = line.splitn(3, '\t');
            let (Some(p), Some(b), Some(org)) = (parts.next(), parts.next(), parts.next()) else { continue };
            let (Ok(p), Ok(b)) = (u64::from_str_radix(p, 16), b.parse::<u8>()) else { continue };
            entries.push((p, b, org));
        }
        entries.sort_unstable_by_key(|e| (e.1, e.0));
        Table { entries }
    })
}

/// The organisation that registered the block containing `mac`, most specific block first.
/// Locally administered and group addresses have no vendor.
#[must_use]
pub fn vendor(mac: [u8; 6]) -> Option<&'static str> {
    if mac[0] & 0x03 != 0 {
        return None;
    }
    let v = mac.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b));
    let t = table();
    for bits in [36u8, 28, 24] {
        let prefix = v >> (48 - u32::from(bits));
        if let Ok(i) = t.entries.binary_search_by_key(&(bits, prefix), |e| (e.1, e.0)) {
            let org = t.entries[i].2;
            // Blocks of the large-block registry resold in smaller pieces say so; keep looking.
            if org != "IEEE Registration Authority" {
                return Some(org);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::vendor;

    #[test]
    fn known_blocks_resolve_and_local_addresses_do_not() {
        assert_eq!(vendor([0x44, 0x4b, 0x5d, 1, 2, 3]), Some("GE Healthcare"));
        assert_eq!(vendor([0x00, 0x00, 0x00, 1, 2, 3]), Some("XEROX CORPORATION"));
        assert_eq!(vendor([0x02, 0x42, 0xac, 0x11, 0, 2]), None, "locally administered");
        assert_eq!(vendor([0x01, 0x00, 0x5e, 0, 0, 1]), None, "multicast");
    }
}
