//! Containers of pickles: zip archives (read tolerantly), `.npy` files and legacy PyTorch files.

use super::{Cx, Format, Hint, Member, Outcome, Report, Verdict};
use std::borrow::Cow;
use std::collections::BTreeMap;

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(at..at.checked_add(2)?)?.try_into().ok()?))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

fn u64_at(d: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(d.get(at..at.checked_add(8)?)?.try_into().ok()?))
}

const LOCAL: &[u8] = b"PK\x03\x04";
const CENTRAL: &[u8] = b"PK\x01\x02";
const END: &[u8] = b"PK\x05\x06";
const END64_LOCATOR: &[u8] = b"PK\x06\x07";
const END64: &[u8] = b"PK\x06\x06";
const DESCRIPTOR: &[u8] = b"PK\x07\x08";

#[derive(Clone, Debug, Default)]
struct Entry {
    name: String,
    central_name: Option<String>,
    header: u64,
    data: u64,
    csize: Option<u64>,
    size: Option<u64>,
    method: u16,
}

struct Local {
    name: String,
    data: u64,
    csize: Option<u64>,
    size: Option<u64>,
    method: u16,
    flags: u16,
}

/// Read the zip64 extended-information extra field: the sizes (and offset) whose 32-bit fields
/// are 0xffffffff, in order.
fn zip64_extra(extra: &[u8], size: &mut u64, csize: &mut u64, offset: Option<&mut u64>) {
    let mut i = 0;
    while i + 4 <= extra.len() {
        let (Some(id), Some(len)) = (u16_at(extra, i), u16_at(extra, i + 2)) else { return };
        let body = &extra[i + 4..(i + 4 + len as usize).min(extra.len())];
        if id == 1 {
            let mut j = 0;
            let mut next = |v: &mut u64| {
                if *v == u32::MAX as u64 {
                    if let Some(x) = u64_at(body, j) {
                        *v = x;
                        j += 8;
                    }
                }
            };
            next(size);
            next(csize);
            if let Some(off) = offset {
                next(off);
            }
            return;
        }
        i += 4 + len as usize;
    }
}

fn local_header(d: &[u8], at: u64) -> Option<Local> {
    let at = usize::try_from(at).ok()?;
    if d.get(at..at + 4)? != LOCAL {
        return None;
    }
    let flags = u16_at(d, at + 6)?;
    let method = u16_at(d, at + 8)?;
    let mut csize = u32_at(d, at + 18)? as u64;
    let mut size = u32_at(d, at + 22)? as u64;
    let nlen = u16_at(d, at + 26)? as usize;
    let xlen = u16_at(d, at + 28)? as usize;
    let name_bytes = d.get(at + 30..at + 30 + nlen)?;
    let extra = d.get(at + 30 + nlen..(at + 30 + nlen + xlen).min(d.len()))?;
    zip64_extra(extra, &mut size, &mut csize, None);
    let unknown = flags & 8 != 0 && csize == 0;
    Some(Local {
        name: String::from_utf8_lossy(name_bytes).into_owned(),
        data: (at + 30 + nlen + xlen) as u64,
        csize: (!unknown).then_some(csize),
        size: (!unknown).then_some(size),
        method,
        flags,
    })
}

/// Find the end-of-central-directory record: (its offset, central directory offset, entries).
fn find_end(d: &[u8]) -> Option<(usize, u64, u64, u64)> {
    if d.len() < 22 {
        return None;
    }
    let lowest = d.len().saturating_sub(22 + 65535);
    let mut at = d.len() - 22;
    loop {
        if &d[at..at + 4] == END {
            let entries = u16_at(d, at + 10)? as u64;
            let cd_size = u32_at(d, at + 12)? as u64;
            let cd_off = u32_at(d, at + 16)? as u64;
            let (mut entries, mut cd_size, mut cd_off) = (entries, cd_size, cd_off);
            if at >= 20 && &d[at - 20..at - 16] == END64_LOCATOR {
                if let Some(e64) = u64_at(d, at - 12).and_then(|o| usize::try_from(o).ok()) {
                    if d.get(e64..e64 + 4) == Some(END64) {
                        entries = u64_at(d, e64 + 32).unwrap_or(entries);
                        cd_size = u64_at(d, e64 + 40).unwrap_or(cd_size);
                        cd_off = u64_at(d, e64 + 48).unwrap_or(cd_off);
                    }
                }
            }
            return Some((at, cd_off, cd_size, entries));
        }
        if at == lowest {
            return None;
        }
        at -= 1;
    }
}

