use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{Document, entries, schema};
use crate::decode::Decoder;
use crate::diag::{Code, Diagnostics};
use crate::model::raw;
use crate::source::Sources;

/// Every mapping of the schema is closed, and the decoder reports a
/// field it does not hold as unknown, offering exactly the fields the
/// schema gives it: the decoder reads each mapping with the fields of
/// the schema's type for that place.
#[test]
fn the_decoder_offers_the_fields_of_each_mapping_of_the_schema() {
    for document in Document::ALL {
        let schema = schema(document);
        for entry in entries(&schema) {
            let Some(properties) = entry.schema.get("properties").and_then(Value::as_object) else {
                continue;
            };
            let path = entry.path.as_str();
            assert_eq!(
                entry.schema.get("additionalProperties"),
                Some(&Value::Bool(false)),
                "{document:?} `{path}`: unknown fields are errors"
            );
            let declared: BTreeSet<&str> = properties.keys().map(String::as_str).collect();
            if path == "spec.policy.builtinRoles" {
                // Its keys are role names, which validation checks.
                let roles: BTreeSet<&str> = crate::builtin::BUILTIN_ROLES.iter().copied().collect();
                assert_eq!(declared, roles, "{document:?} `{path}`");
                continue;
            }
            let mut full = instance(&schema, "", ("-", &Value::Null));
            place(&mut full, path)
                .as_object_mut()
                .unwrap_or_else(|| panic!("{document:?} `{path}` is a mapping"))
                .insert(UNKNOWN.to_string(), json!("x"));
            let diags = decode(document, &full);
            let reports: Vec<&crate::diag::Diagnostic> = diags.iter().collect();
            let [report] = reports[..] else {
                panic!("{document:?} `{path}`: {reports:?}");
            };
            assert_eq!(report.code, Code::UnknownField, "{document:?} `{path}`");
            let help = report.help.as_deref().unwrap_or_default();
            let offered: BTreeSet<&str> = help.split('`').skip(1).step_by(2).collect();
            assert_eq!(offered, declared, "{document:?} `{path}`: {help}");
        }
    }
}

/// A field name no mapping has or comes close to.
const UNKNOWN: &str = "qqqqqqqqqqqqqqqq";

/// The value at `path` of an [`instance`]: `[]` is its first item,
/// `<name>` the key `x`.
fn place<'v>(value: &'v mut Value, path: &str) -> &'v mut Value {
    let mut at = value;
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let (name, items) = match segment.find("[]") {
            Some(i) => (&segment[..i], segment[i..].len() / 2),
            None => (segment, 0),
        };
        let key = if name == "<name>" { "x" } else { name };
        at = &mut at[key];
        for _ in 0..items {
            at = &mut at[0];
        }
    }
    at
}

/// Every field a user writes has a description.
#[test]
fn fields_are_described() {
    for document in Document::ALL {
        let schema = schema(document);
        for entry in entries(&schema) {
            let Some(properties) = entry.schema.get("properties").and_then(Value::as_object) else {
                continue;
            };
            for (name, field) in properties {
                let description = field.get("description").and_then(Value::as_str);
                assert!(
                    description.is_some_and(|d| !d.trim().is_empty()),
                    "{document:?} `{}.{name}` has no description",
                    entry.path
                );
            }
        }
    }
}

/// A document with every field the schema knows, each holding a value
/// the schema accepts, but for the value `at.1` at the path `at.0`.
fn instance(schema: &Value, path: &str, at: (&str, &Value)) -> Value {
    if path == at.0 {
        return at.1.clone();
    }
    let join = |name: &str| match path {
        "" => name.to_string(),
        _ => format!("{path}.{name}"),
    };
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        let map = properties
            .iter()
            .map(|(name, field)| (name.clone(), instance(field, &join(name), at)))
            .collect();
        return Value::Object(map);
    }
    if let Some(value) = schema.get("const") {
        return value.clone();
    }
    for key in ["enum", "examples"] {
        if let Some(first) = schema.get(key).and_then(|v| v.get(0)) {
            return first.clone();
        }
    }
    if let Some(forms) = schema.get("anyOf").and_then(Value::as_array) {
        // The richest form: a mapping where there is one.
        let form = forms
            .iter()
            .find(|f| f.get("properties").is_some())
            .unwrap_or(&forms[0]);
        return instance(form, path, at);
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types[0].as_str().expect("type name"),
        _ => "string",
    };
    match kind {
        "array" => json!([instance(&schema["items"], &format!("{path}[]"), at)]),
        "object" => {
            let value = instance(&schema["additionalProperties"], &join("<name>"), at);
            json!({ "x": value })
        }
        "boolean" => json!(true),
        "number" | "integer" => json!(1),
        _ => json!("x"),
    }
}

