//! Server-side SVG charts for the insights page.
//!
//! [`bar_chart`] and [`line_chart`] each return one inline `<svg>` element, drawn on the server so
//! the page needs no JavaScript. A chart is only a picture: the page template shows the same
//! figures in a data table beside it, and the chart carries its accessible name (`<title>`) and a
//! one-sentence text alternative (`<desc>`). Colours come from CSS classes (`chart-grid`,
//! `chart-bar`, `chart-s0` … `chart-s7`, …) in the app stylesheet, so charts follow the light and
//! dark themes; line series also differ by dash pattern and point marker, so they can be told
//! apart without colour. The output is deterministic: the same input gives the same string.

use std::fmt;

/// One bar: its label and value.
pub struct Bar {
    pub label: String,
    pub value: f64,
}

/// One line of a line chart: its name (shown in the legend) and one value per x label.
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

/// viewBox width: at 480 units, 14-unit text is still 10.5 px tall on a 360 px wide screen.
const WIDTH: f64 = 480.0;
const PAD: f64 = 8.0;
const FONT: f64 = 14.0;
/// Labels are cut short with "…" beyond this many characters (the data table has them in full).
const MAX_LABEL_CHARS: usize = 28;
const BAR_TOP: f64 = 24.0;
const BAR_ROW: f64 = 44.0;
const PLOT_TOP: f64 = 14.0;
const PLOT_HEIGHT: f64 = 180.0;
const LEGEND_ROW: f64 = 22.0;
const LEGEND_TEXT_X: f64 = 54.0;
const MAX_X_LABELS: usize = 6;
const MAX_MARKED_POINTS: usize = 31;
/// Dash pattern per series ("" is solid), so that lines differ without colour.
const DASHES: [&str; 8] = [
    "",
    "8 4",
    "2 3",
    "8 3 2 3",
    "16 4",
    "8 3 2 3 2 3",
    "2 7",
    "16 4 4 4",
];
/// Values are clamped to this, which keeps all the arithmetic finite whatever the input.
const MAX_VALUE: f64 = 1e15;

/// Horizontal bar chart. `id` is a unique HTML id prefix (ASCII letters, digits, '-') used for the
/// title/desc ids; `title` is the accessible name; `summary` is a one-sentence text alternative put
/// in <desc>. `format` turns a value into its printed label (e.g. "42" or "3 h 5 min");
/// `min_step` is the least gap between gridlines (1 keeps counts whole).
pub fn bar_chart(
    id: &str,
    title: &str,
    summary: &str,
    bars: &[Bar],
    format: &dyn Fn(f64) -> String,
    min_step: f64,
) -> String {
    let id = clean_id(id);
    if bars.is_empty() {
        return empty_chart(&id, title, summary);
    }
    let values: Vec<f64> = bars.iter().map(|bar| clean(bar.value)).collect();
    let axis = nice_max(values.iter().copied().fold(min_step, f64::max));
    let ticks = ticks(axis, min_step);
    let tick_labels: Vec<String> = ticks.iter().map(|&t| format(t)).collect();
    let value_labels: Vec<String> = values.iter().map(|&v| format(v)).collect();
    // Keep room right of the longest bar for its value, and for half the last tick label.
    let value_room = widest(&value_labels) + 6.0;
    let tick_room = tick_labels.last().map_or(0.0, |l| text_width(l) / 2.0);
    let x1 = (WIDTH - PAD - value_room.max(tick_room)).max(WIDTH / 2.0);
    let x_at = |v: f64| PAD + v / axis * (x1 - PAD);
    let row_y = |i: usize| BAR_TOP + i as f64 * BAR_ROW;
    let bottom = row_y(bars.len());

    let mut svg = open_svg(&id, title, summary, bottom + PAD);
    svg += "<g class=\"chart-grid\">";
    for &t in &ticks {
        svg += &line(x_at(t), BAR_TOP - 4.0, x_at(t), bottom);
    }
    svg += "</g>\n<g class=\"chart-axis-label\">";
    // Print every tick label, or every other one if they would overlap.
    let spacing = (x1 - PAD) / (ticks.len() - 1) as f64;
    let every = ((widest(&tick_labels) + 8.0) / spacing).ceil().max(1.0) as usize;
    for (i, (&t, label)) in ticks.iter().zip(&tick_labels).enumerate().step_by(every) {
        let anchor = if i == 0 { "start" } else { "middle" };
        svg += &text(x_at(t), 16.0, anchor, label);
    }
    svg += "</g>\n<g class=\"chart-label\">";
    for (i, bar) in bars.iter().enumerate() {
        svg += &text(PAD, row_y(i) + 16.0, "start", &truncate(&bar.label));
    }
    svg += "</g>\n<g class=\"chart-bar\">";
    for (i, &v) in values.iter().enumerate() {
        let (y, width) = (N(row_y(i) + 22.0), N(x_at(v) - PAD));
        svg += &format!("<rect x=\"{PAD}\" y=\"{y}\" width=\"{width}\" height=\"16\"/>");
    }
    svg += "</g>\n<g class=\"chart-value\">";
    for (i, (&v, label)) in values.iter().zip(&value_labels).enumerate() {
        svg += &text(x_at(v) + 6.0, row_y(i) + 35.0, "start", label);
    }
    svg += "</g>\n</svg>";
    svg
}