/// Whether `d` ends with a zip directory that lists at least one member.
pub(crate) fn has_zip_directory(d: &[u8]) -> bool {
    find_end(d).is_some_and(|(_, _, _, entries)| entries > 0)
}

struct Central {
    name: String,
    header: u64,
    csize: u64,
    size: u64,
}

fn central_entries(d: &[u8], report: &mut Report, location: &str) -> Vec<Central> {
    let mut out = Vec::new();
    let Some((end, cd_off, cd_size, entries)) = find_end(d) else { return out };
    // A zip with data in front of it (or a lying offset) still has its directory right before
    // the end record: shift every offset by the difference.
    let mut shift: i128 = 0;
    let mut at = cd_off as usize;
    if d.get(at..at.saturating_add(4)) != Some(CENTRAL) {
        let guess = (end as u64).saturating_sub(cd_size) as usize;
        if d.get(guess..guess + 4) == Some(CENTRAL) {
            shift = guess as i128 - cd_off as i128;
            at = guess;
        } else {
            if entries > 0 {
                report.finding(
                    Verdict::Unknown,
                    "container",
                    location,
                    Some(end as u64),
                    "zip central directory not found where the end record says".to_owned(),
                );
            }
            return out;
        }
    }
    let mut seen = 0u64;
    while d.get(at..at + 4) == Some(CENTRAL) && seen < entries.max(1).saturating_add(1 << 16) {
        seen += 1;
        let (Some(csize), Some(size), Some(nlen), Some(xlen), Some(clen), Some(lho)) = (
            u32_at(d, at + 20),
            u32_at(d, at + 24),
            u16_at(d, at + 28),
            u16_at(d, at + 30),
            u16_at(d, at + 32),
            u32_at(d, at + 42),
        ) else {
            break;
        };
        let (nlen, xlen, clen) = (nlen as usize, xlen as usize, clen as usize);
        let Some(name) = d.get(at + 46..at + 46 + nlen) else { break };
        let extra = d.get(at + 46 + nlen..(at + 46 + nlen + xlen).min(d.len())).unwrap_or(&[]);
        let (mut size, mut csize, mut lho) = (size as u64, csize as u64, lho as u64);
        zip64_extra(extra, &mut size, &mut csize, Some(&mut lho));
        let header = (lho as i128 + shift).clamp(0, u64::MAX as i128) as u64;
        out.push(Central { name: String::from_utf8_lossy(name).into_owned(), header, csize, size });
        at += 46 + nlen + xlen + clen;
    }
    out
}

fn find_sig(d: &[u8], from: usize, sigs: &[&[u8]]) -> Option<usize> {
    let hay = d.get(from..)?;
    hay.windows(4).position(|w| sigs.contains(&w)).map(|p| from + p)
}

