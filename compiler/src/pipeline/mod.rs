//! The pipeline: the one place that runs the compiler's stages in order,
//! for every command, bench, test and the language server.
//!
//! ```text
//!  source ─ syntax ─ check ─┬─ collateral, rule 8 (on the lowering) ─────► Analysis
//!                           └─ lower (-O0) ─ verify ─ opt (-O) ─ verify ──► Program
//! ```
//!
//! [`analyse`] parses and checks a file and judges, on the lowering at
//! the level in force, what only the lowering decides: which loans need
//! collateral because they are not flash loans ([`collateral`]), and rule
//! 8's `deadline` and `max_gas` ([`rule8`]); [`Analysis::lower`] lowers one of its
//! bundles at a level, running the optimiser for `-O`; [`figures`] measures
//! both levels for `meshc gas`; [`routes`] says why each unpinned bridge
//! takes its route at `-O`. Each stage below knows nothing of the ones
//! above it: `lower` does not know the optimiser, the optimiser does not
//! know the lowering, and neither knows this module.

mod collateral;
pub mod figures;
pub mod routes;
mod rule8;

use rule8::errors_in;

pub use crate::level::OptLevel;
pub use figures::Figures;

use crate::check::{self, CheckOptions, Checked, CheckedBundle};
use crate::diagnostic::{self, Diagnostic};
use crate::ir::{self, Program};
use crate::lower::{self, Input, LowerError, Lowered};
use crate::opt::{self, OptError, Optimised};
use mesh_core::{GasSchedule, Registry};
use mesh_grammar::{ast, Item, Parsed, Span, SyntaxErrorKind};
use std::fmt;

/// A stage failed on a bundle the checker accepted: a compiler bug,
/// reported as such, with the stage's own message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InternalError {
    pub message: String,
}

impl fmt::Display for InternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "internal compiler error: {} (please report this bug with the bundle that caused it)",
            self.message
        )
    }
}

impl std::error::Error for InternalError {}

impl From<LowerError> for InternalError {
    fn from(e: LowerError) -> InternalError {
        InternalError { message: e.message }
    }
}

impl From<ir::VerifyError> for InternalError {
    fn from(e: ir::VerifyError) -> InternalError {
        InternalError {
            message: format!("the lowered IR is ill-formed: {e}"),
        }
    }
}

impl From<OptError> for InternalError {
    fn from(e: OptError) -> InternalError {
        InternalError {
            message: format!("the optimiser failed: {e}"),
        }
    }
}

/// Everything the front end learnt about one source file.
pub struct Analysis {
    /// The text analysed.
    pub source: String,
    pub parsed: Parsed,
    pub checked: Checked,
    /// Syntax and checker diagnostics together, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses and checks `source` against `registry`, and judges each bundle's
/// `deadline` and `max_gas` on its lowering at `options.level`.
///
/// A bundle or token declaration that has a syntax error is not checked:
/// the checker would only guess at what was meant (the parser reads a word
/// it could not lex as what it most likely is) and report knock-on errors.
/// Every other item of the file is, so one run still reports every
/// independent problem.
pub fn analyse(source: &str, registry: &Registry, options: &CheckOptions) -> Analysis {
    analyse_with_pairs(source, registry, None, options)
}

/// [`analyse`], knowing the exchange pairs of the world the file will run
/// on: a swap through a pair it does not have is then E0414.
pub fn analyse_with_pairs(
    source: &str,
    registry: &Registry,
    pairs: Option<&check::Pairs>,
    options: &CheckOptions,
) -> Analysis {
    let (parsed, mut diagnostics) = crate::syntax::parse(source);
    let checked = check::check_with_pairs(&parsed.file, registry, pairs, options);

    // Items are in source order, and so are the syntax errors: each look-up
    // is a binary search.
    let broken: Vec<Span> = parsed
        .file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Bundle(bundle) => Some(bundle.span),
            Item::Token(token) => Some(token.span),
            Item::Error(_) => None,
        })
        .filter(|item| {
            let first = parsed.errors.partition_point(|e| e.span.start < item.start);
            parsed.errors[first..]
                .iter()
                .take_while(|e| e.span.start <= item.end)
                .any(|e| {
                    // A file that ends inside a bundle is parsed as if it
                    // were closed there; its end-of-file error sits at its
                    // very end.
                    let at_end = matches!(e.kind, SyntaxErrorKind::UnexpectedEnd { .. })
                        && e.span.start == item.end;
                    e.span.start < item.end || at_end
                })
        })
        .collect();
    let in_broken = |offset: usize| {
        let after = broken.partition_point(|b| b.start <= offset);
        after
            .checked_sub(1)
            .and_then(|i| broken.get(i))
            .is_some_and(|b| offset < b.end)
    };
    diagnostics.extend(
        checked
            .diagnostics
            .iter()
            .filter(|d| !in_broken(d.primary.span.start))
            .cloned(),
    );
    let mut analysis = Analysis {
        source: source.to_string(),
        parsed,
        checked,
        diagnostics,
    };
    let mut lowerings = Lowerings::new(analysis.checked.bundles.len());
    collateral::judge(&mut analysis, &mut lowerings, options.level);
    rule8::judge(&mut analysis, &mut lowerings, options.level);
    diagnostic::sort(&mut analysis.diagnostics);
    analysis
}

