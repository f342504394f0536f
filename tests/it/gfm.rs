//! GitHub's markdown as comrak (a port of GitHub's cmark-gfm) reads it:
//! the options of every test that reads the markdown report back, the
//! integration tests and the unit tests of the escaping functions
//! (`src/diff/render.rs` includes this file).

/// GitHub's extensions, as far as comrak has them, and raw HTML kept, so
/// that a test sees every element the comment would hold.
pub fn options() -> comrak::Options<'static> {
    let mut options = comrak::Options::default();
    options.extension.table = true;
    options.extension.strikethrough = true;
    options.extension.autolink = true;
    options.extension.tasklist = true;
    options.extension.footnotes = true;
    options.extension.alerts = true;
    options.extension.math_dollars = true;
    options.render.r#unsafe = true;
    options
}