/// Scan a zip archive: every member found by walking local headers or listed in the central
/// directory, whatever its name, CRC or flags.
pub(crate) fn zip(cx: &mut Cx<'_>, d: &[u8], location: &str, depth: usize) -> Report {
    let mut report = Report::new(Format::Zip, d.len() as u64);
    if depth > cx.opts.max_depth {
        report.finding(Verdict::Unknown, "container", location, None, "zip nested too deep: not scanned".to_owned());
        return report;
    }
    let mut entries: BTreeMap<u64, Entry> = BTreeMap::new();
    // 1. Walk the local headers from the start.
    let mut pos = 0u64;
    while let Some(h) = local_header(d, pos) {
        let csize = h.csize.or_else(|| {
            // Size only in a data descriptor: stored data runs to the next signature.
            find_sig(d, h.data as usize, &[DESCRIPTOR, LOCAL, CENTRAL]).map(|e| e as u64 - h.data)
        });
        entries.insert(
            pos,
            Entry {
                name: h.name,
                central_name: None,
                header: pos,
                data: h.data,
                csize,
                size: h.size,
                method: h.method,
            },
        );
        let Some(len) = csize else { break };
        let mut next = h.data.saturating_add(len);
        if h.flags & 8 != 0 {
            let n = next as usize;
            if d.get(n..n + 4) == Some(DESCRIPTOR) {
                next += 16;
            } else if d.get(n..n + 4) != Some(LOCAL) {
                next += 12;
            }
            if d.get(next as usize..next as usize + 4) != Some(LOCAL) {
                if let Some(found) = find_sig(d, n, &[LOCAL, CENTRAL]) {
                    next = found as u64;
                }
            }
        }
        if next <= pos {
            break;
        }
        pos = next;
    }
    // 2. The central directory, and the local headers it points to.
    for c in central_entries(d, &mut report, location) {
        match entries.get_mut(&c.header) {
            Some(e) => {
                if e.name != c.name {
                    e.central_name = Some(c.name.clone());
                }
                if e.csize.is_none() {
                    e.csize = Some(c.csize);
                    e.size = Some(c.size);
                }
            }
            None => match local_header(d, c.header) {
                Some(h) => {
                    let central_name = (h.name != c.name).then(|| c.name.clone());
                    entries.insert(
                        c.header,
                        Entry {
                            name: h.name,
                            central_name,
                            header: c.header,
                            data: h.data,
                            csize: Some(h.csize.unwrap_or(c.csize).max(if h.csize.is_some() { 0 } else { c.csize })),
                            size: Some(c.size),
                            method: h.method,
                        },
                    );
                }
                None => report.finding(
                    Verdict::Unknown,
                    "container",
                    location,
                    Some(c.header),
                    format!("zip member '{}' points at offset {} where there is no local header", c.name, c.header),
                ),
            },
        }
    }
    if entries.is_empty() {
        report.finding(
            Verdict::Unknown,
            "container",
            location,
            Some(0),
            "zip archive without readable members".to_owned(),
        );
        return report;
    }
    cx.charge(entries.len() as u64 * 64);
    let mut inflated_total = 0u64;
    let mut seen_data = std::collections::HashSet::new();
    for e in entries.values() {
        let member_loc = if location.is_empty() { e.name.clone() } else { format!("{location}/{}", e.name) };
        if cx.exhausted() {
            report.finding(
                Verdict::Unknown,
                "limit",
                &member_loc,
                Some(e.header),
                "scanning budget spent (overlapping or too many members): this and later members not scanned"
                    .to_owned(),
            );
            break;
        }
        if !seen_data.insert((e.data, e.csize, e.method)) {
            // Another header for bytes already scanned.
            continue;
        }
        if let Some(cn) = &e.central_name {
            report.finding(
                Verdict::Unknown,
                "container",
                &member_loc,
                Some(e.header),
                format!("zip member is named '{}' in its local header and '{cn}' in the central directory", e.name),
            );
        }
        let start = e.data.min(d.len() as u64) as usize;
        let declared = e.csize.unwrap_or(0);
        let end = e.data.saturating_add(declared).min(d.len() as u64) as usize;
        let raw = &d[start..end.max(start)];
        if (end as u64) < e.data.saturating_add(declared) {
            report.finding(
                Verdict::Unknown,
                "container",
                &member_loc,
                Some(e.header),
                format!("zip member is cut short: {} of {declared} bytes present", raw.len()),
            );
        }
        let data: Cow<'_, [u8]> = match e.method {
            0 => Cow::Borrowed(raw),
            8 => {
                // Sniff a prefix first: most members of a checkpoint are raw tensor data.
                const PREFIX: usize = 1 << 16;
                let prefix = inflate(raw, PREFIX + 1);
                cx.charge(prefix.len() as u64);
                let data_member = if prefix.len() <= PREFIX {
                    None
                } else if prefix.starts_with(b"\x93NUMPY") {
                    npy_prefix_object(&prefix).map(|object| !object).filter(|&d| d).map(|_| "npy")
                } else if !prefix_may_hold_pickle(&prefix, &e.name) {
                    Some("data")
                } else {
                    None
                };
                if let Some(kind) = data_member {
                    report.members.push(Member {
                        name: e.name.clone(),
                        offset: e.header,
                        compressed_size: raw.len() as u64,
                        size: e.size.unwrap_or(0),
                        kind,
                    });
                    continue;
                }
                if prefix.len() <= PREFIX {
                    Cow::Owned(prefix)
                } else {
                    let budget = (cx.opts.max_member_size.saturating_mul(4)).saturating_sub(inflated_total);
                    let limit = cx.opts.max_member_size.min(budget);
                    let out = inflate(raw, usize::try_from(limit).unwrap_or(usize::MAX - 1) + 1);
                    if out.len() as u64 > limit {
                        report.finding(
                            Verdict::Unknown,
                            "limit",
                            &member_loc,
                            Some(e.header),
                            format!("zip member inflates past the {limit}-byte limit: not scanned"),
                        );
                        continue;
                    }
                    inflated_total += out.len() as u64;
                    cx.charge(out.len() as u64);
                    Cow::Owned(out)
                }
            }
            m => {
                report.finding(
                    Verdict::Unknown,
                    "container",
                    &member_loc,
                    Some(e.header),
                    format!("zip member compressed with method {m}, which the scanner does not read"),
                );
                continue;
            }
        };
        let hint = Hint { name: Some(&e.name) };
        let sub = cx.blob(&data, &member_loc, hint, depth + 1);
        let kind = match sub.format {
            Format::Data => "data",
            Format::Pickle => "pickle",
            Format::Zip => "zip",
            Format::Npy => "npy",
            Format::TorchLegacy => "torch-legacy",
        };
        report.members.push(Member {
            name: e.name.clone(),
            offset: e.header,
            compressed_size: raw.len() as u64,
            size: data.len() as u64,
            kind,
        });
        if sub.format != Format::Data {
            report.absorb(sub);
        }
    }
    report
}