/// Line chart over `x_labels` (dates as short strings, e.g. "11-02"), one polyline per series.
pub fn line_chart(
    id: &str,
    title: &str,
    summary: &str,
    x_labels: &[String],
    series: &[Series],
) -> String {
    let id = clean_id(id);
    let n = x_labels.len();
    if n == 0 || series.is_empty() {
        return empty_chart(&id, title, summary);
    }
    // Values past the last x label have nowhere to go; a short series simply stops early.
    let values: Vec<Vec<f64>> = series
        .iter()
        .map(|s| s.values.iter().take(n).map(|&v| clean(v)).collect())
        .collect();
    let axis = nice_max(values.iter().flatten().copied().fold(0.0, f64::max));
    // Lines show counts: a step of at least 1 keeps every tick a whole number.
    let ticks = ticks(axis, 1.0);
    let tick_labels: Vec<String> = ticks.iter().map(|t| t.round().to_string()).collect();
    let left = PAD + widest(&tick_labels) + 6.0;
    // Half of the last x label sticks out right of the last point.
    let right = WIDTH - 20.0;
    let bottom = PLOT_TOP + PLOT_HEIGHT;
    let x_at = |i: usize| match n {
        1 => (left + right) / 2.0,
        _ => left + i as f64 * (right - left) / (n - 1) as f64,
    };
    let y_at = |v: f64| bottom - v / axis * PLOT_HEIGHT;
    let legend = legend_positions(series, bottom + 40.0);
    let height = legend.last().map_or(bottom, |&(_, y)| y) + 14.0;
    let marked = n <= MAX_MARKED_POINTS;

    let mut svg = open_svg(&id, title, summary, height);
    svg += "<g class=\"chart-grid\">";
    for &t in &ticks {
        svg += &line(left, y_at(t), right, y_at(t));
    }
    svg += "</g>\n<g class=\"chart-axis-label\">";
    for (&t, label) in ticks.iter().zip(&tick_labels) {
        svg += &text(left - 6.0, y_at(t) + 5.0, "end", label);
    }
    for i in (0..n).step_by(n.div_ceil(MAX_X_LABELS)) {
        svg += &text(x_at(i), bottom + 20.0, "middle", &x_labels[i]);
    }
    svg += "</g>\n";
    for (k, vals) in values.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
        let points: Vec<(f64, f64)> = (vals.iter().enumerate())
            .map(|(i, &v)| (x_at(i), y_at(v)))
            .collect();
        svg += &series_line(k, &points, marked);
    }
    for (k, &(x, y)) in legend.iter().enumerate() {
        svg += &legend_sample(k, x, y, marked);
    }
    svg += "<g class=\"chart-label\">";
    for (s, &(x, y)) in series.iter().zip(&legend) {
        svg += &text(x + LEGEND_TEXT_X, y + 5.0, "start", &truncate(&s.name));
    }
    svg += "</g>\n</svg>";
    svg
}

