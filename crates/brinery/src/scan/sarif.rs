//! SARIF 2.1.0 output, for code-scanning in CI.

use super::{Report, Verdict};
use serde_json::{json, Value};

const RULES: &[(&str, &str)] = &[
    ("global", "A global outside the allowlist"),
    ("call", "A call of something that is not a global"),
    ("build", "BUILD on an object it should not reach"),
    ("mutation", "A container opcode on an object it should not reach"),
    ("dynamic-global", "A global whose name is computed at load time"),
    ("extension", "An extension code resolved through copyreg's registry"),
    ("persistent-id", "A persistent id resolved by the loader"),
    ("nested", "Data handed to a loader"),
    ("malformed", "A malformed or truncated pickle"),
    ("limit", "A resource limit was reached"),
    ("container", "A container that does not match its format"),
    ("trailing-data", "Data after the last pickle or storage"),
    ("not-pickle", "Not a pickle"),
];

fn rule_id(kind: &str) -> String {
    format!("brinery/{kind}")
}

/// A SARIF 2.1.0 log of these reports, one result per finding, each located by file (as given)
/// and byte offset.
///
/// ```
/// use brinery::scan::{sarif, scan_bytes, ScanOptions};
/// let report = scan_bytes(b"cos\nsystem\n(S'ls'\ntR.", &ScanOptions::default());
/// let log = sarif(&[("evil.pkl".to_owned(), report)]);
/// assert_eq!(log["version"], "2.1.0");
/// let result = &log["runs"][0]["results"][0];
/// assert_eq!(result["ruleId"], "brinery/global");
/// assert_eq!(result["level"], "error");
/// assert_eq!(result["locations"][0]["physicalLocation"]["region"]["byteOffset"], 0);
/// ```
pub fn sarif(reports: &[(String, Report)]) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|(kind, text)| {
            json!({
                "id": rule_id(kind),
                "name": kind,
                "shortDescription": { "text": text },
                "helpUri": "https://example.invalid/brinery/scan",
            })
        })
        .collect();
    let mut results = Vec::new();
    for (path, report) in reports {
        for f in &report.findings {
            let level = match f.verdict {
                Verdict::Dangerous => "error",
                Verdict::Unknown => "warning",
                Verdict::Safe => "note",
            };
            let index = RULES.iter().position(|(k, _)| *k == f.kind).unwrap_or(0);
            let mut region = json!({});
            if let Some(off) = f.offset {
                region = json!({ "byteOffset": off, "byteLength": 1 });
            }
            let where_ = if f.location.is_empty() { String::new() } else { format!(" [{}]", f.location) };
            let mut physical = json!({ "artifactLocation": { "uri": path } });
            // Offsets inside zip members or nested pickles are not offsets in the file itself.
            if f.offset.is_some() && !f.location.contains('/') && !f.location.contains(" > ") {
                physical["region"] = region;
            }
            results.push(json!({
                "ruleId": rule_id(f.kind),
                "ruleIndex": index,
                "level": level,
                "message": { "text": format!("{}: {}{}", f.verdict, f.message, where_) },
                "locations": [{
                    "physicalLocation": physical,
                    "logicalLocations": [{ "name": f.location, "kind": "member" }],
                }],
                "properties": { "verdict": f.verdict, "kind": f.kind, "offset": f.offset, "member": f.location },
            }));
        }
    }
    let artifacts: Vec<Value> = reports
        .iter()
        .map(|(path, r)| json!({ "location": { "uri": path }, "length": r.size, "properties": { "verdict": r.verdict, "format": r.format } }))
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "brinery",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/brinery",
                "rules": rules,
            }},
            "artifacts": artifacts,
            "results": results,
        }],
    })
}
