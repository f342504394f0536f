//! Where a fuzzed team file is read from: shared with the regression tests
//! (tests/it/fuzz_regressions.rs), which replay kept inputs from the same
//! path.

/// The path a fuzzed team file is read from: `teams/<metadata.name>.yaml`
/// when the input names its team plainly, so that valid inputs pass the
/// "file name matches the team" check and reach emission; a team named like
/// the fixed one lives in a subdirectory (a duplicate team, as two
/// directories of a real repo could hold); anything else is `teams/fuzz.yaml`.
pub fn team_path(data: &[u8]) -> String {
    let name = plain_team_name(data).unwrap_or("fuzz");
    if name == "sre" {
        "teams/dup/sre.yaml".to_string()
    } else {
        format!("teams/{name}.yaml")
    }
}

fn plain_team_name(data: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(data).ok()?;
    let metadata = text.find("metadata:")?;
    let rest = &text[metadata..];
    let at = rest.find("name:")? + "name:".len();
    let name = rest[at..]
        .trim_start_matches([' ', '\t'])
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
        .next()?;
    (!name.is_empty() && name.len() <= 63).then_some(name)
}