/// One series' line, with a marker on each point when `marked`.
fn series_line(k: usize, points: &[(f64, f64)], marked: bool) -> String {
    let (style, dashes, points_attr) = (k % DASHES.len(), dash_attr(k), point_list(points));
    let mut out = format!(
        "<polyline class=\"chart-line chart-s{style}\"{dashes} points=\"{points_attr}\"/>\n"
    );
    if marked {
        out += &format!("<g class=\"chart-s{style}\">");
        for &(x, y) in points {
            out += &marker(k, x, y);
        }
        out += "</g>\n";
    }
    out
}

/// A legend entry's picture, left edge at `x` and middle at `y`: a colour swatch, then a piece of
/// line with the series' dashes (and marker); the name is drawn with the other labels.
fn legend_sample(k: usize, x: f64, y: f64, marked: bool) -> String {
    let (style, dashes) = (k % DASHES.len(), dash_attr(k));
    let (left, top, line_x1, line_x2, mid) = (N(x), N(y - 6.0), N(x + 16.0), N(x + 48.0), N(y));
    let mut out = format!(
        "<rect class=\"chart-s{style}\" x=\"{left}\" y=\"{top}\" width=\"12\" height=\"12\"/>\
         <line class=\"chart-line chart-s{style}\"{dashes} \
         x1=\"{line_x1}\" y1=\"{mid}\" x2=\"{line_x2}\" y2=\"{mid}\"/>"
    );
    if marked {
        out += &format!("<g class=\"chart-s{style}\">{}</g>", marker(k, x + 32.0, y));
    }
    out + "\n"
}

/// The `<svg>` start tag with its `<title>` and `<desc>`; the caller adds the drawing and `</svg>`.
fn open_svg(id: &str, title: &str, summary: &str, height: f64) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {} {}\" \
         role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" font-size=\"{}\">\n\
         <title id=\"{id}-title\">{}</title>\n<desc id=\"{id}-desc\">{}</desc>\n",
        N(WIDTH),
        N(height),
        N(FONT),
        escape(title),
        escape(summary)
    )
}

/// A chart with no data: a dash where the picture would be.
fn empty_chart(id: &str, title: &str, summary: &str) -> String {
    let mut svg = open_svg(id, title, summary, 48.0);
    svg += "<g class=\"chart-label\">";
    svg += &text(WIDTH / 2.0, 29.0, "middle", "–");
    svg += "</g>\n</svg>";
    svg
}

/// Where each legend entry goes (its left edge and middle), wrapping into rows that fit the width.
fn legend_positions(series: &[Series], first_row_y: f64) -> Vec<(f64, f64)> {
    let (mut x, mut y) = (PAD, first_row_y);
    let mut positions = Vec::with_capacity(series.len());
    for s in series {
        let width = LEGEND_TEXT_X + text_width(&truncate(&s.name));
        if x > PAD && x + width > WIDTH - PAD {
            (x, y) = (PAD, y + LEGEND_ROW);
        }
        positions.push((x, y));
        x += width + 16.0;
    }
    positions
}

fn dash_attr(series: usize) -> String {
    match DASHES[series % DASHES.len()] {
        "" => String::new(),
        dashes => format!(" stroke-dasharray=\"{dashes}\""),
    }
}

/// A point marker centred on (x, y): circle, square, triangle or diamond by series.
fn marker(series: usize, x: f64, y: f64) -> String {
    let polygon = |corners: &[(f64, f64)]| format!("<polygon points=\"{}\"/>", point_list(corners));
    let (r, s) = (4.5, 3.5);
    match series % 4 {
        0 => format!("<circle cx=\"{}\" cy=\"{}\" r=\"{s}\"/>", N(x), N(y)),
        1 => format!(
            "<rect x=\"{}\" y=\"{}\" width=\"7\" height=\"7\"/>",
            N(x - s),
            N(y - s)
        ),
        2 => polygon(&[(x, y - r), (x + r, y + s), (x - r, y + s)]),
        _ => polygon(&[(x, y - r), (x + r, y), (x, y + r), (x - r, y)]),
    }
}

/// "x,y x,y …" for a polyline or polygon.
fn point_list(points: &[(f64, f64)]) -> String {
    let pairs: Vec<String> = points
        .iter()
        .map(|&(x, y)| format!("{},{}", N(x), N(y)))
        .collect();
    pairs.join(" ")
}

