//! Tables as CSV (RFC 4180) for spreadsheets: a header line, then a line per row,
//! CRLF-terminated. Text that a spreadsheet would run as a formula (starting with `=`,
//! `+`, `-`, `@`, tab or CR) is prefixed with `'`, so a booking titled
//! `=HYPERLINK(…)` stays text; numbers are written as they are.

use serde_json::Value;

/// `rows` under `columns`, each row holding a value per column.
pub fn table(columns: &[&str], rows: &[Vec<Value>]) -> String {
    let mut out = String::new();
    line(&mut out, columns.iter().map(|c| text(c)));
    for row in rows {
        line(&mut out, row.iter().map(cell));
    }
    out
}

fn line(out: &mut String, cells: impl Iterator<Item = String>) {
    let cells: Vec<String> = cells.collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => text(s),
        other => other.to_string(),
    }
}

fn text(s: &str) -> String {
    let guarded = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn quotes_what_needs_quoting_and_leaves_numbers_alone() {
        let csv = table(
            &["name", "rate", "count"],
            &[
                vec![json!("Intro, 30 min"), json!(0.25), json!(3)],
                vec![json!("The \"big\" demo"), Value::Null, json!(-2)],
                vec![json!("two\nlines"), json!(1.0), json!(0)],
            ],
        );
        assert_eq!(
            csv,
            "name,rate,count\r\n\
             \"Intro, 30 min\",0.25,3\r\n\
             \"The \"\"big\"\" demo\",,-2\r\n\
             \"two\nlines\",1.0,0\r\n"
        );
    }

    #[test]
    fn text_a_spreadsheet_would_run_stays_text() {
        let csv = table(
            &["title"],
            &[
                vec![json!("=HYPERLINK(\"http://x\")")],
                vec![json!("@SUM(A1)")],
            ],
        );
        assert_eq!(
            csv,
            "title\r\n\"'=HYPERLINK(\"\"http://x\"\")\"\r\n'@SUM(A1)\r\n"
        );
    }

    #[test]
    fn an_empty_table_still_has_its_header() {
        assert_eq!(table(&["a", "b"], &[]), "a,b\r\n");
    }
}