/// Decodes `value` as `document`; JSON is YAML.
fn decode(document: Document, value: &Value) -> Diagnostics {
    let text = serde_json::to_string(value).expect("JSON");
    let mut sources = Sources::default();
    let mut diags = Diagnostics::default();
    let (path, stem) = match document {
        Document::Team => ("teams/x.yaml", "x"),
        Document::Config => ("rbacc.yaml", ""),
    };
    let file = sources.add(path.to_string(), text.as_str());
    let root = crate::yaml::parse(file, &text).expect("parses");
    let mut decoder = Decoder::new(&mut diags, &text);
    match document {
        Document::Team => {
            raw::decode_team(&mut decoder, file, stem.to_string(), &root);
        }
        Document::Config => {
            raw::decode_config(&mut decoder, file, &root);
        }
    }
    diags
}

/// The decoder reads every field of the schema, with a value of the
/// type the schema gives, without a word.
#[test]
fn decoder_reads_every_field_with_its_type() {
    for document in Document::ALL {
        let schema = schema(document);
        let full = instance(&schema, "", ("-", &Value::Null));
        let diags = decode(document, &full);
        let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
        assert!(messages.is_empty(), "{document:?}: {messages:?}\n{full:#}");
    }
}

/// Emptied, each mapping is reported missing exactly its required
/// fields.
#[test]
fn required_is_where_the_decoder_reports_a_missing_field() {
    for document in Document::ALL {
        let schema = schema(document);
        for entry in entries(&schema) {
            if entry.schema.get("properties").is_none() {
                continue;
            }
            let want: BTreeSet<&str> = entry
                .schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let empty = instance(&schema, "", (&entry.path, &json!({})));
            let diags = decode(document, &empty);
            let mut got = BTreeSet::new();
            for d in diags.iter() {
                assert_eq!(
                    d.code,
                    Code::MissingField,
                    "{document:?} `{}`: {}",
                    entry.path,
                    d.message
                );
                let field = d.message.rsplit('`').nth(1).expect("a field name");
                got.insert(field);
            }
            assert_eq!(got, want, "{document:?} `{}`", entry.path);
        }
    }
}

/// `null` is allowed where the decoder reads it as an empty mapping or
/// list, and a wrong type for every other value.
#[test]
fn null_is_allowed_where_the_decoder_reads_it() {
    for document in Document::ALL {
        let schema = schema(document);
        for entry in entries(&schema) {
            if entry.path.is_empty() || entry.alternative || entry.path.ends_with(']') {
                continue;
            }
            let types: Vec<&str> = match entry.schema.get("type") {
                Some(Value::String(t)) => vec![t.as_str()],
                Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).collect(),
                _ => continue,
            };
            let diags = decode(
                document,
                &instance(&schema, "", (&entry.path, &Value::Null)),
            );
            let codes: Vec<(Code, &str)> =
                diags.iter().map(|d| (d.code, d.message.as_str())).collect();
            let path = &entry.path;
            if types.contains(&"null") {
                assert!(codes.is_empty(), "{document:?} `{path}`: {codes:?}");
            } else if !types.iter().any(|t| *t == "object" || *t == "array") {
                assert!(
                    codes.iter().any(|(code, _)| *code == Code::WrongType),
                    "{document:?} `{path}`: null is read without a word"
                );
            }
        }
    }
}
