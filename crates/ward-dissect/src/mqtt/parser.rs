//! Pure MQTT parsing: fixed header, bounded reader, v5 properties.

/// Read the fixed header (MQTT 5.0 §2.1; 3.1.1 §2.2): type and flags, then the remaining
/// length as a variable byte integer of at most four bytes. `Ok(None)`: need more bytes.
pub(crate) fn fixed_header(b: &[u8]) -> Result<Option<(u8, u32, usize)>, &'static str> {
    let Some(&first) = b.first() else { return Ok(None) };
    let mut value: u32 = 0;
    for i in 0..4 {
        let Some(&byte) = b.get(1 + i) else { return Ok(None) };
        value |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((first, value, 2 + i)));
        }
    }
    Err("mqtt.bad_remaining_length")
}

/// A reader that cannot read past its slice.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

type R<T> = Result<T, &'static str>;

impl<'a> Reader<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Reader<'a> {
        Reader { b, at: 0 }
    }

    pub(crate) fn left(&self) -> usize {
        self.b.len() - self.at
    }

    pub(crate) fn bytes(&mut self, n: usize) -> R<&'a [u8]> {
        let s = self.b.get(self.at..self.at + n).ok_or("mqtt.truncated_field")?;
        self.at += n;
        Ok(s)
    }

    pub(crate) fn u8(&mut self) -> R<u8> {
        Ok(self.bytes(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> R<u16> {
        let s = self.bytes(2)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }

    pub(crate) fn u32(&mut self) -> R<u32> {
        let s = self.bytes(4)?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }

    /// Variable byte integer (MQTT 5.0 §1.5.5).
    pub(crate) fn varint(&mut self) -> R<u32> {
        let mut value = 0u32;
        for i in 0..4 {
            let byte = self.u8()?;
            value |= u32::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("mqtt.bad_variable_integer")
    }

    /// UTF-8 string or binary data with a two-byte length (§1.5.4, §1.5.6).
    pub(crate) fn string(&mut self) -> R<&'a [u8]> {
        let n = usize::from(self.u16()?);
        self.bytes(n)
    }
}

/// Printable text, at most `max` characters.
pub(crate) fn text(v: &[u8], max: usize) -> String {
    // Printable ASCII within the limit (client ids, topics) is the text as it is: one copy.
    if v.len() <= max && v.iter().all(|b| (0x20..=0x7e).contains(b)) {
        return String::from_utf8(v.to_vec()).unwrap_or_default();
    }
    String::from_utf8_lossy(v).chars().map(|c| if c.is_control() { '\u{fffd}' } else { c }).take(max).collect()
}

/// MQTT 5.0 §2.2.2.2 property identifiers: name and value encoding.
enum Kind {
    Byte,
    Two,
    Four,
    Var,
    Str,
    Pair,
}

fn property(id: u32) -> Option<(&'static str, Kind)> {
    Some(match id {
        1 => ("payload_format_indicator", Kind::Byte),
        2 => ("message_expiry_interval", Kind::Four),
        3 => ("content_type", Kind::Str),
        8 => ("response_topic", Kind::Str),
        9 => ("correlation_data", Kind::Str),
        11 => ("subscription_identifier", Kind::Var),
        17 => ("session_expiry_interval", Kind::Four),
        18 => ("assigned_client_identifier", Kind::Str),
        19 => ("server_keep_alive", Kind::Two),
        21 => ("authentication_method", Kind::Str),
        22 => ("authentication_data", Kind::Str),
        23 => ("request_problem_information", Kind::Byte),
        24 => ("will_delay_interval", Kind::Four),
        25 => ("request_response_information", Kind::Byte),
        26 => ("response_information", Kind::Str),
        28 => ("server_reference", Kind::Str),
        31 => ("reason_string", Kind::Str),
        33 => ("receive_maximum", Kind::Two),
        34 => ("topic_alias_maximum", Kind::Two),
        35 => ("topic_alias", Kind::Two),
        36 => ("maximum_qos", Kind::Byte),
        37 => ("retain_available", Kind::Byte),
        38 => ("user_property", Kind::Pair),
        39 => ("maximum_packet_size", Kind::Four),
        40 => ("wildcard_subscription_available", Kind::Byte),
        41 => ("subscription_identifier_available", Kind::Byte),
        42 => ("shared_subscription_available", Kind::Byte),
        _ => return None,
    })
}

/// Read a v5 property block; push the names of the properties present (at most `max`).
/// Returns whether the limit cut the list.
pub(crate) fn properties(r: &mut Reader<'_>, max: usize, out: &mut Vec<&'static str>) -> R<bool> {
    let len = r.varint()? as usize;
    let block = r.bytes(len)?;
    let mut p = Reader::new(block);
    let mut cut = false;
    while p.left() > 0 {
        let id = p.varint()?;
        let (name, kind) = property(id).ok_or("mqtt.unknown_property")?;
        match kind {
            Kind::Byte => drop(p.u8()?),
            Kind::Two => drop(p.u16()?),
            Kind::Four => drop(p.u32()?),
            Kind::Var => drop(p.varint()?),
            Kind::Str => drop(p.string()?),
            Kind::Pair => {
                p.string()?;
                p.string()?;
            }
        }
        if out.contains(&name) {
            continue;
        }
        if out.len() < max {
            out.push(name);
        } else {
            cut = true;
        }
    }
    Ok(cut)
}
