//! The refinement contract between two runs of one bundle on one world:
//! `-O0`'s and another program's (`-O`, or the exact optimum's). Shared by
//! `refinement.rs` and `search_props.rs`, so that both judge alike.

use mesh_runtime::{GasSchedule, Registry, Report, Revert, Session, World};
use meshc::interp;
use meshc::ir::{gas, Constraint, Op, Program, Term};
use std::collections::BTreeSet;

/// A run's report and its session.
pub type Run = (Report, Session);

/// `world` with every lender's premium zero.
fn without_premiums(world: &World) -> World {
    let mut world = world.clone();
    for protocol in &mut world.registry.protocols {
        protocol.premium_bps = 0;
    }
    world
}

/// The refinement contract between `-O0` (`p0`) and another program (`p1`,
/// named `other`) on `world`; the runs on `world` are returned.
///
/// Where `other` takes flash loans, which owe a premium, `-O0`'s ordinary loans owe
/// none, so its amounts may be less by the premium — and by what the
/// premium would have become, swapped or unwrapped later — and a bound
/// checked at run time may fail on it. What the premium cannot change is
/// judged on `world` ([`outcome_refines`]); the whole contract on `world`
/// with every lender's premium zero, where it is exact.
pub fn refines_on(
    other: &str,
    (p0, p1): (&Program, &Program),
    world: &World,
) -> Result<(Run, Run), String> {
    let (r0, s0) = interp::run(p0, world.clone());
    let (r1, s1) = interp::run(p1, world.clone());
    let flash_lines = flash_loan_lines(p1);
    // A reverted run reports no call: whether the program takes a flash
    // loan is read from the program.
    let judged_on = if !flash_lines.is_empty() {
        outcome_refines(other, &r0, &r1, &flash_lines)?;
        without_premiums(world)
    } else {
        world.clone()
    };
    let (f0, g0) = interp::run(p0, judged_on.clone());
    let (f1, g1) = interp::run(p1, judged_on.clone());
    if decided_by_min_profit(&f0, &f1) {
        profit_refines(other, (p0, p1), &judged_on, (&f0, &f1))?;
    } else {
        run_refines(other, (&f0, &g0), (&f1, &g1), &flash_lines)?;
    }
    Ok(((r0, s0), (r1, s1)))
}

/// What the premium cannot change: where `-O0` reverts, `other`, which
/// holds no more, reverts too (unless `-O0`'s ordinary loan lacked the
/// collateral a flash loan does not need). `other` may revert where `-O0`
/// commits, or earlier: a bound checked at run time — a swap's minimum, a
/// `require`, `min_balance`, `min_profit` — can fail on what the premium
/// took; the runs without premiums then judge the rest.
fn outcome_refines(
    other: &str,
    r0: &Report,
    r1: &Report,
    flash_lines: &BTreeSet<u32>,
) -> Result<(), String> {
    match (&r0.revert, &r1.revert) {
        (Some(a), None)
            if !collateral_of_ordinary_loan(a, flash_lines) && !decided_by_min_profit(r0, r1) =>
        {
            Err(format!("-O0 reverted ({}) but {other} committed", a.reason))
        }
        _ => Ok(()),
    }
}

