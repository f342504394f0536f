//! JSON Schemas of the input files, for editors and other tools: `rbacc
//! schema team|config` prints them, `schema/` holds them, and
//! [`reference`] renders them as the README's input reference.
//!
//! The types below are the one declaration of the files' shape: each
//! mapping's fields, their order, their descriptions (doc comments) and
//! which are required. They never read a file: reading is `model::raw`'s,
//! which keeps spans and reports every problem at once, and takes each
//! mapping's fields from here ([`Mapping::fields`]). Tests hold the rest of
//! the decoder to the schema: it offers exactly these fields where it
//! reports an unknown one, `required` is exactly where it reports a missing
//! field, and the fixed sets of values (`podSecurity`, `allow`, ...) come
//! from the constants the decoder and validation check against.
//!
//! The schemas are JSON Schema draft 7, which yaml-language-server (most
//! editors' YAML support) reads in full, with every subschema inline (no
//! `$ref`), keys sorted and a final newline: the output is the same from
//! build to build.

use schemars::Schema;
use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use serde_json::Value;

mod shape;

pub use shape::*;

/// A file the schemas describe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Document {
    /// `teams/**/*.yaml`.
    Team,
    /// `rbacc.yaml`.
    Config,
}

impl Document {
    pub const ALL: [Document; 2] = [Document::Team, Document::Config];

    /// Where the schema lives in a repository, relative to its root.
    pub fn path(self) -> &'static str {
        match self {
            Document::Team => "schema/team.json",
            Document::Config => "schema/config.json",
        }
    }

    /// The file the schema describes, as the reference names it.
    pub fn file(self) -> &'static str {
        match self {
            Document::Team => "teams/**/*.yaml",
            Document::Config => "rbacc.yaml",
        }
    }
}

/// The schema of `document`, keys sorted.
pub fn schema(document: Document) -> Value {
    let generator = SchemaSettings::draft07()
        .with(|s| s.inline_subschemas = true)
        .with_transform(RecursiveTransform(null_only_for_collections))
        .with_transform(RecursiveTransform(unwrap_description))
        .into_generator();
    let schema = match document {
        Document::Team => generator.into_root_schema_for::<TeamFile>(),
        Document::Config => generator.into_root_schema_for::<ConfigFile>(),
    };
    let mut value = schema.to_value();
    value.sort_all_objects();
    value
}

/// The schema of `document` as `rbacc schema` prints it.
pub fn text(document: Document) -> String {
    let mut text = serde_json::to_string_pretty(&schema(document)).expect("a schema serializes");
    text.push('\n');
    text
}

/// One place in a document's schema: the values at `path`
/// (`spec.clusters[].name`; `[]` is any item of a list, `<name>` any key
/// of a mapping with free-form keys; empty for the whole file).
pub struct Entry<'a> {
    pub path: String,
    pub schema: &'a Value,
    /// The field is required in its mapping.
    pub required: bool,
    /// One of the forms the value at `path` may take (`anyOf`), such as a
    /// namespace written as a mapping; the entry before it is the whole.
    pub alternative: bool,
}

/// Every place in `schema`, parents before their fields.
pub fn entries(schema: &Value) -> Vec<Entry<'_>> {
    let mut out = Vec::new();
    walk(String::new(), schema, false, false, &mut out);
    out
}

fn walk<'a>(
    path: String,
    schema: &'a Value,
    required: bool,
    alternative: bool,
    out: &mut Vec<Entry<'a>>,
) {
    let join = |name: &str| match path.as_str() {
        "" => name.to_string(),
        _ => format!("{path}.{name}"),
    };
    out.push(Entry {
        path: path.clone(),
        schema,
        required,
        alternative,
    });
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        let needed = schema.get("required").and_then(Value::as_array);
        for (name, field) in properties {
            let required = needed.is_some_and(|n| n.iter().any(|r| r == name.as_str()));
            walk(join(name), field, required, false, out);
        }
    }
    if let Some(value) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        walk(join("<name>"), value, false, false, out);
    }
    if let Some(item) = schema.get("items") {
        walk(format!("{path}[]"), item, false, false, out);
    }
    let forms = schema.get("anyOf").and_then(Value::as_array);
    for form in forms.into_iter().flatten() {
        if form.get("properties").is_some() {
            walk(path.clone(), form, false, true, out);
        }
    }
}

