//! Syntax checks for names, labels and quantities, as the Kubernetes API
//! server applies them.

/// Why `s` is not a DNS-1123 label, if it is not one.
pub fn dns_label_problem(s: &str) -> Option<&'static str> {
    if s.is_empty() {
        return Some("it is empty");
    }
    if s.len() > 63 {
        return Some("it is longer than 63 characters");
    }
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        return Some("it contains uppercase letters");
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Some("it contains characters other than `a-z`, `0-9` and `-`");
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Some("it starts or ends with `-`");
    }
    None
}

/// Why `s` is not a DNS-1123 subdomain (dot-separated labels, at most 253
/// characters), if it is not one.
pub fn dns_subdomain_problem(s: &str) -> Option<&'static str> {
    if s.len() > 253 {
        return Some("it is longer than 253 characters");
    }
    s.split('.').find_map(dns_label_problem)
}

/// Why `key` is not a valid label key (`[prefix/]name`), if it is not one.
pub fn label_key_problem(key: &str) -> Option<&'static str> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix
        && (prefix.is_empty() || dns_subdomain_problem(prefix).is_some())
    {
        return Some("its prefix is not a DNS subdomain");
    }
    label_value_problem(name).or(if name.is_empty() {
        Some("its name is empty")
    } else {
        None
    })
}

/// Why `value` is not a valid label value, if it is not one.
pub fn label_value_problem(value: &str) -> Option<&'static str> {
    if value.len() > 63 {
        return Some("it is longer than 63 characters");
    }
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if !value.chars().all(ok_char) {
        return Some("it contains characters other than letters, digits, `-`, `_` and `.`");
    }
    let alnum_ends = value
        .chars()
        .next()
        .is_none_or(|c| c.is_ascii_alphanumeric())
        && value
            .chars()
            .last()
            .is_none_or(|c| c.is_ascii_alphanumeric());
    if !alnum_ends {
        return Some("it does not start and end with a letter or digit");
    }
    None
}

/// Whether `s` is a Kubernetes resource quantity (`500m`, `8Gi`, `1.5`,
/// `2e3`).
pub fn is_quantity(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let digits_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(digits_end);
    let valid_number = !number.is_empty() && number != "." && number.matches('.').count() <= 1;
    let valid_suffix = matches!(
        suffix,
        "" | "n"
            | "u"
            | "m"
            | "k"
            | "M"
            | "G"
            | "T"
            | "P"
            | "E"
            | "Ki"
            | "Mi"
            | "Gi"
            | "Ti"
            | "Pi"
            | "Ei"
    ) || suffix
        .strip_prefix(['e', 'E'])
        .map(|exp| exp.strip_prefix(['+', '-']).unwrap_or(exp))
        .is_some_and(|exp| !exp.is_empty() && exp.bytes().all(|b| b.is_ascii_digit()));
    valid_number && valid_suffix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels() {
        assert_eq!(dns_label_problem("payments-prod"), None);
        assert_eq!(dns_label_problem("a"), None);
        assert!(dns_label_problem("").is_some());
        assert!(dns_label_problem("Payments").is_some());
        assert!(dns_label_problem("-a").is_some());
        assert!(dns_label_problem("a-").is_some());
        assert!(dns_label_problem("a_b").is_some());
        assert!(dns_label_problem("../x").is_some());
        assert!(dns_label_problem("a/b").is_some());
        assert!(dns_label_problem("pаyments").is_some(), "Cyrillic a");
        assert!(dns_label_problem(&"a".repeat(64)).is_some());
        assert_eq!(dns_label_problem(&"a".repeat(63)), None);
    }

    #[test]
    fn label_keys_and_values() {
        assert_eq!(label_key_problem("cost-center"), None);
        assert_eq!(label_key_problem("example.com/tier"), None);
        assert!(label_key_problem("/tier").is_some());
        assert!(label_key_problem("Example.com/tier").is_some());
        assert!(label_key_problem("a b").is_some());
        assert_eq!(label_value_problem(""), None);
        assert_eq!(label_value_problem("cc-42"), None);
        assert!(label_value_problem("-x").is_some());
        assert!(label_value_problem("a:b").is_some());
    }

    #[test]
    fn quantities() {
        for ok in [
            "4", "8Gi", "500m", "1.5", "0.5", "+1", "2e3", "1E-2", "100Ki", ".5",
        ] {
            assert!(is_quantity(ok), "{ok} is a quantity");
        }
        for bad in ["", "Gi", "4 cores", "1.2.3", "1e", "5x", "1GB", "."] {
            assert!(!is_quantity(bad), "{bad} is not a quantity");
        }
    }
}
