//! `rbacc explain KIND/NAME`: compile in memory and explain one object.

use rbacc::Settings;
use rbacc::emit::Selection;

use rbacc::report::Format;

use super::{Outcome, Ui, load_at, print};

/// `rbacc explain`: compiles in memory and explains one object.
pub(crate) fn explain(ui: &Ui, args: &super::args::ExplainArgs) -> Result<Outcome, String> {
    use rbacc::explain::{ObjectRef, explain};
    let object = ObjectRef::parse(&args.object, args.namespace.as_deref())?;
    let input = load_at(ui, &args.repo).map_err(|e| e.to_string())?;
    let settings = Settings {
        explain: true,
        ..Settings::default()
    };
    let mut compilation = rbacc::compile(&input, &settings);
    let selection = Selection {
        objects: true,
        ..Selection::all()
    };
    if compilation.emit(&selection).is_none() {
        ui.diagnostics(&compilation, Format::Text);
        ui.error("invalid declarations; no answer");
        return Ok(Outcome::Finding);
    }
    let Some(explanation) = explain(&compilation, &object) else {
        let place = match &object.namespace {
            Some(ns) => format!(" in namespace `{ns}`"),
            None => String::new(),
        };
        ui.error(&format!(
            "rbacc generates no {} `{}`{place}",
            object.kind, object.name
        ));
        return Ok(Outcome::Finding);
    };
    let text = match args.output {
        super::args::ExplainFormat::Text => explanation.text(),
        super::args::ExplainFormat::Json => rbacc::text::json(&explanation),
    };
    print(&text)
}