/// The lowerings of one file's bundles that the judges on the lowering
/// ([`collateral`], [`rule8`]) read, each made at most once per bundle and
/// level. Every judge lowers a bundle only when its only errors, if any,
/// are the time model's E0801, and lowers it as if it had none: what it
/// lowers is the bundle as checked, whichever judge asks first, so one
/// lowering serves them all.
struct Lowerings {
    /// Per bundle (by index), per level (`-O0`, `-O`): the lowering, once
    /// made (`None` inside when it failed).
    made: Vec<[Option<Option<Program>>; 2]>,
}

impl Lowerings {
    fn new(bundles: usize) -> Lowerings {
        Lowerings {
            made: vec![[None, None]; bundles],
        }
    }

    /// The bundle at `index` of `analysis`, lowered at `level` as if it had
    /// no errors; `None` when it does not lower.
    fn get(&mut self, analysis: &Analysis, index: usize, level: OptLevel) -> Option<&Program> {
        let bundle = analysis.checked.bundles.get(index)?;
        let slot = self.made.get_mut(index)?;
        let at = match level {
            OptLevel::O0 => &mut slot[0],
            OptLevel::O => &mut slot[1],
        };
        at.get_or_insert_with(|| {
            let mut lowerable = bundle.clone();
            lowerable.has_errors = false;
            analysis.lower(&lowerable, level).ok()
        })
        .as_ref()
    }
}

/// Why no bundle of an analysed file could be chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChooseError {
    /// The file has no bundle of that name.
    NoSuchBundle { wanted: String, names: Vec<String> },
    /// The file holds no bundle at all.
    NoBundle,
    /// The file holds several, and none was named.
    Several { names: Vec<String> },
}

impl ChooseError {
    /// The message, for the file named `file`.
    pub fn message(&self, file: &str) -> String {
        match self {
            ChooseError::NoSuchBundle { wanted, names } => {
                format!(
                    "{file} has no bundle `{wanted}`; it has: {}",
                    names.join(", ")
                )
            }
            ChooseError::NoBundle => format!("{file} holds no bundle"),
            ChooseError::Several { names } => format!(
                "{file} holds {} bundles ({}); choose one with --bundle NAME",
                names.len(),
                names.join(", ")
            ),
        }
    }
}

