//! Typed reading of a [`Node`] tree, collecting every problem.
//!
//! The readers here report a diagnostic and return `None` (or skip the item)
//! when a value has the wrong shape, so that one pass over a file finds every
//! unknown field and type error in it.

use crate::diag::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::source::{Sp, Span};
use crate::yaml::{Kind, Node};

/// Reads values out of one file's tree.
pub struct Decoder<'a> {
    pub diags: &'a mut Diagnostics,
    /// The file's text, to recover how a plain scalar was spelled.
    text: &'a str,
}

impl<'a> Decoder<'a> {
    pub fn new(diags: &'a mut Diagnostics, text: &'a str) -> Decoder<'a> {
        Decoder { diags, text }
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diags.push(diagnostic);
    }

    fn wrong_type(&mut self, node: &Node, expected: &str) {
        let mut d = Diagnostic::error(
            Code::WrongType,
            node.span,
            format!("expected {expected}, found {}", node.kind.type_name()),
        )
        .label(format!("expected {expected}"));
        if expected == "a string"
            && matches!(node.kind, Kind::Int(_) | Kind::Float(_) | Kind::Bool(_))
        {
            d = d.help("put the value in quotes to make it a string");
        }
        if expected == "a list" && matches!(node.kind, Kind::Str(_) | Kind::Int(_) | Kind::Bool(_))
        {
            let start = node.span.offset as usize;
            let written = self
                .text
                .get(start..start + node.span.len as usize)
                .map(str::trim)
                .filter(|w| !w.is_empty() && w.len() <= 64 && !w.contains('\n'));
            d = d.help(match written {
                Some(w) => format!("a list of one is written `[{}]`", crate::text::visible(w)),
                None => "write a list: `[a, b]`, or one `- item` per line".to_string(),
            });
        }
        self.push(d);
    }

    /// The fields of a mapping. `null` (an empty value) reads as an empty
    /// mapping. Any other value is reported as the wrong type and reads as a
    /// mapping whose fields are all absent, without being reported missing.
    pub fn fields<'n>(&mut self, node: &'n Node, known: &'static [&'static str]) -> Fields<'n> {
        let (entries, readable): (&'n [(Sp<String>, Node)], bool) = match &node.kind {
            Kind::Map(entries) => (entries, true),
            Kind::Null => (&[], true),
            _ => {
                self.wrong_type(node, "a mapping");
                (&[], false)
            }
        };
        Fields {
            span: node.span,
            missing_at: None,
            readable,
            entries,
            used: vec![false; entries.len()],
            known,
        }
    }

    /// The entries of a mapping with free-form keys, such as labels.
    pub fn entries<'n>(&mut self, node: &'n Node) -> &'n [(Sp<String>, Node)] {
        match &node.kind {
            Kind::Map(entries) => entries,
            Kind::Null => &[],
            _ => {
                self.wrong_type(node, "a mapping");
                &[]
            }
        }
    }

    /// The items of a list. `null` reads as an empty list.
    pub fn items<'n>(&mut self, node: &'n Node) -> &'n [Node] {
        match &node.kind {
            Kind::Seq(items) => items,
            Kind::Null => &[],
            _ => {
                self.wrong_type(node, "a list");
                &[]
            }
        }
    }

    pub fn string(&mut self, node: &Node) -> Option<Sp<String>> {
        match &node.kind {
            Kind::Str(s) => Some(Sp::new(s.clone(), node.span)),
            _ => {
                self.wrong_type(node, "a string");
                None
            }
        }
    }

    /// A scalar read as text: strings as they are, numbers and booleans as
    /// they were spelled in the file (so `0.50` stays `0.50`).
    pub fn scalar_text(&mut self, node: &Node) -> Option<Sp<String>> {
        match &node.kind {
            Kind::Str(s) => Some(Sp::new(s.clone(), node.span)),
            Kind::Int(_) | Kind::Float(_) | Kind::Bool(_) => {
                let start = node.span.offset as usize;
                let end = start + node.span.len as usize;
                let spelled = self.text.get(start..end).map(str::trim).unwrap_or("");
                let text = match (&node.kind, spelled.is_empty()) {
                    (_, false) => spelled.to_string(),
                    (Kind::Int(i), true) => i.to_string(),
                    (Kind::Float(f), true) => f.to_string(),
                    (Kind::Bool(b), true) => b.to_string(),
                    _ => String::new(),
                };
                Some(Sp::new(text, node.span))
            }
            _ => {
                self.wrong_type(node, "a string or number");
                None
            }
        }
    }

    /// A whole number of zero or more.
    pub fn unsigned(&mut self, node: &Node) -> Option<u64> {
        match node.kind {
            Kind::Int(i) if i >= 0 => u64::try_from(i).ok(),
            _ => {
                self.wrong_type(node, "a whole number of zero or more");
                None
            }
        }
    }

    pub fn bool(&mut self, node: &Node) -> Option<bool> {
        match node.kind {
            Kind::Bool(b) => Some(b),
            _ => {
                self.wrong_type(node, "`true` or `false`");
                None
            }
        }
    }

    /// A list of strings; items of the wrong type are reported and skipped.
    pub fn strings(&mut self, node: &Node) -> Vec<Sp<String>> {
        let items = self.items(node);
        items.iter().filter_map(|item| self.string(item)).collect()
    }

    /// A mapping of strings to scalars (labels, quotas).
    pub fn string_map(&mut self, node: &Node) -> Vec<(Sp<String>, Sp<String>)> {
        let entries = self.entries(node);
        entries
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), self.scalar_text(v)?)))
            .collect()
    }

    /// One of a fixed set of words.
    pub fn one_of<T: Copy>(&mut self, node: &Node, choices: &[(&'static str, T)]) -> Option<Sp<T>> {
        let s = self.string(node)?;
        if let Some((_, value)) = choices.iter().find(|(name, _)| *name == s.value) {
            return Some(Sp::new(*value, s.span));
        }
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        let mut d = Diagnostic::error(
            Code::InvalidValue,
            s.span,
            format!("`{}` is not one of {}", s.value, backticked(&names)),
        )
        .label("unknown value");
        if let Some(best) = did_you_mean(&s.value, names.iter().copied()) {
            d = d.help(format!("did you mean `{best}`?"));
        }
        self.push(d);
        None
    }
}

/// Formats names as "`a`, `b` or `c`".
pub fn backticked(names: &[&str]) -> String {
    joined(names, "or")
}

/// Formats names as "`a`, `b` and `c`".
pub fn backticked_all(names: &[&str]) -> String {
    joined(names, "and")
}

fn joined(names: &[&str], conjunction: &str) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {conjunction} {last}", rest.join(", ")),
    }
}

