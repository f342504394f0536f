//! Text answers: tables, and objects written as kubectl names them.
//!
//! **Input**: rows of cells, each plain or coloured.
//!
//! **Output**: lines with the columns padded to their widest cell, two
//! spaces apart; the last column is not padded and no line ends in spaces.
//!
//! **Invariants**: widths count characters, not bytes (`✔` is one), and the
//! colour escapes are not counted, so a coloured table lines up as a plain
//! one.

/// `RoleBinding/name`, `ClusterRole/name`: an object as kubectl names it
/// (the namespace of a RoleBinding is the request's, or in a column of its
/// own).
pub(super) fn object_text(kind: &str, name: &str) -> String {
    format!("{kind}/{name}")
}

/// A table with columns padded to their widest cell, two spaces apart; the
/// last column is not padded.
pub(super) struct Table {
    rows: Vec<Vec<Cell>>,
}

pub(super) struct Cell {
    text: String,
    color: Option<&'static str>,
}

pub(super) const GREEN: &str = "\x1b[32m";
pub(super) const RED: &str = "\x1b[31m";
const RESET: &str = "\x1b[0m";

impl Cell {
    pub(super) fn plain(text: &str) -> Cell {
        Cell {
            text: text.to_string(),
            color: None,
        }
    }

    pub(super) fn colored(text: &str, color: &'static str) -> Cell {
        Cell {
            text: text.to_string(),
            color: Some(color),
        }
    }
}

impl Table {
    pub(super) fn new(header: &[&str]) -> Table {
        Table {
            rows: vec![header.iter().map(|h| Cell::plain(h)).collect()],
        }
    }

    pub(super) fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    pub(super) fn render(&self) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|i| {
                self.rows
                    .iter()
                    .filter_map(|row| row.get(i))
                    .map(|cell| cell.text.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in &self.rows {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                match cell.color {
                    Some(color) => line.push_str(&format!("{color}{}{RESET}", cell.text)),
                    None => line.push_str(&cell.text),
                }
                if i + 1 < row.len() {
                    let pad = widths[i].saturating_sub(cell.text.chars().count());
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_every_column_but_the_last() {
        let mut table = Table::new(&["A", "LONG HEADER", "C"]);
        table.row(vec![
            Cell::plain("wide cell"),
            Cell::plain("x"),
            Cell::plain(""),
        ]);
        table.row(vec![
            Cell::plain("✔"),
            Cell::colored("y", GREEN),
            Cell::plain("z"),
        ]);
        assert_eq!(
            table.render(),
            "A          LONG HEADER  C\n\
             wide cell  x\n\
             ✔          \x1b[32my\x1b[0m            z\n"
        );
    }
}
