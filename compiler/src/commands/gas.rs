//! `meshc gas FILE`: for each bundle of a file, the gas and blocks of the
//! `-O0` lowering and of the optimised one, the reduction, the gas each
//! pass saved, and (for bundles of up to 8 actions) the optimum of the
//! independent exact search with what it searched; human text, or JSON
//! with `--format json` (docs/optimiser.md).

use super::{read_source, report_usage_error, stderr_color, world_of, Status};
use mesh_runtime::amount::display_count;
use mesh_runtime::report::money::{gas_costs, net_figures, GasCost};
use mesh_runtime::report::Amount;
use mesh_runtime::World;
use meshc::check::{CheckOptions, OptLevel};
use meshc::diagnostic::{counted, HumanRenderer};
use meshc::pipeline::analyse_with_pairs;
use meshc::pipeline::figures::{figures, Figures};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// The source file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Judge names, swaps' pairs and bridge routes' gas by this world file
    /// instead of the default world.
    #[arg(long, value_name = "WORLD")]
    world: Option<PathBuf>,
    /// Also value each level's gas in this token, through the world's
    /// oracle.
    #[arg(long, value_name = "TOKEN")]
    quote: Option<String>,
}

pub fn run(args: &Args) -> Status {
    let name = args.file.display().to_string();
    let source = match read_source(&args.file) {
        Ok(s) => s,
        Err(m) => {
            report_usage_error(&m);
            return Status::Usage;
        }
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
    if let Some(token) = &args.quote {
        if world.registry.token(token).is_none() {
            report_usage_error(&format!("--quote: unknown token `{token}`"));
            return Status::Usage;
        }
    }
    let pairs = meshc::interp::world_facts(&world);
    // Deadlines judged at -O0: the figures are of a bundle both levels lower.
    let analysis = analyse_with_pairs(
        &source,
        &registry,
        Some(&pairs),
        &CheckOptions {
            level: OptLevel::O0,
        },
    );
    let analysis = if analysis.has_errors() {
        analyse_with_pairs(&source, &registry, Some(&pairs), &CheckOptions::default())
    } else {
        analysis
    };
    let renderer = HumanRenderer::new(&name, &source, stderr_color());
    for diagnostic in analysis.diagnostics.iter().filter(|d| d.is_error()) {
        eprint!("{}", renderer.render(diagnostic));
    }
    if analysis.has_errors() {
        let errors = counted(analysis.error_count() as u64, "error");
        eprintln!("{name}: {errors}; no gas figures");
        return Status::Failure;
    }
    let mut all = Vec::new();
    for bundle in &analysis.checked.bundles {
        match figures(&analysis, bundle) {
            Ok(f) => all.push(f),
            Err(e) => {
                eprintln!("error: {e}");
                return Status::Failure;
            }
        }
    }
    let money: Vec<Money> = all
        .iter()
        .map(|f| Money::of(f, &world, args.quote.as_deref()))
        .collect();
    match args.format {
        Format::Json => println!("{}", json(&all, &money)),
        Format::Human => print!("{}", human(&all, &money)),
    }
    Status::Success
}

/// Each level's gas (`-O0`, `-O`) valued in the quote token, or why it
/// cannot be.
type QuotedGas = Result<(Amount, Amount), String>;

/// A bundle's gas in money: each chain's at each level, priced in its
/// native coin, and each level's in the quote token.
pub struct Money {
    pub cost_o0: Vec<GasCost>,
    pub cost_o: Vec<GasCost>,
    /// The quote token, and each level's gas in it (or why it cannot be
    /// told).
    pub quote: Option<(String, QuotedGas)>,
}

impl Money {
    fn of(f: &Figures, world: &World, quote: Option<&str>) -> Money {
        let in_quote = |by_chain, q| net_figures(world, &[], by_chain, q).map(|n| n.gas);
        Money {
            cost_o0: gas_costs(world, &f.by_chain_o0),
            cost_o: gas_costs(world, &f.by_chain_o),
            quote: quote.map(|q| {
                let both = in_quote(&f.by_chain_o0, q)
                    .and_then(|o0| in_quote(&f.by_chain_o, q).map(|o| (o0, o)));
                (q.to_string(), both)
            }),
        }
    }
}

/// One chain's priced gas, as the JSON gives it.
#[derive(serde::Serialize)]
struct Cost<'a> {
    chain: &'a str,
    token: &'a str,
    gas: u64,
    gas_price: String,
    amount: String,
}

