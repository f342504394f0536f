//! `expires:` on a members entry or a grant: access that ends on a date.
//!
//! Input: the date as written and the date it is judged on
//! (`Input::today`). Output: whether the access still holds; a warning
//! within [`clock::WARN_DAYS`] of the date and once it has passed.
//!
//! Invariants: an invalid date is an error and grants nothing meanwhile;
//! without a date to judge on, everything holds.

use crate::clock::{self, Date};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::Sp;

/// Whether access declared with `expires` still holds on `today`.
pub(crate) fn check(
    expires: Option<&Sp<String>>,
    today: Option<Date>,
    diags: &mut Diagnostics,
) -> bool {
    let Some(expires) = expires else {
        return true;
    };
    let date = match clock::parse_date(&expires.value) {
        Ok(date) => date,
        Err(problem) => {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    expires.span,
                    format!("`{}` is not a date: {problem}", expires.value),
                )
                .label("expected `YYYY-MM-DD`")
                .help("`expires: 2026-12-31` grants the access until that day; from that day on it is not emitted"),
            );
            // Invalid input fails the compilation; grant nothing meanwhile.
            return false;
        }
    };
    let Some(today) = today else {
        return true;
    };
    let days = clock::days_until(today, date);
    if days <= 0 {
        let ago = match -days {
            0 => "today".to_string(),
            1 => "yesterday".to_string(),
            n => format!("{n} days ago"),
        };
        diags.push(
            Diagnostic::warning(
                Code::Expired,
                expires.span,
                format!("this access expired on {date}; it is no longer emitted"),
            )
            .label(format!("expired {ago}"))
            .help("delete the entry, or move `expires` to a later date to renew it"),
        );
        false
    } else {
        if days <= clock::WARN_DAYS {
            let when = if days == 1 {
                "tomorrow".to_string()
            } else {
                format!("in {days} days")
            };
            diags.push(
                Diagnostic::warning(
                    Code::ExpiresSoon,
                    expires.span,
                    format!("this access expires on {date}, {when}"),
                )
                .label(format!("expires {when}"))
                .help("move `expires` to a later date to renew it; from that day, `rbacc check` fails until `rbacc build` has removed it from out/"),
            );
        }
        true
    }
}
