//! `rbacc report`: the access report on stdout, as HTML or JSON.

use rbacc::Settings;
use rbacc::access_report::{AccessReport, html};
use rbacc::report::Format;

use super::args::{PageFormat, ReportArgs};
use super::{Outcome, Ui, load_at};

/// `rbacc report`: compiles in memory, keeping what the report shows, and
/// prints it.
pub(crate) fn report(ui: &Ui, args: &ReportArgs) -> Result<Outcome, String> {
    let input = load_at(ui, &args.repo).map_err(|e| e.to_string())?;
    let settings = Settings {
        explain: true,
        ..Settings::queries()
    };
    let compilation = rbacc::compile(&input, &settings);
    ui.diagnostics(&compilation, Format::Text);
    let Some(report) = AccessReport::of(&compilation, input.today) else {
        ui.error("invalid declarations; no report");
        return Ok(Outcome::Finding);
    };
    ui.print(&match args.output {
        PageFormat::Html => html::render(&report),
        PageFormat::Json => report.json(),
    });
    Ok(Outcome::Success)
}