/// The input reference in Markdown: a table of every field of each file,
/// as the README shows it.
pub fn reference() -> String {
    let mut text = String::new();
    for document in Document::ALL {
        let schema = schema(document);
        text.push_str(&format!(
            "#### `{}` ([`{}`]({}))\n\n",
            document.file(),
            document.path(),
            document.path()
        ));
        text.push_str("| field | type | required | description |\n| --- | --- | --- | --- |\n");
        for entry in entries(&schema) {
            // A list's items are described by the list, unless they take
            // several forms.
            let listed = entry.path.ends_with("[]") && entry.schema.get("anyOf").is_none();
            if entry.path.is_empty() || entry.alternative || listed {
                continue;
            }
            let description = entry
                .schema
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default();
            text.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                entry.path,
                cell(&type_name(entry.schema)),
                if entry.required { "yes" } else { "" },
                cell(&description.replace("\n\n", " ")),
            ));
        }
        text.push('\n');
    }
    text.pop();
    text
}

/// `text` fit for a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// How the reference names what a schema accepts.
fn type_name(schema: &Value) -> String {
    let strings = |key: &str| -> Vec<&str> {
        schema
            .get(key)
            .and_then(Value::as_array)
            .map(|values| values.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    };
    if let Some(value) = schema.get("const").and_then(Value::as_str) {
        return format!("`{value}`");
    }
    if schema.get("enum").is_some() {
        return crate::decode::backticked(&strings("enum"));
    }
    if let Some(forms) = schema.get("anyOf").and_then(Value::as_array) {
        let names: Vec<String> = forms.iter().map(type_name).collect();
        return names.join(" or ");
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        _ => strings("type"),
    };
    let names: Vec<String> = types
        .into_iter()
        .filter(|t| *t != "null")
        .map(|t| match t {
            "string" if schema.get("examples").is_some() => {
                format!(
                    "string: {} or another",
                    strings("examples")
                        .iter()
                        .map(|e| format!("`{e}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            "array" => {
                let item = schema.get("items").map(type_name).unwrap_or_default();
                let items = match item.as_str() {
                    "string" => "strings".to_string(),
                    "mapping" => "mappings".to_string(),
                    "string or mapping" => "strings or mappings".to_string(),
                    _ => item,
                };
                match schema.get("minItems").and_then(Value::as_u64) {
                    Some(n) if n > 0 => format!("non-empty list of {items}"),
                    _ => format!("list of {items}"),
                }
            }
            "object" => match schema.get("additionalProperties").filter(|v| v.is_object()) {
                Some(value) => format!("mapping: name -> {}", type_name(value)),
                None => "mapping".to_string(),
            },
            other => other.to_string(),
        })
        .collect();
    match names.split_last() {
        None => "any".to_string(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// Optional fields are `Option`s, which schemars lets be `null`. The
/// decoder reads `null` as an empty mapping or list and refuses it anywhere
/// else, so `null` stays only beside `object` and `array`, and not beside
/// a mapping with required fields (an empty one lacks them).
fn null_only_for_collections(schema: &mut Schema) {
    let has_required = schema
        .get("required")
        .and_then(Value::as_array)
        .is_some_and(|r| !r.is_empty());
    let Some(Value::Array(types)) = schema.get_mut("type") else {
        return;
    };
    let null = Value::from("null");
    let collection = types.iter().any(|t| t == "array")
        || (types.iter().any(|t| t == "object") && !has_required);
    if !types.contains(&null) || collection {
        return;
    }
    types.retain(|t| *t != null);
    if types.len() == 1 {
        let only = types.remove(0);
        schema.insert("type".to_string(), only);
    }
    if let Some(Value::Array(values)) = schema.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
}

/// Doc comments keep their line breaks in descriptions: join the lines of
/// each paragraph, as Markdown reads them.
fn unwrap_description(schema: &mut Schema) {
    if let Some(Value::String(description)) = schema.get_mut("description") {
        *description = description
            .split("\n\n")
            .map(|paragraph| {
                paragraph
                    .lines()
                    .map(str::trim)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n\n");
    }
}

#[cfg(test)]
mod tests;