/// For big compressed members only a prefix is sniffed: anything that starts with an opcode, a
/// container magic, or is named like a pickle is read whole.
fn prefix_may_hold_pickle(prefix: &[u8], name: &str) -> bool {
    prefix.starts_with(b"PK")
        || super::pickle_name(name)
        || prefix.first().is_some_and(|&b| crate::opcodes::lookup(b).is_some())
}

/// Whether an npy prefix declares an object dtype (`None` when its header is unreadable).
fn npy_prefix_object(d: &[u8]) -> Option<bool> {
    let (hlen, start) = match d.get(6)? {
        1 => (u16_at(d, 8)? as usize, 10),
        2 | 3 => (u32_at(d, 8)? as usize, 12usize),
        _ => return None,
    };
    npy_object(&String::from_utf8_lossy(d.get(start..start.checked_add(hlen)?)?))
}

/// Inflate raw deflate data, up to `limit` bytes of output (what arrived before an error).
fn inflate(raw: &[u8], limit: usize) -> Vec<u8> {
    match miniz_oxide::inflate::decompress_to_vec_with_limit(raw, limit) {
        Ok(v) => v,
        Err(e) => e.output,
    }
}

/// A NumPy `.npy` file: a header, then raw data or, for object dtypes, a pickle.
pub(crate) fn npy(cx: &mut Cx<'_>, d: &[u8], location: &str, depth: usize) -> Report {
    let mut report = Report::new(Format::Npy, d.len() as u64);
    let major = d.get(6).copied().unwrap_or(0);
    let (hlen, start) = match major {
        1 => (u16_at(d, 8).map(u64::from), 10u64),
        2 | 3 => (u32_at(d, 8).map(u64::from), 12u64),
        _ => (None, 0),
    };
    let Some(hlen) = hlen else {
        report.finding(
            Verdict::Unknown,
            "container",
            location,
            Some(6),
            format!("npy version {major} is not one numpy writes"),
        );
        return report;
    };
    let end = start + hlen;
    let Some(header) = d.get(start as usize..end as usize) else {
        report.finding(
            Verdict::Unknown,
            "container",
            location,
            Some(8),
            "npy header runs past the end of the file".to_owned(),
        );
        return report;
    };
    let header = String::from_utf8_lossy(header);
    match npy_object(&header) {
        Some(false) => report,
        Some(true) => {
            let stream = cx.pickle_stream_at(d, end, location, depth, true);
            report.absorb(stream);
            report
        }
        None => {
            report.finding(
                Verdict::Unknown,
                "container",
                location,
                Some(start),
                "npy header without a readable 'descr'".to_owned(),
            );
            // Read what follows as a pickle if it is one.
            if d.get(end as usize) == Some(&0x80) {
                let stream = cx.pickle_stream_at(d, end, location, depth, true);
                report.absorb(stream);
            }
            report
        }
    }
}

