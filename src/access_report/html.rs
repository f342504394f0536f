//! The report as one self-contained HTML page: its style and its filter
//! script inline, allowed by a Content-Security-Policy that names their
//! SHA-256 and nothing else (no network, no other script, style, font or
//! image), and a print stylesheet.
//!
//! Every value from the input reaches the page through one function,
//! [`html_text`]: invisible characters as escapes ([`crate::text::visible`]),
//! then `& < > " ' /` as entities. The template (minijinja, auto-escaping
//! for HTML) prints nothing else unescaped but the page's own style and
//! script. The filter reads values from `data-` attributes, never as
//! markup.

use minijinja::value::{Serde, Value};
use minijinja::{AutoEscape, Environment};
use sha2::{Digest, Sha256};

use super::AccessReport;

const PAGE: &str = include_str!("page.html");
/// The page's style, inline.
pub const STYLE: &str = include_str!("page.css");
/// The page's filter, inline.
pub const SCRIPT: &str = include_str!("page.js");

/// The Content-Security-Policy of the page: the inline style and script by
/// their hashes, nothing else.
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; script-src '{}'; style-src '{}'; img-src 'none'; font-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'",
        source_hash(SCRIPT),
        source_hash(STYLE)
    )
}

/// `sha256-<base64>` of an inline element's text, as CSP names it.
fn source_hash(text: &str) -> String {
    format!("sha256-{}", base64(&Sha256::digest(text.as_bytes())))
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Text from the input, for HTML text or a quoted attribute value.
pub fn html_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::text::visible(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '/' => out.push_str("&#x2f;"),
            c => out.push(c),
        }
    }
    out
}

/// rbacc's words with names in backticks (`` `members.admin` of team
/// `payments` ``): the names as `<code>`, everything escaped.
fn backticks(s: &str) -> Value {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(&html_text(part));
            out.push_str("</code>");
        } else {
            out.push_str(&html_text(part));
        }
    }
    Value::from_safe_string(out)
}

/// The page. Deterministic: the same report gives the same bytes.
pub fn render(report: &AccessReport) -> String {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    // Every value printed goes through `html_text` unless it is the page's
    // own (marked safe).
    env.set_formatter(|out, _state, value| {
        if value.is_safe() {
            write!(out, "{value}").map_err(minijinja::Error::from)?;
        } else if value.is_none() || value.is_undefined() {
        } else {
            let text = value.to_string();
            out.write_str(&html_text(&text))
                .map_err(minijinja::Error::from)?;
        }
        Ok(())
    });
    env.add_filter("backticks", |s: String| backticks(&s));
    env.add_template("page.html", PAGE)
        .expect("the page template parses");
    let template = env.get_template("page.html").expect("added above");
    template
        .render(minijinja::context! {
            report => Serde(report),
            version => env!("CARGO_PKG_VERSION"),
            csp => Value::from_safe_string(content_security_policy()),
            style => Value::from_safe_string(STYLE.to_string()),
            script => Value::from_safe_string(SCRIPT.to_string()),
        })
        .expect("the report renders")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_as_rfc_4648_has_it() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want);
        }
    }

    #[test]
    fn html_text_holds_no_markup() {
        let shown = html_text("</style><script>alert('x\")</script>\u{202e}&");
        assert!(!shown.contains(['<', '>', '"', '\'']), "{shown}");
        assert!(shown.contains("\\u{202e}"), "{shown}");
    }
}