/// The fields of one mapping, as they are taken out one by one.
pub struct Fields<'n> {
    pub span: Span,
    /// Where a missing field is reported, if not at the mapping itself.
    missing_at: Option<Span>,
    /// False when the value was not a mapping (already reported): its
    /// fields are then not reported missing.
    readable: bool,
    entries: &'n [(Sp<String>, Node)],
    used: Vec<bool>,
    known: &'static [&'static str],
}

impl<'n> Fields<'n> {
    /// Reports missing fields at `span`, such as the key of a nested section
    /// (`metadata:`), rather than at the mapping's first entry.
    pub fn missing_at(mut self, span: Option<Span>) -> Fields<'n> {
        self.missing_at = span;
        self
    }

    /// The value of `key`, if present.
    pub fn get(&mut self, key: &str) -> Option<&'n Node> {
        debug_assert!(
            self.known.contains(&key),
            "field {key} not declared as known"
        );
        let index = self.entries.iter().position(|(k, _)| k.value == key)?;
        self.used[index] = true;
        Some(&self.entries[index].1)
    }

    /// The key node of `key`, if present: for labels that point at a name.
    pub fn key_span(&self, key: &str) -> Option<Span> {
        self.entries
            .iter()
            .find(|(k, _)| k.value == key)
            .map(|(k, _)| k.span)
    }

    /// The value of `key`, reporting its absence.
    pub fn required(&mut self, d: &mut Decoder, key: &str, context: &str) -> Option<&'n Node> {
        self.required_because(d, key, context, None)
    }

    /// The value of `key`, reporting its absence with `help`, when the
    /// field's purpose is not plain from its name.
    pub fn required_because(
        &mut self,
        d: &mut Decoder,
        key: &str,
        context: &str,
        help: Option<&str>,
    ) -> Option<&'n Node> {
        let value = self.get(key);
        // A misspelt key (`apiversion:`) is reported once, as an unknown
        // field whose help names this one, not twice.
        let misspelt = self.entries.iter().any(|(k, _)| {
            !self.known.contains(&k.value.as_str())
                && did_you_mean(&k.value, self.known.iter().copied()) == Some(key)
        });
        if value.is_none() && self.readable && !misspelt {
            let mut diagnostic = Diagnostic::error(
                Code::MissingField,
                self.missing_at.unwrap_or(self.span),
                format!("{context} is missing the field `{key}`"),
            )
            .label(match self.missing_at {
                Some(_) => format!("`{key}` is required under this key"),
                None => format!("`{key}` is required here"),
            });
            if let Some(help) = help {
                diagnostic = diagnostic.help(help);
            }
            d.push(diagnostic);
        }
        value
    }

    /// Reports every field that was not taken out as unknown.
    pub fn finish(self, d: &mut Decoder) {
        for ((key, _), used) in self.entries.iter().zip(self.used) {
            if used {
                continue;
            }
            let mut diagnostic = Diagnostic::error(
                Code::UnknownField,
                key.span,
                format!("unknown field `{}`", key.value),
            )
            .label("unknown field");
            diagnostic = match did_you_mean(&key.value, self.known.iter().copied()) {
                Some(best) => diagnostic.help(format!("did you mean `{best}`?")),
                None => diagnostic.help(format!("expected one of {}", backticked(self.known))),
            };
            d.push(diagnostic);
        }
    }
}