/// The source lines of every flash loan of `program`.
pub fn flash_loan_lines(program: &Program) -> BTreeSet<u32> {
    fn walk(term: &Term, out: &mut BTreeSet<u32>) {
        match term {
            Term::Gen(node) => match &node.op {
                Op::Borrow { flash: true, .. } => {
                    out.insert(node.loc.line);
                }
                Op::FlashLoan { locs, .. } => out.extend(locs.iter().map(|l| l.line)),
                _ => {}
            },
            Term::Seq(body) | Term::Tensor(body) | Term::Tx { body, .. } => {
                for t in body {
                    walk(t, out);
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&program.body, &mut out);
    out
}

/// Whether `-O0`'s revert is a loan's collateral refused (or unvalued),
/// where the other program takes that loan as a flash loan: `-O0` sends
/// every loan as an ordinary borrow, which the position's collateral must
/// carry, and a flash loan needs none, so such a revert says nothing of
/// the other run — it is `-O0`'s form that fails, as a deadline it misses
/// is.
fn collateral_of_ordinary_loan(revert: &Revert, flash_lines: &BTreeSet<u32>) -> bool {
    (revert.reason.starts_with("the borrow of ") || revert.reason.starts_with("the position at "))
        && flash_lines.contains(&revert.loc.line)
}

/// Whether the other run refines `-O0`'s: where `-O0` reverts, the other
/// reverts at the same line (a run goes on past a failing step and reports
/// the failure first in the source) — unless `-O0` reverts because the
/// collateral does not carry a loan the other takes as a flash loan (at a
/// line of `flash_lines`); where `-O0` commits, the other commits and
/// leaves every wallet balance at least as large. `other` names the other
/// program in the message.
pub fn run_refines(
    other: &str,
    (r0, s0): (&Report, &Session),
    (r1, s1): (&Report, &Session),
    flash_lines: &BTreeSet<u32>,
) -> Result<(), String> {
    if let Some(revert) = &r0.revert {
        if collateral_of_ordinary_loan(revert, flash_lines) {
            return Ok(());
        }
        let Some(found) = &r1.revert else {
            return Err(format!(
                "-O0 reverted ({}) but {other} committed",
                revert.reason
            ));
        };
        if found.loc.line != revert.loc.line {
            return Err(format!(
                "-O0 reverted at line {} ({}) but {other} at line {} ({})",
                revert.loc.line, revert.reason, found.loc.line, found.reason
            ));
        }
        return Ok(());
    }
    if let Some(revert) = &r1.revert {
        return Err(format!(
            "-O0 committed but {other} reverted: {}",
            revert.reason
        ));
    }
    for (chain, wallet) in &s0.world().wallets {
        for (token, before) in wallet {
            let after = s1
                .world()
                .wallets
                .get(chain)
                .and_then(|w| w.get(token))
                .copied()
                .unwrap_or(0);
            if after < *before {
                return Err(format!(
                    "{token} on {chain}: {other} leaves {after}, less than -O0's {before}"
                ));
            }
        }
    }
    Ok(())
}

/// Whether a committed run on `world` charged the gas by the schedule
/// (its gas less what its balance writes added by their values) and took
/// the blocks the program's static figures say, from the positions `world` holds (the
/// program was compiled with no world, so that one lowering serves every
/// world drawn). A call that moves nothing is charged nothing by the run,
/// where the static figure, which cannot know the amount, charges it:
/// with one, the run charges less.
pub fn metered_as_figured(
    level: &str,
    program: &Program,
    world: &World,
    (report, session): (&Report, &Session),
) -> Result<(), String> {
    let positions = meshc::interp::world_facts(world).reserves().clone();
    let (cost, _) = gas::cost_from(
        program,
        &Registry::default_registry(),
        &GasSchedule::default(),
        &positions,
    )
    .map_err(|e| format!("{level}: {e}"))?;
    let moves_nothing = report
        .transactions
        .iter()
        .any(|tx| tx.calls.iter().any(|c| c.what.moves_nothing()));
    let charged = session.schedule_gas_total();
    let as_figured = if moves_nothing {
        charged <= cost.total()
    } else {
        charged == cost.total()
    };
    if !as_figured || session.blocks() != cost.blocks {
        return Err(format!(
            "{level}: the runtime charged {} gas by the schedule and took {} blocks, the static figures are {} and {}",
            session.schedule_gas_total(),
            session.blocks(),
            cost.total(),
            cost.blocks
        ));
    }
    Ok(())
}

/// Whether `min_profit` decided either run: it depends on gas, which each
/// program spends differently, so such runs are judged by
/// [`profit_refines`].
pub fn decided_by_min_profit(r0: &Report, r1: &Report) -> bool {
    [r0, r1].iter().any(|r| {
        r.revert
            .as_ref()
            .is_some_and(|v| v.reason.starts_with("min_profit:"))
    })
}

/// Where `min_profit` decides at either level: both levels run again
/// without it. Their reverts and balances must then refine as usual, the
/// result before gas of the other is at least `-O0`'s, and a level that misses
/// the floor while the other meets it pays more gas in the quote token.
pub fn profit_refines(
    other: &str,
    (o0, o): (&Program, &Program),
    world: &World,
    (r0, r1): (&Report, &Report),
) -> Result<(), String> {
    let free = |p: &Program| {
        let mut p = p.clone();
        p.constraints
            .items
            .retain(|(c, _)| !matches!(c, Constraint::MinProfit { .. }));
        p
    };
    let (f0, f1) = (free(o0), free(o));
    let (n0, _) = interp::run(&f0, world.clone());
    let (n1, _) = interp::run(&f1, world.clone());
    let figures = |r: &Report| {
        r.net
            .as_ref()
            .and_then(|n| n.figures.as_ref().ok())
            .copied()
    };
    // A run without `min_profit` has no quote token: price it in USDC,
    // the generated floors' token.
    let priced = |r: &Report| {
        let mut r = r.clone();
        r.price_in(world, Some("USDC"));
        figures(&r)
    };
    let flash_lines = flash_loan_lines(o);
    match (&n0.revert, &n1.revert) {
        (Some(a), _) if collateral_of_ordinary_loan(a, &flash_lines) => return Ok(()),
        (Some(a), Some(b)) if a.loc.line == b.loc.line => return Ok(()),
        (Some(a), Some(b)) => {
            return Err(format!(
                "without min_profit, -O0 reverted at line {} ({}) but {other} at line {} ({})",
                a.loc.line, a.reason, b.loc.line, b.reason
            ))
        }
        (Some(a), None) => {
            return Err(format!(
                "without min_profit, -O0 reverted ({}) but {other} committed",
                a.reason
            ))
        }
        (None, Some(b)) => {
            return Err(format!(
                "without min_profit, -O0 committed but {other} reverted: {}",
                b.reason
            ))
        }
        (None, None) => {}
    }
    let (Some(p0), Some(p1)) = (priced(&n0), priced(&n1)) else {
        return Err("the default world prices every token and chain".to_string());
    };
    if p1.value.base < p0.value.base {
        return Err(format!(
            "{other}'s result before gas, {} USDC, is less than -O0's, {} USDC",
            p1.value.display(),
            p0.value.display()
        ));
    }
    let (missed0, missed1) = (r0.revert.is_some(), r1.revert.is_some());
    if missed1 && !missed0 && p1.gas.base <= p0.gas.base {
        return Err(format!(
            "{other} missed min_profit where -O0 met it, with no more gas ({} against {} USDC)",
            p1.gas, p0.gas
        ));
    }
    if missed0 && !missed1 && p1.value.base == p0.value.base && p0.gas.base <= p1.gas.base {
        return Err(format!(
            "{other} met min_profit where -O0 missed it with the same result and no less gas ({} against {} USDC)",
            p1.gas, p0.gas
        ));
    }
    Ok(())
}
