//! Text encodings of random secrets: hex, base64url without padding (RFC 4648 §5) and base32
//! (RFC 4648 §6, the alphabet of TOTP secrets). Small enough to own rather than add crates.

const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub(crate) fn hex(b: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(char::from(H[usize::from(x >> 4)]));
        s.push(char::from(H[usize::from(x & 15)]));
    }
    s
}

pub(crate) fn b64url(b: &[u8]) -> String {
    encode_bits(b, 6, B64URL)
}

pub(crate) fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    decode_bits(s, 6, |c| B64URL.iter().position(|&a| a == c))
}

pub(crate) fn base32(b: &[u8]) -> String {
    encode_bits(b, 5, B32)
}

/// Base32 as people type it: case-insensitive, spaces, dashes and `=` padding ignored.
pub(crate) fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let cleaned: String = s.chars().filter(|c| !matches!(c, ' ' | '-' | '=')).collect();
    decode_bits(&cleaned, 5, |c| B32.iter().position(|&a| a == c.to_ascii_uppercase()))
}

/// Pack bytes into `width`-bit groups, most significant first, the last group zero-padded.
fn encode_bits(b: &[u8], width: u32, alphabet: &[u8]) -> String {
    let mut out = String::with_capacity(b.len() * 8 / width as usize + 1);
    let mask = (1u32 << width) - 1;
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    for &x in b {
        acc = (acc << 8) | u32::from(x);
        bits += 8;
        while bits >= width {
            bits -= width;
            out.push(char::from(alphabet[((acc >> bits) & mask) as usize]));
        }
        acc &= (1u32 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(alphabet[((acc << (width - bits)) & mask) as usize]));
    }
    out
}

/// Inverse of [`encode_bits`]; refuses characters outside the alphabet and non-zero padding bits.
fn decode_bits(s: &str, width: u32, index: impl Fn(u8) -> Option<usize>) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * width as usize / 8);
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    for c in s.bytes() {
        let v = u32::try_from(index(c)?).ok()?;
        acc = (acc << width) | v;
        bits += width;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
        acc &= (1u32 << bits) - 1;
    }
    // Leftover bits must be padding: fewer than a whole byte and all zero.
    if bits >= width || acc != 0 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4648 §10 test vectors.
    #[test]
    fn rfc4648_vectors() {
        let cases = [("", "", ""), ("f", "Zg", "MY"), ("fo", "Zm8", "MZXQ"), ("foo", "Zm9v", "MZXW6"), ("foob", "Zm9vYg", "MZXW6YQ"), ("fooba", "Zm9vYmE", "MZXW6YTB"), ("foobar", "Zm9vYmFy", "MZXW6YTBOI")];
        for (plain, b64, b32) in cases {
            assert_eq!(b64url(plain.as_bytes()), b64);
            assert_eq!(base32(plain.as_bytes()), b32);
            assert_eq!(b64url_decode(b64).as_deref(), Some(plain.as_bytes()));
            assert_eq!(base32_decode(b32).as_deref(), Some(plain.as_bytes()));
        }
        assert_eq!(base32_decode("mzxw 6ytb-oi======").as_deref(), Some(&b"foobar"[..]));
        assert_eq!(b64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn decoders_refuse_garbage() {
        assert_eq!(b64url_decode("Zm9v+"), None);
        assert_eq!(b64url_decode("Zh"), None, "non-zero padding bits");
        assert_eq!(base32_decode("MZXW1"), None, "1 is not base32");
        assert_eq!(hex(&[0, 0xab, 255]), "00abff");
    }

    proptest::proptest! {
        #[test]
        fn round_trips(data in proptest::collection::vec(proptest::num::u8::ANY, 0..80)) {
            proptest::prop_assert_eq!(b64url_decode(&b64url(&data)), Some(data.clone()));
            proptest::prop_assert_eq!(base32_decode(&base32(&data)), Some(data.clone()));
            proptest::prop_assert_eq!(hex(&data).len(), data.len() * 2);
        }

        #[test]
        fn decoders_never_panic(s in "\\PC{0,64}") {
            let _ = b64url_decode(&s);
            let _ = base32_decode(&s);
        }
    }
}