/// Whether an npy header's dtype holds Python objects (`Some(true)`), or not; `None` when there
/// is no readable `descr`.
fn npy_object(header: &str) -> Option<bool> {
    let at = header.find("'descr'").or_else(|| header.find("\"descr\""))?;
    let rest = header[at + 7..].trim_start().strip_prefix(':')?.trim_start();
    if rest.starts_with('[') {
        // Structured dtype: any field of object type makes it an object array.
        let body = &rest[..rest.find("]}").or_else(|| rest.rfind(']')).map_or(rest.len(), |i| i + 1)];
        // Each field is `(name, typestr[, shape])`: look at the typestrs only.
        return Some(body.split('(').any(|field| {
            let quoted: Vec<&str> = field.split(['\'', '"']).skip(1).step_by(2).collect();
            quoted.get(1).is_some_and(|t| typestr_object(t))
        }));
    }
    let quote = rest.chars().next()?;
    if quote != '\'' && quote != '"' {
        return None;
    }
    let body = &rest[1..];
    let close = body.find(quote)?;
    Some(typestr_object(&body[..close]))
}

fn typestr_object(t: &str) -> bool {
    let t = t.trim_start_matches(['<', '>', '|', '=']);
    t.starts_with('O')
}

/// The raw-storage part of a legacy torch file: after the magic number, protocol version, system
/// info, data and storage-key pickles come the storages, each an 8-byte element count and data.
pub(crate) fn torch_legacy_tail(report: &mut Report, d: &[u8], outcomes: &[Outcome], location: &str) -> Option<u64> {
    let fail = |report: &mut Report, offset: u64, msg: String| {
        report.finding(Verdict::Unknown, "container", location, Some(offset), msg);
        Some(offset)
    };
    if outcomes.len() < 5 || outcomes.iter().any(|o| !o.report.complete) {
        if outcomes.iter().all(|o| o.report.complete) {
            let end = outcomes.last().map_or(0, |o| o.report.end);
            return fail(report, end, format!("legacy torch file with {} of its 5 pickles", outcomes.len()));
        }
        return None;
    }
    if outcomes[1].root.int != Some(1001) {
        fail(report, outcomes[1].report.start, "legacy torch file with an unexpected protocol version".to_owned());
    }
    let Some(keys) = &outcomes[4].root.strs else {
        return fail(
            report,
            outcomes[4].report.end,
            "legacy torch file whose storage keys are not a list of str".to_owned(),
        );
    };
    let sizes: std::collections::HashMap<&str, &str> =
        outcomes[3].root.storages.iter().map(|(k, _, cls)| (k.as_str(), cls.as_str())).collect();
    let mut pos = outcomes[4].report.end;
    for key in keys {
        let Some(&cls) = sizes.get(key.as_str()) else {
            return fail(report, pos, format!("legacy torch storage key '{key}' is not named by any persistent id"));
        };
        let (module, name) = cls.rsplit_once('.').unwrap_or(("torch", cls));
        let elem = crate::policy::torch_element_size(module, name).unwrap_or(1);
        let Some(count) = u64_at(d, pos as usize) else {
            return fail(report, pos, format!("legacy torch storage '{key}' is missing"));
        };
        let Some(next) = count.checked_mul(elem).and_then(|n| n.checked_add(pos + 8)) else {
            return fail(report, pos, format!("legacy torch storage '{key}' has an impossible size"));
        };
        if next > d.len() as u64 {
            return fail(report, pos, format!("legacy torch storage '{key}' runs past the end of the file"));
        }
        pos = next;
    }
    if pos < d.len() as u64 {
        report.finding(
            Verdict::Unknown,
            "trailing-data",
            location,
            Some(pos),
            format!("{} bytes after the last legacy torch storage", d.len() as u64 - pos),
        );
        return Some(pos);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_dtypes() {
        assert_eq!(npy_object("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"), Some(false));
        assert_eq!(npy_object("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }"), Some(true));
        assert_eq!(
            npy_object("{'descr': [('a', '<i4'), ('b', '|O')], 'fortran_order': False, 'shape': (3,), }"),
            Some(true)
        );
        assert_eq!(npy_object("{'descr': [('O', '<i4'), ('Obj', '<f8', (2,))], 'shape': (3,), }"), Some(false));
        assert_eq!(npy_object("{'shape': (3,)}"), None);
    }
}
