//! A zip writer for tests: stored or deflated members, with the oddities hostile archives use.

pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[derive(Clone, Default)]
pub struct ZEntry {
    pub name: String,
    pub data: Vec<u8>,
    pub deflate: bool,
    pub flags: u16,
    pub bad_crc: bool,
    pub central_name: Option<String>,
    /// Sizes only in a data descriptor after the data (flag bit 3, zero sizes in the header).
    pub descriptor: bool,
    /// Pad so the data starts at a multiple of 64, as torch does.
    pub align64: bool,
}

impl ZEntry {
    pub fn new(name: &str, data: &[u8]) -> Self {
        ZEntry { name: name.into(), data: data.to_vec(), ..Default::default() }
    }
}

/// Write a zip archive; `prefix` goes before it (a polyglot), offsets stay relative to the file.
pub fn zip(entries: &[ZEntry], prefix: &[u8]) -> Vec<u8> {
    let mut out = prefix.to_vec();
    let mut central = Vec::new();
    for e in entries {
        let header = out.len() as u32;
        let body = if e.deflate { miniz_oxide::deflate::compress_to_vec(&e.data, 6) } else { e.data.clone() };
        let crc = if e.bad_crc { crc32(&e.data) ^ 0xdead_beef } else { crc32(&e.data) };
        let method: u16 = if e.deflate { 8 } else { 0 };
        let flags = e.flags | if e.descriptor { 8 } else { 0 };
        let mut extra = Vec::new();
        if e.align64 {
            let base = out.len() + 30 + e.name.len() + 4;
            let pad = (64 - base % 64) % 64;
            extra.extend_from_slice(b"FB");
            extra.extend_from_slice(&(pad as u16).to_le_bytes());
            extra.resize(4 + pad, b'Z');
        }
        let (hcrc, hc, hu) = if e.descriptor { (0, 0, 0) } else { (crc, body.len() as u32, e.data.len() as u32) };
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend_from_slice(&method.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0x21, 0]);
        out.extend_from_slice(&hcrc.to_le_bytes());
        out.extend_from_slice(&hc.to_le_bytes());
        out.extend_from_slice(&hu.to_le_bytes());
        out.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&(extra.len() as u16).to_le_bytes());
        out.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(&extra);
        out.extend_from_slice(&body);
        if e.descriptor {
            out.extend_from_slice(b"PK\x07\x08");
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&(body.len() as u32).to_le_bytes());
            out.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
        }
        let cname = e.central_name.clone().unwrap_or_else(|| e.name.clone());
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&flags.to_le_bytes());
        central.extend_from_slice(&method.to_le_bytes());
        central.extend_from_slice(&[0, 0, 0x21, 0]);
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&(body.len() as u32).to_le_bytes());
        central.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
        central.extend_from_slice(&(cname.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&header.to_le_bytes());
        central.extend_from_slice(cname.as_bytes());
    }
    let cd_off = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_off.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}
