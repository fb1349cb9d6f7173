//! `meshc check FILE…`: every problem in every file, for people or tools.

use super::{read_source, report_usage_error, stderr_color, world_of, write_atomically, Status};
use meshc::check::{CheckOptions, OptLevel};
use meshc::diagnostic::{
    apply_fixes, counted, render_json, Applicability, Fix, HumanRenderer, LineIndex,
};
use meshc::pipeline::analyse_with_pairs;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Rendered diagnostics with the source lines they point at.
    #[default]
    Human,
    /// One JSON array of diagnostics for the whole run, on standard output.
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// The source files to check.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Check against this world file instead of the default world, as
    /// `meshc run --world` runs against it: its registry (chains, tokens,
    /// protocols and routes) and which exchange pairs exist.
    #[arg(long, value_name = "WORLD")]
    world: Option<PathBuf>,
    /// Apply to the files every fix that cannot change what they mean (a
    /// keyword's case, an unused `let` binding dropped), then report what is
    /// left. A suggested name (`USDC` for an unknown `USDE`) is listed, never
    /// applied: another name may be another asset.
    #[arg(long)]
    fix: bool,
    #[command(flatten)]
    level: LevelArgs,
}

/// At most this many rounds of fixes: a fix can let more of the file be
/// checked (a keyword's case mended, its bundle is checked and may have a
/// misspelt name of its own).
const FIX_ROUNDS: usize = 8;

/// `-O0` judges deadlines and gas as the user would run the bundle by hand;
/// `-O` (the default) as the optimiser lowers it. The short forms are
/// rewritten to `--opt-level` before parsing (see `main`), so that `-O FILE`
/// never reads the file name as a level.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct LevelArgs {
    /// Optimisation level: `-O0` (none) or `-O` (the default); also `--opt-level 0|1`.
    #[arg(long = "opt-level", value_name = "LEVEL", value_parser = ["0", "1"])]
    level: Option<String>,
}

impl LevelArgs {
    pub fn level(&self) -> OptLevel {
        match self.level.as_deref() {
            Some("0") => OptLevel::O0,
            _ => OptLevel::O,
        }
    }
}

pub fn run(args: &Args) -> Status {
    let options = CheckOptions {
        level: args.level.level(),
    };
    let world = match world_of(args.world.as_deref()) {
        Ok(world) => world,
        Err(status) => return status,
    };
    let registry = if args.world.is_some() {
        world.registry.clone()
    } else {
        mesh_runtime::Registry::default_registry()
    };
    let pairs = super::world_facts(&world, args.world.is_some());
    let color = stderr_color();
    let mut status = Status::Success;
    let mut json = Vec::new();

    for path in &args.files {
        let name = path.display().to_string();
        let source = match read_source(path) {
            Ok(source) => source,
            Err(message) => {
                report_usage_error(&message);
                status = status.max(Status::Usage);
                continue;
            }
        };
        let (source, analysis) = if args.fix {
            match fixed(path, source, &registry, &pairs, &options) {
                Ok(done) => done,
                Err(message) => {
                    report_usage_error(&message);
                    status = status.max(Status::Usage);
                    continue;
                }
            }
        } else {
            let analysis = analyse_with_pairs(&source, &registry, Some(&pairs), &options);
            (source, analysis)
        };
        if analysis.has_errors() {
            status = status.max(Status::Failure);
        }
        match args.format {
            Format::Json => json.extend(render_json(&name, &source, &analysis.diagnostics)),
            Format::Human => {
                let renderer = HumanRenderer::new(&name, &source, color);
                for diagnostic in &analysis.diagnostics {
                    eprint!("{}", renderer.render(diagnostic));
                }
                eprintln!("{}", summary(&name, &analysis));
            }
        }
    }

    if args.format == Format::Json {
        match serde_json::to_string_pretty(&json) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                report_usage_error(&format!("cannot write diagnostics as JSON: {e}"));
                return Status::Usage;
            }
        }
    }
    status
}

/// Applies the machine-applicable fixes of `source`'s diagnostics, round
/// after round, writes the file (atomically) if anything changed and says
/// so, and lists the suggestions it did not apply; returns the new text and
/// its analysis.
fn fixed(
    path: &std::path::Path,
    mut source: String,
    registry: &mesh_runtime::Registry,
    pairs: &meshc::check::Pairs,
    options: &CheckOptions,
) -> Result<(String, meshc::pipeline::Analysis), String> {
    let mut analysis = analyse_with_pairs(&source, registry, Some(pairs), options);
    let mut total = 0;
    for _ in 0..FIX_ROUNDS {
        let (next, applied) = apply_fixes(&source, &analysis.diagnostics);
        if applied == 0 || next == source {
            break;
        }
        total += applied;
        source = next;
        analysis = analyse_with_pairs(&source, registry, Some(pairs), options);
    }
    if total > 0 {
        write_atomically(path, &source)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        let fixes = if total == 1 {
            "1 fix".to_string()
        } else {
            format!("{total} fixes")
        };
        eprintln!("{}: {fixes} applied", path.display());
    }
    let suggestions: Vec<&Fix> = analysis
        .diagnostics
        .iter()
        .filter_map(|d| d.fix.as_deref())
        .filter(|f| f.applicability == Applicability::MaybeIncorrect)
        .collect();
    if !suggestions.is_empty() {
        eprint!(
            "{}",
            not_applied(&path.display().to_string(), &source, &suggestions)
        );
    }
    Ok((source, analysis))
}

/// The suggestions `--fix` leaves to a person, and why.
fn not_applied(name: &str, source: &str, suggestions: &[&Fix]) -> String {
    let index = LineIndex::new(source);
    let (verb, them) = if suggestions.len() == 1 {
        ("is", "it")
    } else {
        ("are", "them")
    };
    let mut text = format!(
        "{name}: {} {verb} not applied, as a suggested name may be another asset, \
         protocol or chain than the one meant; apply {them} by hand or with the \
         editor's quick fix:\n",
        counted(suggestions.len() as u64, "suggestion"),
    );
    for fix in suggestions {
        let at = index.position(fix.span.start);
        let old = source.get(fix.span.start..fix.span.end).unwrap_or("");
        text.push_str(&format!(
            "  {name}:{}:{}: `{old}` -> `{}`\n",
            at.line, at.column, fix.replacement
        ));
    }
    text
}

fn summary(name: &str, analysis: &meshc::pipeline::Analysis) -> String {
    let bundles = analysis.checked.bundles.len();
    let warnings = analysis.warning_count();
    let warnings_text = if warnings == 0 {
        String::new()
    } else {
        format!(", {}", counted(warnings as u64, "warning"))
    };
    if analysis.has_errors() {
        format!(
            "{name}: {}{warnings_text}",
            counted(analysis.error_count() as u64, "error")
        )
    } else {
        format!(
            "{name}: {} checked, no errors{warnings_text}",
            counted(bundles as u64, "bundle")
        )
    }
}
