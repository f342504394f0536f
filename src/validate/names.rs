//! Syntax checks for names, labels and quantities, as the Kubernetes API
//! server applies them.

/// Why `s` is not a DNS-1123 label, if it is not one: "it contains `а`
/// (U+0430), which is not `a-z`, `0-9` or `-`".
pub fn dns_label_problem(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some("it is empty".to_string());
    }
    if let Some(problem) = foreign_char(s, &['-'], "`a-z`, `0-9` or `-`") {
        return Some(problem);
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

/// The first character of `s` that is neither `a-z`, `0-9` nor one of
/// `extra`, as the problem it is; `allowed` says what is allowed.
fn foreign_char(s: &str, extra: &[char], allowed: &str) -> Option<String> {
    let c = s
        .chars()
        .find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(&c)))?;
    Some(if c.is_ascii_uppercase() {
        format!("it contains the uppercase letter `{c}`")
    } else {
        format!("it contains {}, which is not {allowed}", describe_char(c))
    })
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
    if let Some(problem) = foreign_char(s, &['-', '.'], "`a-z`, `0-9`, `-` or `.`") {
        return Some(problem);
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

/// The value of the Kubernetes resource quantity `s` (`500m`, `8Gi`,
/// `1.5`, `2e3`) in billionths (`500m` is 500,000,000), as
/// the API server compares quantities: a finer fraction rounds up to the
/// next billionth, as Kubernetes rounds it, and a value beyond `i128`
/// saturates. `None` when `s` is not a quantity: an optional sign, digits
/// with at most one `.`, then a binary suffix (`Ki` … `Ei`), a decimal one
/// (`n`, `u`, `m`, `k`, `M` … `E`) or an exponent (`e3`, `E-2`).
pub fn quantity_nanos(s: &str) -> Option<i128> {
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let digits_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(digits_end);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
        return None;
    }
    // value = digits × 10^(exponent - fraction digits) × 2^binary
    let (exponent, binary): (i64, u32) = match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        _ => {
            let exp = suffix.strip_prefix(['e', 'E'])?;
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (
                exp.parse().unwrap_or(if exp.starts_with('-') {
                    i64::MIN / 2
                } else {
                    i64::MAX / 2
                }),
                0,
            )
        }
    };
    let all = format!("{whole}{fraction}");
    let all = all.trim_start_matches('0');
    // At most 38 significant digits fit; the ones after only round up.
    const SIGNIFICANT: usize = 38;
    let (kept, dropped) = all.split_at(all.len().min(SIGNIFICANT));
    let saturated = if negative { i128::MIN } else { i128::MAX };
    let mut value: i128 = if kept.is_empty() {
        0
    } else {
        kept.parse().ok()?
    };
    let Some(shifted) = value.checked_mul(1 << binary) else {
        return Some(saturated);
    };
    value = shifted;
    let scale = exponent + 9 - fraction.len() as i64 + dropped.len() as i64;
    let remainder = dropped.bytes().any(|b| b != b'0');
    if scale >= 0 {
        let factor = u32::try_from(scale)
            .ok()
            .and_then(|s| 10i128.checked_pow(s));
        match factor.and_then(|f| value.checked_mul(f)) {
            Some(v) => value = v,
            None if value == 0 => {}
            None => return Some(saturated),
        }
    } else {
        // Round up to the next billionth, as Kubernetes does.
        let divisor = u32::try_from(-scale)
            .ok()
            .and_then(|s| 10i128.checked_pow(s));
        value = match divisor {
            Some(d) => value / d + i128::from(value % d != 0 || remainder),
            None => i128::from(value != 0),
        };
    }
    Some(if negative { -value } else { value })
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
            assert!(quantity_nanos(ok).is_some(), "{ok} is a quantity");
        }
        for bad in [
            "", "Gi", "4 cores", "1.2.3", "1e", "5x", "1GB", ".", "+-1", "1e+",
        ] {
            assert!(quantity_nanos(bad).is_none(), "{bad} is not a quantity");
        }
    }

    #[test]
    fn quantities_compare_as_the_api_server_does() {
        let n = |s: &str| quantity_nanos(s).expect(s);
        assert_eq!(n("500m"), 500_000_000);
        assert_eq!(n("0.5"), n("500m"));
        assert_eq!(n("1Ki"), 1024 * 1_000_000_000);
        assert_eq!(n("1k"), 1000 * 1_000_000_000);
        assert_eq!(n("2e3"), n("2k"));
        assert_eq!(n("1E-2"), n("10m"));
        assert_eq!(n("-3"), -3_000_000_000);
        assert_eq!(n("+1"), n("1"));
        assert_eq!(n(".5"), n("0.5"));
        assert_eq!(n("128Mi"), 128 * 1024 * 1024 * 1_000_000_000);
        assert!(n("512Mi") > n("500M"));
        assert!(n("1Gi") > n("1G"));
        // Finer than a billionth rounds up; zero stays zero.
        assert_eq!(n("0.1n"), 1);
        assert_eq!(n("0"), 0);
        assert_eq!(n("0e99"), 0);
        assert_eq!(n("000.000"), 0);
        // Beyond i128, the value saturates in its direction.
        assert_eq!(n("1e99"), i128::MAX);
        assert_eq!(n("-1e99"), i128::MIN);
        assert_eq!(n("99999999999999999999999999999999999999999Ei"), i128::MAX);
        assert_eq!(n("1e-99"), 1);
        // Many digits keep their value.
        assert_eq!(
            n(
                "0.00000000000000000000000000000000000000000000000000012345678901234567890123456789012345678901234567890"
            ),
            1
        );
        assert_eq!(
            n("1.000000000000000000000000000000000000000000000000001"),
            1_000_000_001
        );
        assert_eq!(
            n("100000000000000000000000000000000000000000000000000n"),
            i128::MAX
        );
    }
}
