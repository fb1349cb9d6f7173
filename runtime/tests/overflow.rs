//! No balance, deposit, debt or clock can wrap or saturate: near the
//! largest value each can hold, every operation either gives the exact
//! result or reverts with "arithmetic overflow" — and a revert leaves the
//! world exactly as it was, byte for byte in its file form.

use mesh_core::loc::Loc;
use mesh_runtime::registry::RouteInfo;
use mesh_runtime::{BridgeKind, Constraints, LoanKind, Report, Sender, Session, Spender, World};
use proptest::prelude::*;

const MAX: u128 = u128::MAX;

/// The default world with `f` applied.
fn world_with(f: impl FnOnce(&mut World)) -> World {
    let mut world = World::default_world();
    f(&mut world);
    world
}

/// Runs `bundle` on `world` and finishes it; the report and the world after.
fn run(
    world: &World,
    constraints: &Constraints,
    bundle: impl FnOnce(&mut Session) -> Result<(), mesh_runtime::Revert>,
) -> (Report, World) {
    let mut s = Session::new(world.clone(), "edge");
    let _ = bundle(&mut s);
    let report = s.finish(constraints);
    (report, s.into_world())
}

/// A revert for overflow that left the world byte-identical.
fn assert_overflow_reverted(
    report: &Report,
    before: &World,
    after: &World,
) -> Result<(), TestCaseError> {
    prop_assert!(!report.committed(), "{}", report.render_human());
    let reason = report
        .revert
        .as_ref()
        .map(|r| r.reason.clone())
        .unwrap_or_default();
    prop_assert_eq!(reason, "arithmetic overflow");
    prop_assert_eq!(after.to_toml_string(), before.to_toml_string());
    prop_assert_eq!(after, before);
    Ok(())
}

fn wallet(world: &World, chain: &str, token: &str) -> u128 {
    world.wallet_balance(chain, token)
}

fn deposit(world: &World, chain: &str, lender: &str, token: &str) -> u128 {
    world
        .lender(chain, lender)
        .and_then(|l| l.deposits.get(token))
        .copied()
        .unwrap_or(0)
}

fn liquidity(world: &World, chain: &str, lender: &str, token: &str) -> u128 {
    world
        .lender(chain, lender)
        .and_then(|l| l.liquidity.get(token))
        .copied()
        .unwrap_or(0)
}

