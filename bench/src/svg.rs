//! A hand-written SVG chart: panels of grouped horizontal bars on a log scale, each bar drawn
//! from 1× (as fast as the other side) to the ratio, with dashed target lines.

use std::fmt::Write;

pub struct Series {
    pub name: &'static str,
    pub color: &'static str,
}

pub struct Panel {
    pub title: String,
    pub series: Vec<Series>,
    /// One value per row label (same order as the chart's labels) and series; None: no figure.
    pub values: Vec<Vec<Option<f64>>>,
    /// Dashed vertical lines: (value, caption).
    pub targets: Vec<(f64, String)>,
}

const LABEL_W: f64 = 150.0;
const PANEL_W: f64 = 330.0;
const GAP: f64 = 34.0;
const ROW_H: f64 = 30.0;
const TOP: f64 = 92.0;
const TICKS: [f64; 15] = [0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn fmt_ratio(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}×")
    } else if v >= 10.0 {
        format!("{v:.1}×")
    } else {
        format!("{v:.2}×")
    }
}

pub fn chart(title: &str, subtitle: &str, labels: &[String], panels: &[Panel]) -> String {
    let width = LABEL_W + panels.len() as f64 * (PANEL_W + GAP) + 10.0;
    let height = TOP + labels.len() as f64 * ROW_H + 40.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif">"#
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = writeln!(s, r#"<text x="10" y="20" font-size="15" font-weight="bold">{}</text>"#, esc(title));
    let _ = writeln!(s, r##"<text x="10" y="36" font-size="11" fill="#555">{}</text>"##, esc(subtitle));
    let bottom = TOP + labels.len() as f64 * ROW_H;
    for (r, label) in labels.iter().enumerate() {
        let y = TOP + r as f64 * ROW_H;
        if r % 2 == 1 {
            let _ = writeln!(s, r##"<rect x="0" y="{y}" width="{width}" height="{ROW_H}" fill="#f4f4f4"/>"##);
        }
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>"#,
            LABEL_W - 8.0,
            y + ROW_H / 2.0 + 4.0,
            esc(label)
        );
    }
    for (p, panel) in panels.iter().enumerate() {
        let x0 = LABEL_W + p as f64 * (PANEL_W + GAP);
        draw_panel(&mut s, panel, x0, bottom);
    }
    s.push_str("</svg>\n");
    s
}

fn draw_panel(s: &mut String, panel: &Panel, x0: f64, bottom: f64) {
    let all: Vec<f64> =
        panel.values.iter().flatten().flatten().copied().chain(panel.targets.iter().map(|t| t.0)).collect();
    let lo = all.iter().copied().fold(0.5f64, f64::min) / 1.3;
    let hi = all.iter().copied().fold(10.0f64, f64::max) * 1.6;
    let (llo, lhi) = (lo.log10(), hi.log10());
    let x = |v: f64| x0 + (v.clamp(lo, hi).log10() - llo) / (lhi - llo) * PANEL_W;

    let _ = writeln!(s, r#"<text x="{x0}" y="54" font-size="12" font-weight="bold">{}</text>"#, esc(&panel.title));
    let mut lx = x0;
    for ser in &panel.series {
        let _ = writeln!(s, r#"<rect x="{lx}" y="61" width="10" height="10" fill="{}"/>"#, ser.color);
        let _ = writeln!(s, r#"<text x="{}" y="70" font-size="10">{}</text>"#, lx + 13.0, esc(ser.name));
        lx += 18.0 + 6.0 * ser.name.len() as f64;
    }
    // Grid and ticks.
    for t in TICKS.iter().copied().filter(|t| *t >= lo && *t <= hi) {
        let tx = x(t);
        let stroke = if t == 1.0 { "#333" } else { "#ccc" };
        let _ = writeln!(
            s,
            r#"<line x1="{tx:.1}" y1="{TOP}" x2="{tx:.1}" y2="{bottom}" stroke="{stroke}" stroke-width="1"/>"#
        );
        let label = if t < 1.0 { format!("{t}×") } else { format!("{t:.0}×") };
        let _ = writeln!(
            s,
            r##"<text x="{tx:.1}" y="{}" font-size="9" text-anchor="middle" fill="#555">{label}</text>"##,
            bottom + 12.0
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="{}" y="{}" font-size="9" text-anchor="middle" fill="#555">log scale; right of 1×: brinery faster</text>"##,
        x0 + PANEL_W / 2.0,
        bottom + 26.0
    );
    for (v, caption) in &panel.targets {
        let tx = x(*v);
        let _ = writeln!(
            s,
            r##"<line x1="{tx:.1}" y1="{}" x2="{tx:.1}" y2="{bottom}" stroke="#c0392b" stroke-width="1.2" stroke-dasharray="4 3"/>"##,
            TOP - 14.0
        );
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{}" font-size="9" fill="#c0392b">{}</text>"##,
            tx + 3.0,
            TOP - 6.0,
            esc(caption)
        );
    }
    // Bars.
    let n = panel.series.len().max(1) as f64;
    let bar_h = ((ROW_H - 8.0) / n).min(9.0);
    let one = x(1.0);
    for (r, row) in panel.values.iter().enumerate() {
        let y = TOP + r as f64 * ROW_H + (ROW_H - bar_h * n) / 2.0;
        if row.iter().all(Option::is_none) {
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{:.1}" font-size="9" fill="#999">n/a</text>"##,
                one + 3.0,
                TOP + r as f64 * ROW_H + ROW_H / 2.0 + 3.0
            );
            continue;
        }
        for (i, (v, ser)) in row.iter().zip(&panel.series).enumerate() {
            let by = y + i as f64 * bar_h;
            match v {
                Some(v) => {
                    let end = x(*v);
                    let (bx, bw) = if end >= one { (one, end - one) } else { (end, one - end) };
                    let _ = writeln!(
                        s,
                        r#"<rect x="{bx:.1}" y="{by:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                        bw.max(0.5),
                        bar_h - 1.0,
                        ser.color,
                        esc(ser.name),
                        fmt_ratio(*v)
                    );
                    let (tx, anchor) = if end >= one { (end + 2.0, "start") } else { (end - 2.0, "end") };
                    let _ = writeln!(
                        s,
                        r#"<text x="{tx:.1}" y="{:.1}" font-size="8" text-anchor="{anchor}">{}</text>"#,
                        by + bar_h - 2.0,
                        fmt_ratio(*v)
                    );
                }
                None => {
                    let _ = writeln!(
                        s,
                        r##"<text x="{:.1}" y="{:.1}" font-size="8" fill="#999">n/a</text>"##,
                        one + 2.0,
                        by + bar_h - 2.0
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_bars_and_gaps() {
        let panel = Panel {
            title: "t".into(),
            series: vec![Series { name: "a", color: "#000" }, Series { name: "b", color: "#111" }],
            values: vec![vec![Some(3.0), None], vec![None, None], vec![Some(0.5), Some(40.0)]],
            targets: vec![(3.0, "target 3×".into())],
        };
        let svg = chart("title <x>", "sub", &["w1".into(), "w2".into(), "w3".into()], &[panel]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("title &lt;x&gt;"));
        assert_eq!(svg.matches("<rect x=").count() - svg.matches("fill=\"#f4f4f4\"").count(), 2 + 3);
        assert!(svg.contains("n/a"));
        assert!(svg.contains("40.0×"));
    }
}