/// Each level's gas in the quote token, or why it cannot be told.
#[derive(serde::Serialize)]
struct QuoteJson<'a> {
    token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    gas_o0: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gas_o: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

fn costs(items: &[GasCost]) -> Vec<Cost<'_>> {
    items
        .iter()
        .map(|c| Cost {
            chain: &c.chain,
            token: &c.token,
            gas: c.gas,
            gas_price: c.price.plain(),
            amount: c.cost.plain(),
        })
        .collect()
}

#[derive(serde::Serialize)]
struct Report<'a> {
    bundles: Vec<Bundle<'a>>,
}

/// One bundle's figures, its fields in the documented order.
#[derive(serde::Serialize)]
struct Bundle<'a> {
    name: &'a str,
    gas_o0: u64,
    gas_o0_executor: u64,
    gas_o: u64,
    blocks_o0: u64,
    blocks_o0_executor: u64,
    blocks_o: u64,
    gas_optimum: Option<u64>,
    search: Search,
    passes: Vec<Pass>,
    routes: Vec<Route<'a>>,
    cost_o0: Vec<Cost<'a>>,
    cost_o: Vec<Cost<'a>>,
    quote: Option<QuoteJson<'a>>,
}

/// What route choice did with one unpinned bridge (docs/optimiser.md).
#[derive(serde::Serialize)]
struct Route<'a> {
    line: u32,
    column: u32,
    from: &'a str,
    to: &'a str,
    route_o0: &'static str,
    route_o: &'static str,
    security_o: u8,
    gas_saved: i64,
    blocks_sooner: i64,
    /// The `min_security` kind that allowed a less secure route.
    allowed_by: Option<&'static str>,
    /// A cheaper route ruled out by trust alone.
    refused: Option<&'static str>,
    note: String,
}

/// What the exact search searched: the bundle's actions, the complete
/// candidates it metered, and its time in microseconds.
#[derive(serde::Serialize)]
struct Search {
    actions: usize,
    candidates: u64,
    microseconds: u64,
}

#[derive(serde::Serialize)]
struct Pass {
    name: &'static str,
    saved: u64,
}