fn set_lender(
    world: &mut World,
    chain: &str,
    lender: &str,
    token: &str,
    liquidity: u128,
    deposit: u128,
) {
    let l = world
        .lenders
        .entry(chain.to_string())
        .or_default()
        .entry(lender.to_string())
        .or_default();
    l.liquidity.insert(token.to_string(), liquidity);
    l.deposits.insert(token.to_string(), deposit);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// `withdraw` returns the amount to the wallet at the end: a wallet
    /// near the largest balance either gains exactly that or the bundle
    /// reverts (it used to keep the largest balance and lose the rest).
    #[test]
    fn returning_to_a_full_wallet_is_exact_or_reverts(room in 0u128..1_000, amount in 1u128..2_000) {
        let before = world_with(|w| {
            w.wallets.get_mut("polygon").map(|b| b.insert("USDC".into(), MAX - room));
            set_lender(w, "polygon", "aave", "USDC", 10_000, 10_000);
        });
        let (report, after) = run(&before, &Constraints::new(), |s| {
            s.at(Loc::new(2, 5));
            s.begin_transaction("polygon", Sender::Executor)?;
            s.withdraw("aave", "USDC", amount)?;
            s.end_transaction()
        });
        if amount > room {
            assert_overflow_reverted(&report, &before, &after)?;
            // The holdings return at the end, not at the last statement.
            prop_assert_eq!(report.revert.as_ref().map(|r| r.loc), Some(Loc::UNKNOWN));
        } else {
            prop_assert!(report.committed(), "{}", report.render_human());
            prop_assert_eq!(wallet(&after, "polygon", "USDC"), MAX - room + amount);
            prop_assert_eq!(deposit(&after, "polygon", "aave", "USDC"), 10_000 - amount);
        }
    }

    /// `deposit` grows the deposit and the lender's liquidity: each exact,
    /// or the bundle reverts.
    #[test]
    fn a_deposit_near_the_largest_is_exact_or_reverts(
        deposit_room in 0u128..1_000,
        liquidity_room in 0u128..1_000,
        amount in 1u128..2_000,
    ) {
        let before = world_with(|w| {
            set_lender(w, "polygon", "aave", "USDC", MAX - liquidity_room, MAX - deposit_room);
        });
        let (report, after) = run(&before, &Constraints::new(), |s| {
            s.input("polygon", "USDC", amount)?;
            s.begin_transaction("polygon", Sender::Executor)?;
            s.approve("USDC", Spender::Protocol("aave"))?;
            s.deposit("aave", "USDC", amount)?;
            s.end_transaction()
        });
        if amount > deposit_room || amount > liquidity_room {
            assert_overflow_reverted(&report, &before, &after)?;
        } else {
            prop_assert!(report.committed(), "{}", report.render_human());
            prop_assert_eq!(deposit(&after, "polygon", "aave", "USDC"), MAX - deposit_room + amount);
            prop_assert_eq!(liquidity(&after, "polygon", "aave", "USDC"), MAX - liquidity_room + amount);
        }
    }

    /// A flash loan repaid with its premium returns liquidity plus the premium to
    /// the lender: exact, or the bundle reverts. And a holding near the
    /// largest cannot take more.
    #[test]
    fn a_debt_and_a_holding_near_the_largest_are_exact_or_revert(
        room in 0u128..100,
        amount in 10_000u128..1_000_000,
        held in 0u128..1_000,
    ) {
        // aave's premium is 5 bps: repaying a flash loan of `amount` costs
        // `premium` more.
        let premium = mesh_runtime::maths::flash_premium(amount, 5).unwrap_or(0);
        let before = world_with(|w| {
            set_lender(w, "polygon", "aave", "USDC", MAX - room, 0);
            w.wallets.get_mut("polygon").map(|b| b.insert("USDC".into(), premium));
        });
        let (report, after) = run(&before, &Constraints::new(), |s| {
            s.input("polygon", "USDC", premium)?;
            s.begin_transaction("polygon", Sender::Executor)?;
            s.borrow("aave", "USDC", amount, LoanKind::Flash)?;
            s.approve("USDC", Spender::Protocol("aave"))?;
            s.repay("aave", "USDC", amount)?;
            s.end_transaction()
        });
        if premium > room {
            assert_overflow_reverted(&report, &before, &after)?;
        } else {
            prop_assert!(report.committed(), "{}", report.render_human());
            prop_assert_eq!(liquidity(&after, "polygon", "aave", "USDC"), MAX - room + premium);
        }

        // A holding of the largest amount less `held`, then a borrow.
        let before = world_with(|w| {
            set_lender(w, "polygon", "aave", "USDC", 1_000_000, 0);
            w.wallets.get_mut("polygon").map(|b| b.insert("USDC".into(), MAX - held));
        });
        let (report, after) = run(&before, &Constraints::new(), |s| {
            s.input("polygon", "USDC", MAX - held)?;
            s.begin_transaction("polygon", Sender::Executor)?;
            s.borrow("aave", "USDC", amount, LoanKind::Ordinary)?;
            s.end_transaction()
        });
        // The borrow itself overflows the holding whenever it exceeds `held`.
        if amount > held {
            assert_overflow_reverted(&report, &before, &after)?;
        }
    }

    /// The user's debt (a position that outlives the bundle) near the
    /// largest value: a borrow as debt grows it exactly or reverts; and a
    /// repaid debt returns its amount to a lender's liquidity near the
    /// largest value exactly or reverts. The collateral is the largest
    /// WBTC deposit, worth far more than any USDC debt, so the position's
    /// health never decides.
    #[test]
    fn a_users_debt_near_the_largest_is_exact_or_reverts(
        room in 0u128..1_000,
        amount in 1u128..2_000,
    ) {
        let before = world_with(|w| {
            set_lender(w, "polygon", "aave", "USDC", 1_000_000, 0);
            let aave = w.lenders.get_mut("polygon").and_then(|l| l.get_mut("aave"));
            if let Some(aave) = aave {
                aave.deposits.insert("WBTC".into(), MAX);
                aave.debts.insert("USDC".into(), MAX - room);
            }
        });
        let (report, after) = run(&before, &Constraints::new(), |s| {
            s.begin_transaction("polygon", Sender::Executor)?;
            s.borrow("aave", "USDC", amount, LoanKind::Debt)?;
            s.end_transaction()
        });
        let debt = |w: &World| {
            w.lender("polygon", "aave").and_then(|l| l.debts.get("USDC")).copied()
        };
        if amount > room {
            assert_overflow_reverted(&report, &before, &after)?;
        } else {
            prop_assert!(report.committed(), "{}", report.render_human());
            prop_assert_eq!(debt(&after), Some(MAX - room + amount));
        }

        // A debt of 10,000 base units repaid into a lender near the largest
        // liquidity.
        let before = world_with(|w| {
            set_lender(w, "polygon", "aave", "USDC", MAX - room, 0);
            let aave = w.lenders.get_mut("polygon").and_then(|l| l.get_mut("aave"));
            if let Some(aave) = aave {
                aave.deposits.insert("WBTC".into(), 100_000_000);
                aave.debts.insert("USDC".into(), 10_000);
            }
        });
        let (report, after) = run(&before, &Constraints::new(), |s| {
            s.input("polygon", "USDC", amount)?;
            s.begin_transaction("polygon", Sender::Executor)?;
            s.approve("USDC", Spender::Protocol("aave"))?;
            s.repay_debt("aave", "USDC", amount)?;
            s.end_transaction()
        });
        if amount > room {
            assert_overflow_reverted(&report, &before, &after)?;
        } else {
            prop_assert!(report.committed(), "{}", report.render_human());
            prop_assert_eq!(liquidity(&after, "polygon", "aave", "USDC"), MAX - room + amount);
            prop_assert_eq!(debt(&after), Some(10_000 - amount));
        }
    }

    /// The time near its largest value: each block's milliseconds are added
    /// exactly, or the bundle reverts — never a time that wraps.
    #[test]
    fn time_is_exact_or_reverts(room in 0u64..1_000, txs in 1u64..4) {
        let block_ms = u64::MAX / 2 - room;
        let before = world_with(|w| {
            for chain in &mut w.registry.chains {
                if chain.name == "arbitrum" {
                    chain.block_time_ms = Some(block_ms);
                }
            }
        });
        let (report, after) = run(&before, &Constraints::new(), |s| {
            for _ in 0..txs {
                s.begin_transaction("arbitrum", Sender::Executor)?;
                s.end_transaction()?;
            }
            Ok(())
        });
        let exact = u128::from(block_ms) * u128::from(txs);
        if exact > u128::from(u64::MAX) {
            assert_overflow_reverted(&report, &before, &after)?;
        } else {
            prop_assert!(report.committed());
            prop_assert_eq!(report.time_ms.map(u128::from), Some(exact));
        }
    }

    /// The block clock near its largest value: each transaction and each
    /// bridge's delay is added exactly, or the bundle reverts — never a
    /// clock that wraps to a small number and meets any deadline.
    #[test]
    fn the_clock_is_exact_or_reverts(room in 0u64..10, txs in 1u64..12, deadline in 0u64..100) {
        let delay = u64::MAX - room;
        let before = world_with(|w| {
            // The block clock alone: chains without a block time count no
            // milliseconds (`time_is_exact_or_reverts` counts those).
            for chain in &mut w.registry.chains {
                chain.block_time_ms = None;
            }
            for route in &mut w.registry.routes {
                if route.from == "polygon" && route.to == "arbitrum" {
                    *route = RouteInfo { delay_blocks: delay, ..route.clone() };
                }
            }
        });
        let mut constraints = Constraints::new();
        constraints = constraints.deadline(deadline);
        let (report, after) = run(&before, &constraints, |s| {
            s.input("polygon", "USDC", 1_000_000)?;
            s.begin_transaction("polygon", Sender::Executor)?;
            s.approve("USDC", Spender::Bridge(BridgeKind::Htlb))?;
            s.bridge("USDC", 1_000_000, "arbitrum", Some(BridgeKind::Htlb))?;
            s.end_transaction()?;
            for _ in 1..txs {
                s.begin_transaction("arbitrum", Sender::Executor)?;
                s.end_transaction()?;
            }
            Ok(())
        });
        // One block for the bridge's transaction, its delay, one per further one.
        let exact = 1u128 + u128::from(delay) + u128::from(txs - 1);
        if exact > u128::from(u64::MAX) {
            assert_overflow_reverted(&report, &before, &after)?;
        } else {
            // The clock holds it, and no deadline under 100 is met (a
            // reverted bundle sends nothing: the count is in the reason).
            prop_assert!(!report.committed());
            let reason = report.revert.as_ref().map(|r| r.reason.clone()).unwrap_or_default();
            let exact = u64::try_from(exact).unwrap_or(u64::MAX);
            let takes = format!(
                "deadline: the bundle takes {} blocks",
                mesh_runtime::amount::display_count(exact)
            );
            prop_assert!(reason.starts_with(&takes), "{}", reason);
        }
    }
}
