//! Capture timestamps: nanoseconds since the Unix epoch, printed as RFC 3339 UTC.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A packet timestamp in nanoseconds since 1970-01-01T00:00:00Z.
///
/// Captures carry microsecond or nanosecond resolution; both fit without loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// From whole seconds and nanoseconds within the second (saturating).
    #[must_use]
    pub fn from_parts(secs: u64, nanos: u64) -> Timestamp {
        Timestamp(secs.saturating_mul(1_000_000_000).saturating_add(nanos))
    }

    /// Whole seconds since the epoch.
    #[must_use]
    pub fn secs(self) -> u64 {
        self.0 / 1_000_000_000
    }

    /// Nanoseconds since the epoch.
    #[must_use]
    pub fn nanos(self) -> u64 {
        self.0
    }

    /// The signed distance `self - earlier` in seconds, as a float (0 if `earlier` is later).
    #[must_use]
    pub fn seconds_since(self, earlier: Timestamp) -> f64 {
        self.0.saturating_sub(earlier.0) as f64 / 1e9
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
/// Howard Hinnant's `civil_from_days` algorithm (public domain description).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Longest RFC 3339 text of a timestamp: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (a `u64` of
/// nanoseconds ends in the year 2554, so the year always has four digits).
const TEXT_LEN: usize = 30;

impl Timestamp {
    /// Room [`Timestamp::text`] needs.
    pub const TEXT_LEN: usize = TEXT_LEN;

    /// The RFC 3339 text (microseconds, or nanoseconds when they are not whole), written into
    /// `buf` digit by digit: timestamps are printed for every flow of a report, and the
    /// formatting machinery costs more than the digits. The same text as `Display` and serde
    /// write.
    pub fn text(self, buf: &mut [u8; TEXT_LEN]) -> &str {
        fn put(buf: &mut [u8], mut v: u64) {
            for b in buf.iter_mut().rev() {
                *b = b'0' + (v % 10) as u8;
                v /= 10;
            }
        }
        let secs = self.0 / 1_000_000_000;
        let frac = self.0 % 1_000_000_000;
        let days = (secs / 86_400) as i64;
        let rem = secs % 86_400;
        let (y, mo, d) = civil_from_days(days);
        *buf = *b"0000-00-00T00:00:00.000000000Z";
        put(&mut buf[0..4], y.unsigned_abs());
        put(&mut buf[5..7], u64::from(mo));
        put(&mut buf[8..10], u64::from(d));
        put(&mut buf[11..13], rem / 3600);
        put(&mut buf[14..16], (rem / 60) % 60);
        put(&mut buf[17..19], rem % 60);
        let end = if frac.is_multiple_of(1000) {
            put(&mut buf[20..26], frac / 1000);
            buf[26] = b'Z';
            27
        } else {
            put(&mut buf[20..29], frac);
            30
        };
        std::str::from_utf8(&buf[..end]).unwrap_or_default()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text(&mut [0; TEXT_LEN]))
    }
}

/// Error parsing an RFC 3339 timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseTimestampError;

impl fmt::Display for ParseTimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected a UTC timestamp like 2024-01-31T12:00:00.000000Z")
    }
}

impl std::str::FromStr for Timestamp {
    type Err = ParseTimestampError;

    /// Parses exactly the form [`Display`](fmt::Display) writes (UTC, `Z`, 0–9 fraction digits).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return Err(ParseTimestampError);
        }
        let num = |r: std::ops::Range<usize>| -> Result<u64, ParseTimestampError> {
            s.get(r).and_then(|t| t.parse::<u64>().ok()).ok_or(ParseTimestampError)
        };
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 || y < 1970 {
            return Err(ParseTimestampError);
        }
        let rest = &s[19..];
        let rest = rest.strip_suffix('Z').ok_or(ParseTimestampError)?;
        let nanos = if rest.is_empty() {
            0
        } else {
            let digits = rest.strip_prefix('.').ok_or(ParseTimestampError)?;
            if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return Err(ParseTimestampError);
            }
            digits.parse::<u64>().map_err(|_| ParseTimestampError)? * 10u64.pow(9 - digits.len() as u32)
        };
        let days = days_from_civil(y as i64, mo as u32, d as u32) as u64;
        Ok(Timestamp::from_parts(days * 86_400 + h * 3600 + mi * 60 + se, nanos))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.text(&mut [0; TEXT_LEN]))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        // 2017-06-08T15:45:58.520996Z is the first DNS flow start in suricata-verify dns-udp-eve-txt.
        let t = Timestamp::from_parts(1_496_936_758, 520_996_000);
        assert_eq!(t.to_string(), "2017-06-08T15:45:58.520996Z");
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000000Z");
        assert_eq!(Timestamp::from_parts(951_782_400, 1).to_string(), "2000-02-29T00:00:00.000000001Z");
    }

    /// The digit-by-digit text is what `write!` with padded fields gave.
    #[test]
    fn text_matches_formatted_fields() {
        let reference = |t: Timestamp| {
            let (secs, frac) = (t.0 / 1_000_000_000, t.0 % 1_000_000_000);
            let rem = secs % 86_400;
            let (y, mo, d) = civil_from_days((secs / 86_400) as i64);
            let head = format!("{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}", rem / 3600, (rem / 60) % 60, rem % 60);
            if frac.is_multiple_of(1000) { format!("{head}.{:06}Z", frac / 1000) } else { format!("{head}.{frac:09}Z") }
        };
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let mut cases = vec![0, 1, 999, 1000, 999_999_999, 1_000_000_000, u64::MAX, u64::MAX - 999, 4_102_444_800_000_000_000];
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            cases.push(x);
            cases.push(x - x % 1000);
            cases.push(x % 4_102_444_800_000_000_000);
        }
        for n in cases {
            let t = Timestamp(n);
            assert_eq!(t.to_string(), reference(t), "{n}");
            assert_eq!(serde_json::to_string(&t).ok(), Some(format!("\"{}\"", reference(t))));
        }
    }

    #[test]
    fn parse_inverts_display() {
        for n in [0u64, 1, 999, 1_496_936_758_520_996_000, 4_102_444_800_000_000_000, 951_782_400_000_000_001] {
            let t = Timestamp(n);
            assert_eq!(t.to_string().parse::<Timestamp>(), Ok(t));
        }
        assert!("2017-13-01T00:00:00Z".parse::<Timestamp>().is_err());
        assert!("garbage".parse::<Timestamp>().is_err());
    }
}