fn line(x1: f64, y1: f64, x2: f64, y2: f64) -> String {
    let (x1, y1, x2, y2) = (N(x1), N(y1), N(x2), N(y2));
    format!("<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\"/>")
}

fn text(x: f64, y: f64, anchor: &str, content: &str) -> String {
    let (x, y, content) = (N(x), N(y), escape(content));
    match anchor {
        "start" => format!("<text x=\"{x}\" y=\"{y}\">{content}</text>"),
        _ => format!("<text x=\"{x}\" y=\"{y}\" text-anchor=\"{anchor}\">{content}</text>"),
    }
}

/// The smallest 1, 2, 2.5 or 5 × 10^n that is at least `max`; 1 when there is nothing to show.
fn nice_max(max: f64) -> f64 {
    let max = clean(max);
    if max < 1e-9 {
        return 1.0;
    }
    let magnitude = 10f64.powi(max.log10().floor() as i32);
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|k| k * magnitude)
        .find(|&candidate| candidate >= max * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude)
}

/// Gridline values from 0 to `axis` (a [`nice_max`]) in 4 or 5 round steps of at least `min_step`.
fn ticks(axis: f64, min_step: f64) -> Vec<f64> {
    let leading_digit = axis / 10f64.powi(axis.log10().floor() as i32);
    let divisions = if (leading_digit - 2.0).abs() < 1e-6 {
        4.0
    } else {
        5.0
    };
    // i × axis / divisions rather than i × step, so 3 × 0.2 is 0.6 and not 0.6000000000000001.
    let tick = |i: u32| {
        if axis / divisions < min_step {
            f64::from(i) * min_step
        } else {
            f64::from(i) * axis / divisions
        }
    };
    (0..)
        .map(tick)
        .take_while(|&t| t <= axis * (1.0 + 1e-9))
        .collect()
}

/// Non-finite and negative values count as 0.
fn clean(value: f64) -> f64 {
    if value.is_finite() && value > 0.0 {
        value.min(MAX_VALUE)
    } else {
        0.0
    }
}

/// The id with anything but ASCII letters, digits and '-' dropped, so it is always a valid id.
fn clean_id(id: &str) -> String {
    let id: String = (id.chars())
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    if id.is_empty() {
        "chart".to_owned()
    } else {
        id
    }
}

fn truncate(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL_CHARS {
        return label.to_owned();
    }
    let short: String = label.chars().take(MAX_LABEL_CHARS - 1).collect();
    format!("{}…", short.trim_end())
}

/// Escapes text for XML and HTML; drops control characters, which neither allows.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A rough width of `text` in viewBox units: no fonts are at hand on the server, so this assumes
/// full-width CJK characters are 1 em and everything else 0.6 em (on the wide side for Latin).
fn text_width(text: &str) -> f64 {
    let em = |c: char| match u32::from(c) {
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF => 1.0,
        0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1FAFF => 1.0,
        0x20000..=0x3FFFD => 1.0,
        _ => 0.6,
    };
    text.chars().map(em).sum::<f64>() * FONT
}

fn widest(labels: &[String]) -> f64 {
    labels.iter().map(|l| text_width(l)).fold(0.0, f64::max)
}

/// A coordinate printed with at most one decimal ("12", "12.5"), to keep the output small.
struct N(f64);

impl fmt::Display for N {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rounded = (self.0 * 10.0).round() / 10.0;
        if rounded == 0.0 {
            f.write_str("0")
        } else if rounded.fract() == 0.0 {
            write!(f, "{rounded:.0}")
        } else {
            write!(f, "{rounded:.1}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(v: f64) -> String {
        format!("{v}")
    }

    fn bars(items: &[(&str, f64)]) -> Vec<Bar> {
        (items.iter())
            .map(|&(label, value)| Bar {
                label: label.to_owned(),
                value,
            })
            .collect()
    }

    fn series(name: &str, values: &[f64]) -> Series {
        Series {
            name: name.to_owned(),
            values: values.to_vec(),
        }
    }

    fn dates(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("11-{:02}", i % 30 + 1)).collect()
    }