impl Analysis {
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.diagnostics.len() - self.error_count()
    }

    pub fn has_errors(&self) -> bool {
        self.error_count() > 0
    }

    /// The bundle named `wanted`, or the file's only bundle.
    pub fn bundle(&self, wanted: Option<&str>) -> Result<&CheckedBundle, ChooseError> {
        let bundles = &self.checked.bundles;
        let names = || bundles.iter().map(|b| b.name.clone()).collect();
        match wanted {
            Some(w) => {
                bundles
                    .iter()
                    .find(|b| b.name == w)
                    .ok_or_else(|| ChooseError::NoSuchBundle {
                        wanted: w.to_string(),
                        names: names(),
                    })
            }
            None => match bundles.as_slice() {
                [one] => Ok(one),
                [] => Err(ChooseError::NoBundle),
                _ => Err(ChooseError::Several { names: names() }),
            },
        }
    }

    /// The syntax tree of one of the file's checked bundles.
    pub fn syntax_of(&self, bundle: &CheckedBundle) -> Option<&ast::Bundle> {
        find_ast(&self.parsed.file, bundle)
    }

    /// What the lowering reads for `bundle`.
    fn input<'a>(&'a self, bundle: &CheckedBundle) -> Input<'a> {
        Input {
            source: &self.source,
            ast: self.syntax_of(bundle),
            registry: &self.checked.registry,
            lines: &self.parsed.lines,
            reserves: &self.checked.reserves,
        }
    }

    /// The `-O0` lowering of `bundle`, verified.
    pub fn lower_o0(&self, bundle: &CheckedBundle) -> Result<Lowered, InternalError> {
        let lowered = lower::lower(bundle, &self.input(bundle))?;
        ir::verify(&lowered.program)?;
        Ok(lowered)
    }

    /// `bundle` (which must have no errors) lowered at `level`. In debug
    /// builds the program is verified after the lowering and after every
    /// pass of the optimiser; [`Analysis::lower_verified`] always is.
    pub fn lower(&self, bundle: &CheckedBundle, level: OptLevel) -> Result<Program, InternalError> {
        self.lower_at(bundle, level, cfg!(debug_assertions))
    }

    /// Why each unpinned bridge of `bundle` takes the route it takes in
    /// `optimised` (its `-O` program), compared with the `-O0` lowering.
    pub fn route_notes(
        &self,
        bundle: &CheckedBundle,
        optimised: &Program,
    ) -> Result<Vec<routes::RouteNote>, InternalError> {
        let lowered = self.lower_o0(bundle)?;
        Ok(routes::route_notes(
            &lowered,
            optimised,
            &self.checked.registry,
        ))
    }

    /// As [`Analysis::lower`], always verified.
    pub fn lower_verified(
        &self,
        bundle: &CheckedBundle,
        level: OptLevel,
    ) -> Result<Program, InternalError> {
        self.lower_at(bundle, level, true)
    }

    fn lower_at(
        &self,
        bundle: &CheckedBundle,
        level: OptLevel,
        verify: bool,
    ) -> Result<Program, InternalError> {
        let lowered = lower::lower(bundle, &self.input(bundle))?;
        if verify {
            ir::verify(&lowered.program)?;
        }
        match level {
            OptLevel::O0 => Ok(lowered.program),
            OptLevel::O => Ok(optimise(&lowered, &self.checked.registry, verify)?.program),
        }
    }

    /// Adds the file's `token` declarations to a world's registry, so that
    /// a run knows the tokens the checker knew (a declaration the registry
    /// refuses is left out: the bundle then reverts naming the token).
    pub fn declare_tokens(&self, registry: &mut Registry) {
        for declaration in &self.checked.declarations {
            let _ = registry.declare(declaration);
        }
    }
}

/// Runs the optimiser on a `-O0` lowering, with the standard gas schedule;
/// with `verify`, the verifier runs after every pass.
pub fn optimise(
    lowered: &Lowered,
    registry: &Registry,
    verify: bool,
) -> Result<Optimised, OptError> {
    let schedule = GasSchedule::default();
    let cx = opt::Context {
        registry,
        schedule: &schedule,
        pinned: &lowered.pinned,
    };
    if verify {
        opt::optimise_verified(lowered.program.clone(), &cx)
    } else {
        opt::optimise(lowered.program.clone(), &cx)
    }
}

/// The syntax tree of a checked bundle, found by its span.
fn find_ast<'a>(file: &'a ast::File, bundle: &CheckedBundle) -> Option<&'a ast::Bundle> {
    // Items are in source order: the bundle at the checked bundle's span is
    // a binary search away (one file's bundles are looked up one by one).
    let at = file
        .items
        .partition_point(|item| item.span().start < bundle.span.start);
    if let Some(ast::Item::Bundle(b)) = file.items.get(at) {
        if b.span == bundle.span {
            return Some(b);
        }
    }
    file.items.iter().find_map(|item| match item {
        ast::Item::Bundle(b) if b.span == bundle.span || b.name.name == bundle.name => Some(b),
        _ => None,
    })
}
