//! Turning wire bytes into bounded, printable text.

use std::fmt::Write;

/// At most `max` characters of `b`: valid UTF-8 kept, control characters and invalid bytes
/// escaped as `\XX` (uppercase hex, as OpenSSL's `esc_ctrl` does). Each escape counts as one
/// character of the bound; `cut` is set when characters were dropped.
#[must_use]
pub fn text(b: &[u8], max: usize, cut: &mut bool) -> String {
    let mut out = String::new();
    let mut n = 0;
    for chunk in b.utf8_chunks() {
        for ch in chunk.valid().chars() {
            if n >= max {
                *cut = true;
                return out;
            }
            if ch.is_control() {
                let _ = write!(out, "\\{:02X}", u32::from(ch));
            } else {
                out.push(ch);
            }
            n += 1;
        }
        for &byte in chunk.invalid() {
            if n >= max {
                *cut = true;
                return out;
            }
            let _ = write!(out, "\\{byte:02X}");
            n += 1;
        }
    }
    out
}

/// Lowercase hex with `:` between octets.
#[must_use]
pub fn colon_hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 3);
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        push_hex(&mut s, *x);
    }
    s
}

/// Two lowercase hex digits (what `{:02x}` writes), without the formatting machinery.
fn push_hex(s: &mut String, x: u8) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    s.push(char::from(DIGITS[usize::from(x >> 4)]));
    s.push(char::from(DIGITS[usize::from(x & 0xf)]));
}

/// Lowercase hex without separators.
#[must_use]
pub fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        push_hex(&mut s, *x);
    }
    s
}

/// Bounds for strings and name lists, and which of them were hit while building one record.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Characters kept per string.
    pub max_text: usize,
    /// Entries kept per list.
    pub max_list: usize,
    /// SAN entries kept per certificate.
    pub max_names: usize,
    /// A string was cut.
    pub text_cut: bool,
    /// A list was cut.
    pub list_cut: bool,
    /// A SAN list was cut.
    pub names_cut: bool,
}

impl Bounds {
    /// Text of `b`, bounded.
    pub fn text(&mut self, b: &[u8]) -> String {
        text(b, self.max_text, &mut self.text_cut)
    }

    /// The first `max_list` items of `items`.
    pub fn list<T: Clone>(&mut self, items: &[T]) -> Vec<T> {
        if items.len() > self.max_list {
            self.list_cut = true;
        }
        items[..items.len().min(self.max_list)].to_vec()
    }
}