/// `{"bundles":[{"name":…,"gas_o0":N,…,"passes":[{"name":…,"saved":N}]}]}`.
pub fn json(all: &[Figures], money: &[Money]) -> String {
    let report = Report {
        bundles: all
            .iter()
            .zip(money)
            .map(|(f, m)| Bundle {
                name: &f.name,
                gas_o0: f.gas_o0,
                gas_o0_executor: f.gas_o0_executor,
                gas_o: f.gas_o,
                blocks_o0: f.blocks_o0,
                blocks_o0_executor: f.blocks_o0_executor,
                blocks_o: f.blocks_o,
                gas_optimum: f.gas_optimum,
                search: Search {
                    actions: f.searched.actions,
                    candidates: f.searched.candidates,
                    microseconds: f.searched.micros,
                },
                passes: f
                    .passes
                    .iter()
                    .map(|p| Pass {
                        name: p.name,
                        saved: p.saved(),
                    })
                    .collect(),
                routes: f
                    .routes
                    .iter()
                    .map(|r| Route {
                        line: r.loc.line,
                        column: r.loc.column,
                        from: &r.from,
                        to: &r.to,
                        route_o0: r.o0.as_str(),
                        route_o: r.o.as_str(),
                        security_o: r.security,
                        gas_saved: r.gas_saved,
                        blocks_sooner: r.blocks_sooner,
                        allowed_by: r.allowed_by.map(|(k, _)| k.as_str()),
                        refused: r.refused.map(|r| r.kind.as_str()),
                        note: r.text(),
                    })
                    .collect(),
                cost_o0: costs(&m.cost_o0),
                cost_o: costs(&m.cost_o),
                quote: m.quote.as_ref().map(|(token, both)| match both {
                    Ok((o0, o)) => QuoteJson {
                        token,
                        gas_o0: Some(o0.plain()),
                        gas_o: Some(o.plain()),
                        error: None,
                    },
                    Err(why) => QuoteJson {
                        token,
                        gas_o0: None,
                        gas_o: None,
                        error: Some(why),
                    },
                }),
            })
            .collect(),
    };
    serde_json::to_string(&report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// `polygon 0.0483 POL at 30 gwei · arbitrum …`, or `no gas price`.
fn cost_line(items: &[GasCost]) -> String {
    if items.is_empty() {
        return "no chain with a gas price".to_string();
    }
    let parts: Vec<String> = items
        .iter()
        .map(|c| format!("{} {} {} at {}", c.chain, c.cost, c.token, c.price_text()))
        .collect();
    parts.join(" · ")
}

fn human(all: &[Figures], money: &[Money]) -> String {
    let mut out = String::new();
    for (f, m) in all.iter().zip(money) {
        out.push_str(&format!("bundle {}\n", f.name));
        let line = |label: &str, gas: u64, blocks: u64| {
            format!(
                "  {label:<16} {:>12} gas  {:<9}",
                display_count(gas),
                counted(blocks, "block")
            )
        };
        out.push_str(line("-O0", f.gas_o0, f.blocks_o0).trim_end());
        out.push('\n');
        out.push_str(&line(
            "-O0 by executor",
            f.gas_o0_executor,
            f.blocks_o0_executor,
        ));
        out.push_str("  (each action its own executor transaction)\n");
        out.push_str(&line("-O", f.gas_o, f.blocks_o));
        out.push_str(&format!(
            "  ({:.1}% less gas than -O0, {:.1}% less than -O0 by executor)\n",
            f.reduction(),
            f.reduction_from_executor()
        ));
        out.push_str(&format!(
            "  {:<16} {}\n",
            "-O0 costs",
            cost_line(&m.cost_o0)
        ));
        out.push_str(&format!("  {:<16} {}\n", "-O costs", cost_line(&m.cost_o)));
        if let Some((token, both)) = &m.quote {
            let text = match both {
                Ok((o0, o)) => format!("-O0 {o0} {token} · -O {o} {token}"),
                Err(why) => format!("cannot be told: {why}"),
            };
            out.push_str(&format!("  {:<16} {text}\n", format!("gas in {token}")));
        }
        let actions = counted(f.searched.actions as u64, "action");
        match (f.gas_optimum, f.optimum_ratio()) {
            (Some(g), Some(r)) => out.push_str(&format!(
                "  {:<16} {:>12} gas  (-O reaches {:.1}% of its savings; {actions} searched, {} metered)\n",
                "optimum",
                display_count(g),
                r,
                counted(f.searched.candidates, "candidate"),
            )),
            _ => {
                let why = f
                    .not_searched
                    .as_ref()
                    .map(|w| format!(", {w}"))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "  {:<16} not searched ({actions}{why})\n",
                    "optimum"
                ))
            }
        }
        for p in &f.passes {
            out.push_str(&format!(
                "    {:<22} saved {:>10}\n",
                p.name,
                display_count(p.saved())
            ));
        }
        for r in f.routes.iter().filter(|r| r.is_worth_printing()) {
            out.push_str(&format!("  note: {}\n", r.text()));
        }
    }
    out
}
