//! Text that came from a pull request, made safe for where it lands.
//!
//! Paths, names and values in team files are untrusted: a line break in a
//! directory name would end the comment it is written into and start YAML
//! of its own; an escape sequence in a diagnostic would rewrite the
//! reviewer's terminal. Every destination has one function here, and every
//! generated comment and printed diagnostic goes through it.

use std::borrow::Cow;

/// Whether `c` is a character a reader cannot see as itself: control
/// characters (C0, DEL, C1 with NEL), every Unicode line or paragraph
/// separator, and the format characters that reorder or hide text
/// (bidirectional overrides and isolates, zero-width characters, the byte
/// order mark, the soft hyphen).
///
/// Besides controls, this is Unicode's Default_Ignorable_Code_Point set
/// (characters a renderer shows as nothing: joiners, variation selectors,
/// fillers, tag characters) and the interlinear annotation controls, so a
/// name with one reads in a review exactly like the name without it.
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFFB}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// `s` with every [invisible](is_invisible) character written as Rust
/// escapes it (`\n`, `\r`, `\t`, `\u{1b}`, `\u{2028}`): one line,
/// printable as it is.
/// What diagnostics and terminal output print of untrusted text.
pub fn visible(s: &str) -> Cow<'_, str> {
    escape(s, is_invisible)
}

/// `s` as [`visible`] writes it, but keeping line feeds and tabs: for
/// messages of several lines printed on a terminal.
pub fn visible_lines(s: &str) -> Cow<'_, str> {
    escape(s, |c| is_invisible(c) && c != '\n' && c != '\t')
}

/// `s` with every character `hidden` selects written as Rust escapes it.
fn escape(s: &str, hidden: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(&hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hidden(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The text of a `#` comment in a generated file: one line, whatever `s`
/// holds. Every comment rbacc writes into YAML or CODEOWNERS goes through
/// this.
pub fn comment(s: &str) -> Cow<'_, str> {
    visible(s)
}

/// `value` as pretty JSON and a newline, with every [invisible](is_invisible)
/// character written as a `\uXXXX` escape (two, as UTF-16 surrogates, past
/// U+FFFF): serde_json escapes only C0 controls, and leaves DEL, C1
/// controls, line separators and bidirectional overrides raw. A reader
/// decodes exactly the same values. Every JSON document rbacc prints goes
/// through this.
pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let text = serde_json::to_string_pretty(value).expect("plain data serializes to JSON");
    // Outside strings, pretty JSON holds only ASCII punctuation, spaces and
    // line feeds, and serde_json writes a line feed in a string as `\n`:
    // any other invisible character is inside a string, where an escape
    // reads as the character.
    let mut out = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        if c != '\n' && is_invisible(c) {
            for unit in c.encode_utf16(&mut [0; 2]) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out.push('\n');
    out
}

/// Why the repository-relative path `path` (`/`-separated) cannot be read,
/// or `None` when every component is plain: not empty, no invisible
/// characters, no leading or trailing white space, valid UTF-8 (a path read
/// lossily carries U+FFFD), not `.` or `..`.
pub fn path_problem(path: &str) -> Option<&'static str> {
    for part in path.split('/') {
        if part.is_empty() || part == "." || part == ".." {
            return Some("has an empty, `.` or `..` component");
        }
        if part.chars().any(is_line_break) {
            return Some("holds a line break");
        }
        if part.chars().any(is_invisible) {
            return Some("holds a control or invisible character");
        }
        if part.contains('\u{FFFD}') {
            return Some("is not valid UTF-8");
        }
        if part.starts_with(char::is_whitespace) || part.ends_with(char::is_whitespace) {
            return Some("has a component that starts or ends with white space");
        }
    }
    None
}

/// Whether YAML, kubectl or a reader of the text takes `c` for the end of a
/// line: LF, CR, NEL, and the Unicode line and paragraph separators.
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{0085}' | '\u{2028}' | '\u{2029}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_escapes_every_line_break_and_control() {
        assert_eq!(visible("teams/payments.yaml"), "teams/payments.yaml");
        assert_eq!(visible("a\nb"), "a\\nb");
        assert_eq!(
            visible("a\u{85}b\u{2028}c\u{2029}d\re"),
            "a\\u{85}b\\u{2028}c\\u{2029}d\\re"
        );
        assert_eq!(visible("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(visible("evil\u{202e}lmth.yaml"), "evil\\u{202e}lmth.yaml");
        assert_eq!(visible("zero\u{200b}width"), "zero\\u{200b}width");
        for hidden in [
            '\u{34f}',
            '\u{3164}',
            '\u{fe0f}',
            '\u{e0041}',
            '\u{e0020}',
            '\u{115f}',
        ] {
            assert!(is_invisible(hidden), "{hidden:?}");
        }
        assert_eq!(visible_lines("a\n\tb\u{1b}"), "a\n\tb\\u{1b}");
        // Printable non-ASCII text is left alone.
        assert_eq!(visible("équipe-données"), "équipe-données");
    }

    #[test]
    fn json_escapes_what_serde_json_leaves_raw() {
        let hostile = "a\u{7f}b\u{85}c\u{2028}d\u{202e}e\u{e0041}f\u{1b}g\nh";
        let text = json(&serde_json::json!({ "k": hostile }));
        assert_eq!(
            text,
            "{\n  \"k\": \"a\\u007fb\\u0085c\\u2028d\\u202ee\\udb40\\udc41f\\u001bg\\nh\"\n}\n"
        );
        assert!(
            !text
                .trim_end()
                .chars()
                .any(|c| c != '\n' && is_invisible(c))
        );
        let back: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(back["k"], hostile);
    }

    #[test]
    fn comments_are_one_line() {
        for hostile in [
            "a\nkind: ClusterRoleBinding",
            "a\r\n---\n",
            "a\u{85}b",
            "a\u{2028}b",
        ] {
            let c = comment(hostile);
            assert!(!c.chars().any(is_line_break), "{c:?}");
        }
    }

    #[test]
    fn path_problems() {
        assert_eq!(path_problem("teams/payments.yaml"), None);
        assert_eq!(path_problem("teams/squad a/payments.yaml"), None);
        assert_eq!(path_problem("teams/équipe/payments.yaml"), None);
        for (path, why) in [
            ("teams/a\nb/x.yaml", "holds a line break"),
            ("teams/a\u{2029}b/x.yaml", "holds a line break"),
            ("teams/a\u{85}b/x.yaml", "holds a line break"),
            (
                "teams/a\u{1b}b/x.yaml",
                "holds a control or invisible character",
            ),
            (
                "teams/a\u{202e}b/x.yaml",
                "holds a control or invisible character",
            ),
            ("teams/a\u{fffd}/x.yaml", "is not valid UTF-8"),
            (
                "teams/ a/x.yaml",
                "has a component that starts or ends with white space",
            ),
            (
                "teams/a /x.yaml",
                "has a component that starts or ends with white space",
            ),
            (
                "teams/a/x.yaml ",
                "has a component that starts or ends with white space",
            ),
            ("teams//x.yaml", "has an empty, `.` or `..` component"),
        ] {
            assert_eq!(path_problem(path), Some(why), "{path:?}");
        }
    }
}
