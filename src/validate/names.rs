//! Syntax checks for names, labels and quantities, as the Kubernetes API
//! server applies them.

/// Why `s` is not a DNS-1123 label, if it is not one: "it contains `а`
/// (U+0430), which is not `a-z`, `0-9` or `-`".
pub fn dns_label_problem(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some("it is empty".to_string());
    }
    if let Some(c) = s
        .chars()
        .find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
    {
        return Some(if c.is_ascii_uppercase() {
            format!("it contains the uppercase letter `{c}`")
        } else {
            format!(
                "it contains {}, which is not `a-z`, `0-9` or `-`",
                describe_char(c)
            )
        });
    }
    if s.len() > 63 {
        return Some(format!(
            "it is {} characters long, more than 63",
            s.chars().count()
        ));
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Some("it starts or ends with `-`".to_string());
    }
    None
}

/// A character as a message shows it: `/`, or `а` (U+0430) where the
/// glyph alone could mislead (non-ASCII look-alikes, spaces, controls).
fn describe_char(c: char) -> String {
    let code = format!("U+{:04X}", c as u32);
    if c.is_ascii_graphic() {
        format!("`{c}`")
    } else if c == ' ' {
        format!("a space ({code})")
    } else if c.is_whitespace() || crate::text::is_invisible(c) {
        code
    } else {
        format!("`{c}` ({code})")
    }
}

/// Why `s` is not a DNS-1123 subdomain (dot-separated labels, at most 253
/// characters), if it is not one.
pub fn dns_subdomain_problem(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some("it is empty".to_string());
    }
    if s.len() > 253 {
        return Some(format!(
            "it is {} characters long, more than 253",
            s.chars().count()
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'))
    {
        return Some(if c.is_ascii_uppercase() {
            format!("it contains the uppercase letter `{c}`")
        } else {
            format!(
                "it contains {}, which is not `a-z`, `0-9`, `-` or `.`",
                describe_char(c)
            )
        });
    }
    if s.split('.').any(str::is_empty) {
        return Some("it has an empty part between dots".to_string());
    }
    if s.split('.').any(|label| label.len() > 63) {
        return Some("a part between dots is longer than 63 characters".to_string());
    }
    if s.split('.')
        .any(|label| label.starts_with('-') || label.ends_with('-'))
    {
        return Some("a part between dots starts or ends with `-`".to_string());
    }
    None
}

/// Why `key` is not a valid label key (`[prefix/]name`), if it is not one.
pub fn label_key_problem(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return Some("its prefix (before `/`) is empty".to_string());
        }
        if let Some(problem) = dns_subdomain_problem(prefix) {
            return Some(format!(
                "its prefix `{prefix}` is not a DNS subdomain: {problem}"
            ));
        }
    }
    if name.is_empty() {
        return Some("its name is empty".to_string());
    }
    label_value_problem(name)
}

/// Why `value` is not a valid label value, if it is not one.
pub fn label_value_problem(value: &str) -> Option<String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if let Some(c) = value.chars().find(|&c| !ok_char(c)) {
        return Some(format!(
            "it contains {}, which is not a letter, digit, `-`, `_` or `.`",
            describe_char(c)
        ));
    }
    if value.len() > 63 {
        return Some(format!(
            "it is {} characters long, more than 63",
            value.len()
        ));
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
        return Some("it does not start and end with a letter or digit".to_string());
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
        assert_eq!(dns_label_problem(&"a".repeat(63)), None);
        let problem = |s: &str| dns_label_problem(s).expect("a problem");
        assert_eq!(problem(""), "it is empty");
        assert_eq!(problem("Payments"), "it contains the uppercase letter `P`");
        assert_eq!(problem("-a"), "it starts or ends with `-`");
        assert_eq!(problem("a-"), "it starts or ends with `-`");
        assert_eq!(
            problem("a_b"),
            "it contains `_`, which is not `a-z`, `0-9` or `-`"
        );
        assert_eq!(
            problem("../x"),
            "it contains `.`, which is not `a-z`, `0-9` or `-`"
        );
        assert_eq!(
            problem("a/b"),
            "it contains `/`, which is not `a-z`, `0-9` or `-`"
        );
        assert_eq!(
            problem("pаyments"),
            "it contains `а` (U+0430), which is not `a-z`, `0-9` or `-`",
            "Cyrillic a"
        );
        assert_eq!(
            problem("a b"),
            "it contains a space (U+0020), which is not `a-z`, `0-9` or `-`"
        );
        assert_eq!(
            problem("a\tb"),
            "it contains U+0009, which is not `a-z`, `0-9` or `-`"
        );
        assert_eq!(
            problem("a\u{200b}b"),
            "it contains U+200B, which is not `a-z`, `0-9` or `-`",
            "zero-width space: the glyph alone would show nothing"
        );
        assert_eq!(
            problem(&"a".repeat(64)),
            "it is 64 characters long, more than 63"
        );
        // The first problem in reading order is the one named.
        assert_eq!(problem("aB_"), "it contains the uppercase letter `B`");
    }

    #[test]
    fn dns_subdomains() {
        assert_eq!(dns_subdomain_problem("argocd-application-controller"), None);
        assert_eq!(dns_subdomain_problem("a.b-c.d"), None);
        assert!(dns_subdomain_problem("a..b").is_some());
        assert!(dns_subdomain_problem("a.-b").is_some());
        assert_eq!(
            dns_subdomain_problem("Prometheus").as_deref(),
            Some("it contains the uppercase letter `P`")
        );
        assert_eq!(
            dns_subdomain_problem("a/b").as_deref(),
            Some("it contains `/`, which is not `a-z`, `0-9`, `-` or `.`")
        );
    }

    #[test]
    fn label_keys_and_values() {
        assert_eq!(label_key_problem("cost-center"), None);
        assert_eq!(label_key_problem("example.com/tier"), None);
        assert_eq!(label_key_problem("Tier_2.x"), None);
        assert_eq!(
            label_key_problem("/tier").as_deref(),
            Some("its prefix (before `/`) is empty")
        );
        assert_eq!(
            label_key_problem("Example.com/tier").as_deref(),
            Some(
                "its prefix `Example.com` is not a DNS subdomain: it contains the uppercase letter `E`"
            )
        );
        assert_eq!(
            label_key_problem("a b").as_deref(),
            Some("it contains a space (U+0020), which is not a letter, digit, `-`, `_` or `.`")
        );
        assert_eq!(
            label_key_problem("example.com/").as_deref(),
            Some("its name is empty")
        );
        assert_eq!(label_value_problem(""), None);
        assert_eq!(label_value_problem("cc-42"), None);
        assert!(label_value_problem("-x").is_some());
        assert_eq!(
            label_value_problem("a:b").as_deref(),
            Some("it contains `:`, which is not a letter, digit, `-`, `_` or `.`")
        );
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
