//! Objects kept for comparison as canonical JSON text: compact, the keys of
//! every mapping sorted.
//!
//! Two objects are equal exactly when their texts are, so `audit`, `import`
//! and `diff` compare (and digest) strings. A text takes about an eighth of
//! the memory of the [`Value`] it is written from (a B-tree node per
//! mapping), which is what bounds reading a whole cluster: values live only
//! while one object is read, the texts are what is kept.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// One object's canonical JSON text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Canonical(Box<str>);

impl Canonical {
    /// The text of `value`. serde_json's maps are sorted (its
    /// `preserve_order` feature is off), so equal values write equal text.
    pub fn of(value: &Value) -> Canonical {
        let text = serde_json::to_string(value).expect("a JSON value always serializes");
        Canonical(text.into_boxed_str())
    }

    /// The text of any serializable object, through its value: the order
    /// of its fields as declared does not matter.
    pub fn of_object<T: Serialize + ?Sized>(object: &T) -> Result<Canonical, serde_json::Error> {
        serde_json::to_value(object).map(|value| Canonical::of(&value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The object as a value again.
    pub fn value(&self) -> Value {
        // Written by `of` from a value serde_json read or built, so within
        // its nesting limit.
        serde_json::from_str(&self.0).expect("canonical text is JSON")
    }

    /// The object decoded as `T`, without building a value.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0)
    }

    /// The top-level field `name`, if present (without building the rest).
    pub fn field(&self, name: &str) -> Option<Value> {
        let fields: std::collections::BTreeMap<&str, &serde_json::value::RawValue> =
            serde_json::from_str(&self.0).ok()?;
        serde_json::from_str(fields.get(name)?.get()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_values_write_equal_text_whatever_their_order() {
        let a: Value =
            serde_json::from_str(r#"{"b": {"y": 1, "x": [true, null]}, "a": "é\n"}"#).unwrap();
        let b: Value =
            serde_json::from_str(r#"{"a": "é\n", "b": {"x": [true, null], "y": 1}}"#).unwrap();
        assert_eq!(Canonical::of(&a), Canonical::of(&b));
        assert_eq!(
            Canonical::of(&a).as_str(),
            r#"{"a":"é\n","b":{"x":[true,null],"y":1}}"#
        );
        assert_eq!(Canonical::of(&a).value(), a);
        assert_ne!(Canonical::of(&a), Canonical::of(&json!({"a": "é\n"})));
        // 1 and 1.0 are different values, and different texts.
        assert_ne!(Canonical::of(&json!(1)), Canonical::of(&json!(1.0)));
    }

    #[test]
    fn a_field_reads_alone() {
        let text = Canonical::of(&json!({"kind": "Role", "rules": [{"verbs": ["get"]}]}));
        assert_eq!(text.field("rules"), Some(json!([{"verbs": ["get"]}])));
        assert_eq!(text.field("subjects"), None);
        assert_eq!(Canonical::of(&json!([1])).field("rules"), None);
    }

    #[test]
    fn a_struct_writes_as_its_value_does() {
        #[derive(Serialize)]
        struct S {
            z: u8,
            a: &'static str,
        }
        let text = Canonical::of_object(&S { z: 1, a: "x" }).unwrap();
        assert_eq!(text.as_str(), r#"{"a":"x","z":1}"#);
    }
}
