//! The text `pathrules sources` prints: the table's sources graded by confidence, and
//! for each how often the pathways cite it and where first.

use crate::literature::{Audit, Confidence, Table};
use crate::syntax::Sources;

/// The widest line the listing writes; a longer citation is cut with `…`.
const WIDTH: usize = 100;

/// A headline, the count of sources by grade, then one line per source in the table's
/// order: id, grade, citations, the first place cited (file:line:column) and the
/// citation. `files` holds the pathways and the table (named `table_name`).
pub fn summary(table: &Table, audit: &Audit, files: &Sources, table_name: &str) -> String {
    let mut out = String::new();
    let cited_files = {
        let mut f: Vec<_> = audit.citations.iter().map(|c| c.span.file).collect();
        f.sort();
        f.dedup();
        f.len()
    };
    out.push_str(&format!(
        "{table_name}: {} sources, {} citations in {cited_files} of the {} files the hypotheses read\n",
        table.rows.len(),
        audit.citations.len(),
        audit.files,
    ));
    let grades: Vec<String> = Confidence::ALL
        .iter()
        .map(|&c| {
            let n = table.rows.iter().filter(|r| r.confidence == c).count();
            format!("{n} {} ({})", c.meaning(), c.code())
        })
        .collect();
    out.push_str(&format!("by confidence: {}\n", grades.join(", ")));
    let (errors, warnings) = (audit.errors(), audit.warnings());
    if errors == 0 && warnings == 0 {
        out.push_str("every citation has its source, and every source is cited\n");
    } else {
        out.push_str(&format!(
            "{errors} citation{} without a source, {warnings} source{} cited nowhere\n",
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
        ));
    }
    let place = |id: &str| -> String {
        audit
            .by_id
            .get(id)
            .and_then(|spans| spans.first())
            .map(|&s| {
                let (line, col) = files.line_col(s);
                format!("{}:{line}:{col}", files.get(s.file).name)
            })
            .unwrap_or_else(|| "—".to_string())
    };
    let rows: Vec<[String; 4]> = table
        .rows
        .iter()
        .map(|r| {
            let n = audit.by_id.get(&r.id).map_or(0, Vec::len);
            [
                r.id.clone(),
                r.confidence.code().to_string(),
                n.to_string(),
                place(&r.id),
            ]
        })
        .collect();
    let header = ["id", "conf", "cited", "first cited at"];
    let widths: Vec<usize> = (0..4)
        .map(|k| {
            rows.iter()
                .map(|r| r[k].chars().count())
                .chain([header[k].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    out.push('\n');
    let line = |cells: [&str; 5]| -> String {
        let mut l = String::new();
        for (k, cell) in cells[..4].iter().enumerate() {
            let pad = widths[k] - cell.chars().count();
            if k == 2 {
                l.push_str(&format!("{}{cell}  ", " ".repeat(pad)));
            } else {
                l.push_str(&format!("{cell}{}  ", " ".repeat(pad)));
            }
        }
        let room = WIDTH.saturating_sub(l.chars().count()).max(12);
        l.push_str(&cut(cells[4], room));
        l.trim_end().to_string() + "\n"
    };
    out.push_str(&line([
        header[0], header[1], header[2], header[3], "citation",
    ]));
    for (r, cells) in table.rows.iter().zip(&rows) {
        out.push_str(&line([
            &cells[0],
            &cells[1],
            &cells[2],
            &cells[3],
            &r.citation,
        ]));
    }
    out
}

/// `text` in at most `room` characters, cut with `…`.
fn cut(text: &str, room: usize) -> String {
    if text.chars().count() <= room {
        text.to_string()
    } else {
        let kept: String = text.chars().take(room - 1).collect();
        format!("{}…", kept.trim_end())
    }
}