    /// A small XML well-formedness check: one root, balanced tags, quoted and unique attributes,
    /// and only the entities that `escape` writes.
    fn assert_well_formed(xml: &str) {
        let check_entities = |text: &str| {
            for (at, _) in text.match_indices('&') {
                let known = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"];
                assert!(
                    known.iter().any(|e| text[at..].starts_with(e)),
                    "bad entity in {text}"
                );
            }
        };
        let mut open: Vec<&str> = Vec::new();
        let mut roots = 0;
        let mut rest = xml;
        while let Some(start) = rest.find('<') {
            let text = &rest[..start];
            assert!(
                !open.is_empty() || text.trim().is_empty(),
                "text outside the root"
            );
            check_entities(text);
            let end = start + rest[start..].find('>').expect("unterminated tag");
            let tag = &rest[start + 1..end];
            rest = &rest[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(open.pop(), Some(name), "mismatched end tag");
                continue;
            }
            let (tag, self_closing) = tag.strip_suffix('/').map_or((tag, false), |t| (t, true));
            let (name, mut attrs) = tag.split_once(' ').unwrap_or((tag, ""));
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic()),
                "{name}"
            );
            let mut seen = Vec::new();
            while !attrs.is_empty() {
                let (attr, after) = attrs.split_once("=\"").expect("unquoted attribute");
                let (value, after) = after.split_once('"').expect("unterminated attribute");
                let attr = attr.trim_start();
                assert!(
                    !attr.is_empty() && attr.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                );
                assert!(!seen.contains(&attr), "duplicate attribute {attr}");
                assert!(
                    after.is_empty() || after.starts_with(' '),
                    "no space after {attr}"
                );
                assert!(!value.contains('<'));
                check_entities(value);
                seen.push(attr);
                attrs = after;
            }
            roots += usize::from(open.is_empty());
            if !self_closing {
                open.push(name);
            }
        }
        assert!(
            open.is_empty() && rest.trim().is_empty(),
            "unclosed {open:?}"
        );
        assert_eq!(roots, 1);
    }

    fn assert_title_and_desc(svg: &str, id: &str, title: &str, summary: &str) {
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\""));
        assert!(svg.contains(&format!(" aria-labelledby=\"{id}-title {id}-desc\"")));
        assert!(svg.contains(" role=\"img\"") && !svg.contains(" width=\"100"));
        let head = format!(
            ">\n<title id=\"{id}-title\">{title}</title>\n<desc id=\"{id}-desc\">{summary}</desc>\n"
        );
        let first_child = svg.find('>').unwrap();
        assert_eq!(&svg[first_child..first_child + head.len()], head);
        assert_eq!(svg.matches("<title").count(), 1);
        assert_eq!(svg.matches("<desc").count(), 1);
    }

    #[test]
    fn escape_covers_markup_and_keeps_unicode() {
        assert_eq!(
            escape(r#"a & b < c > d " e ' f"#),
            "a &amp; b &lt; c &gt; d &quot; e &#39; f"
        );
        assert_eq!(
            escape("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            escape("回答までの時間（中央値）"),
            "回答までの時間（中央値）"
        );
        assert_eq!(escape("a\u{0}b\u{7}c\nd\u{9f}"), "abc d");
    }

    #[test]
    fn labels_are_escaped_in_the_picture() {
        let input = bars(&[("<script>alert('x')</script>", 3.0), ("未解決の質問", 5.0)]);
        let svg = bar_chart("c", "A & B", "<b>", &input, &plain, 0.0);
        assert!(!svg.contains("<script") && !svg.contains("<b>"));
        assert!(svg.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(svg.contains(">未解決の質問</text>"));
        assert_title_and_desc(&svg, "c", "A &amp; B", "&lt;b&gt;");
        assert_well_formed(&svg);
    }

    #[test]
    fn long_labels_are_truncated() {
        let long = "a".repeat(30);
        assert_eq!(truncate(&long), format!("{}…", "a".repeat(27)));
        assert_eq!(
            truncate(&format!("{} {long}", "b".repeat(26))),
            format!("{}…", "b".repeat(26))
        );
        assert_eq!(truncate(&"質".repeat(28)), "質".repeat(28));
        let svg = bar_chart("c", "t", "s", &bars(&[(long.as_str(), 1.0)]), &plain, 0.0);
        assert!(svg.contains("aaa…</text>") && !svg.contains(&long));
    }

    #[test]
    fn empty_inputs_give_a_valid_chart_saying_so() {
        let charts = [
            bar_chart("e1", "Empty", "Nothing yet.", &[], &plain, 0.0),
            line_chart("e2", "Empty", "Nothing yet.", &[], &[series("a", &[1.0])]),
            line_chart("e3", "Empty", "Nothing yet.", &dates(3), &[]),
        ];
        for (i, svg) in charts.iter().enumerate() {
            assert_title_and_desc(svg, &format!("e{}", i + 1), "Empty", "Nothing yet.");
            assert!(svg.contains(">–</text>") && !svg.contains("<rect"));
            assert_well_formed(svg);
        }
        let no_values = line_chart("e4", "t", "s", &dates(3), &[series("a", &[])]);
        assert!(!no_values.contains("<polyline") && no_values.contains(">a</text>"));
        assert_well_formed(&no_values);
    }

    #[test]
    fn non_finite_and_negative_values_count_as_zero() {
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -5.0, 0.0] {
            assert_eq!(clean(v), 0.0);
        }
        let input = bars(&[
            ("a", f64::NAN),
            ("b", -5.0),
            ("c", f64::INFINITY),
            ("d", 10.0),
        ]);
        let svg = bar_chart("c", "t", "s", &input, &plain, 0.0);
        assert_eq!(svg.matches("width=\"0\"").count(), 3);
        assert!(!svg.contains("NaN") && !svg.contains("inf<") && !svg.contains("\"-"));
        assert_well_formed(&svg);
        let line = line_chart(
            "l",
            "t",
            "s",
            &dates(3),
            &[series("a", &[f64::NAN, -1.0, 4.0])],
        );
        assert!(!line.contains("NaN") && line.contains("<polyline"));
        assert_well_formed(&line);
    }

    #[test]
    fn all_zero_values_use_a_unit_axis() {
        let svg = bar_chart("c", "t", "s", &bars(&[("a", 0.0)]), &plain, 0.0);
        assert!(svg.contains(">0</text>") && svg.contains(">1</text>"));
        let line = line_chart("l", "t", "s", &dates(2), &[series("a", &[0.0, 0.0])]);
        assert!(line.contains(">0</text>") && line.contains(">1</text>"));
        assert_eq!(ticks(1.0, 1.0), [0.0, 1.0]);
        assert_well_formed(&line);
    }

    #[test]
    fn nice_max_rounds_up_to_1_2_2_5_or_5_times_a_power_of_ten() {
        let cases = [
            (0.0, 1.0),
            (-3.0, 1.0),
            (f64::NAN, 1.0),
            (0.07, 0.1),
            (0.3, 0.5),
            (1.0, 1.0),
            (1.2, 2.0),
            (2.0, 2.0),
            (2.1, 2.5),
            (3.0, 5.0),
            (7.0, 10.0),
            (10.0, 10.0),
            (11.0, 20.0),
            (99.0, 100.0),
            (240.0, 250.0),
            (251.0, 500.0),
            (1000.0, 1000.0),
            (12_345.0, 20_000.0),
        ];
        for (max, expected) in cases {
            assert!(
                (nice_max(max) - expected).abs() < 1e-9,
                "{max} → {}",
                nice_max(max)
            );
        }
    }

    #[test]
    fn ticks_are_round_steps() {
        assert_eq!(ticks(10.0, 0.0), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(ticks(20.0, 0.0), [0.0, 5.0, 10.0, 15.0, 20.0]);
        assert_eq!(ticks(250.0, 0.0), [0.0, 50.0, 100.0, 150.0, 200.0, 250.0]);
        assert_eq!(ticks(2.0, 1.0), [0.0, 1.0, 2.0]);
        assert_eq!(ticks(0.25, 0.0).len(), 6);
    }

    #[test]
    fn coordinates_have_at_most_one_decimal() {
        let shown: Vec<String> = [3.0, 1.26, -0.04, 0.0, 2.05, 479.99]
            .map(|v| N(v).to_string())
            .to_vec();
        assert_eq!(shown, ["3", "1.3", "0", "0", "2.1", "480"]);
        let svg = line_chart("l", "t", "s", &dates(7), &[series("a", &[1.0, 2.0, 3.0])]);
        let numbers = svg.split(|c: char| !(c.is_ascii_digit() || c == '.'));
        assert!(
            numbers
                .filter_map(|n| n.split_once('.'))
                .all(|(_, d)| d.len() <= 1)
        );
    }

    #[test]
    fn ids_are_cleaned() {
        let svg = bar_chart("a b\"<c", "t", "s", &[], &plain, 0.0);
        assert_title_and_desc(&svg, "abc", "t", "s");
        assert_title_and_desc(&line_chart("", "t", "s", &[], &[]), "chart", "t", "s");
    }

    #[test]
    fn bar_chart_has_one_row_per_bar() {
        let input = bars(&[("Answered", 42.0), ("Unanswered", 7.0), ("回答済み", 19.5)]);
        let hours = |v: f64| format!("{} h {} min", (v / 60.0).floor(), (v % 60.0).round());
        let svg = bar_chart("b", "t", "s", &input, &hours, 0.0);
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains(">0 h 42 min</text>") && svg.contains(">0 h 20 min</text>"));
        assert_well_formed(&svg);
        let taller = bar_chart("b", "t", "s", &bars(&[("a", 1.0); 10]), &plain, 0.0);
        let height = |svg: &str| {
            svg.split("viewBox=\"0 0 480 ")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .parse::<f64>()
                .unwrap()
        };
        assert!(height(&taller) > height(&svg) + 6.0 * BAR_ROW);
        assert_eq!(
            svg,
            bar_chart("b", "t", "s", &input, &hours, 0.0),
            "deterministic"
        );
    }

    #[test]
    fn line_chart_draws_each_series_with_a_legend_entry() {
        let three = [
            series("Questions", &[3.0, 8.0, 2.0]),
            series("Answers", &[1.0, 4.0, 9.0]),
            series("質問", &[0.0, 1.0, 1.0]),
        ];
        let svg = line_chart("l", "Activity", "Three lines.", &dates(3), &three);
        assert_title_and_desc(&svg, "l", "Activity", "Three lines.");
        assert_eq!(svg.matches("<polyline").count(), 3);
        assert_eq!(
            svg.matches("<line class=\"chart-line").count(),
            3,
            "legend samples"
        );
        for s in &three {
            assert_eq!(svg.matches(&format!(">{}</text>", s.name)).count(), 1);
        }
        assert_eq!(
            svg.matches("stroke-dasharray").count(),
            4,
            "series 1 and 2, line and sample"
        );
        assert_eq!(
            svg.matches("<circle").count(),
            4,
            "three points and a legend marker"
        );
        assert_well_formed(&svg);
        assert_eq!(
            svg,
            line_chart("l", "Activity", "Three lines.", &dates(3), &three)
        );
        let one_point = line_chart("l", "t", "s", &dates(1), &three[..1]);
        assert_eq!(
            one_point.matches("<circle").count(),
            2,
            "the point and its legend marker"
        );
        assert_well_formed(&one_point);
    }

    #[test]
    fn long_line_charts_thin_labels_drop_markers_and_wrap_the_legend() {
        let eight: Vec<Series> = (0..8)
            .map(|k| {
                series(
                    &format!("Brand support series {k}"),
                    &vec![k as f64 * 3.0; 92],
                )
            })
            .collect();
        let svg = line_chart("l", "t", "s", &dates(92), &eight);
        assert_eq!(svg.matches("<polyline").count(), 8);
        assert!(!svg.contains("<g class=\"chart-s"), "no markers");
        assert!(svg.matches(">11-").count() <= MAX_X_LABELS);
        let rows: std::collections::BTreeSet<String> = legend_positions(&eight, 0.0)
            .iter()
            .map(|p| N(p.1).to_string())
            .collect();
        assert!(rows.len() >= 3);
        assert!(
            legend_positions(&eight, 0.0)
                .iter()
                .all(|&(x, _)| x + LEGEND_TEXT_X < WIDTH)
        );
        assert_well_formed(&svg);
    }
}
