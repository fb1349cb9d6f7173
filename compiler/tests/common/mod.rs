//! What the compiler's tests share: the examples, and the random bundles
//! and worlds of the property tests (`refinement.rs`, `soundness.rs`,
//! `differential.rs`, `check_lowers.rs`, `search_props.rs`, and the
//! optimum benchmark): well-typed-looking bundles built from statement
//! groups that exercise every pass and every law — `all` on holdings that
//! are empty, zero or of unknown amount, loans repaid whole, in parts and
//! of nothing, loans left open as debt and debts repaid, assumptions, the
//! native coin wrapped, moved and unwrapped, multi-asset flash loans, swap
//! chains across forks, deposits merged and cancelled, nested in `on`
//! blocks and `parallel` branches, with a `min_security` now and then —
//! and the default world with every amount perturbed. `optimum` holds
//! what the tests of hand-computed optima share, `refines` the refinement
//! relation the optimiser's tests check, `engines` the random bundles the
//! two engines are compared on.
//!
//! Kept in one file: the statement groups draw their names and amounts
//! from one pool of holdings in scope, and what makes a group well typed
//! is what the others leave in that pool; they are read and changed
//! together.

#![allow(dead_code)]

pub mod engines;
pub mod optimum;
pub mod refines;

use mesh_runtime::{Registry, World};
use meshc::check::{CheckOptions, OptLevel};
use meshc::ir::{Constraint, Program};
use meshc::pipeline::analyse;
use proptest::prelude::*;

/// The examples of `examples/` (not its `rejected/` folder), sorted by path.
pub fn example_paths() -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "mesh"))
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    paths
}

/// One statement group of a generated bundle, on the home chain `polygon`.
#[derive(Clone, Debug)]
pub enum Segment {
    /// A loan from aave repaid in the same run: a flash loan at `-O`.
    FlashArbitrage { loan: u32, bound: u32 },
    /// Two swaps on one exchange, the first unbounded: fused at `-O`.
    SwapChain { amount: u32, bound: u32 },
    /// A bridge away (to arbitrum from polygon) and straight back:
    /// cancelled at `-O`.
    RoundTrip { amount: u32 },
    /// A bridge away, then a bounded swap and a `require` there.
    CrossChain { amount: u32, bound: u32, check: u32 },
    /// Two independent branches on two chains.
    Parallel { usdc: u32, dai: u32 },
    /// An ordinary loan from compound (no flash loans there), against
    /// WETH deposited as collateral first.
    Leverage { amount: u32 },
    /// A loan of USDC left open as debt at aave against WETH deposited
    /// first, then repaid in part (a repay of debt: no loan of USDC is
    /// open there), with the deposit and a withdrawal of its amount in
    /// between (cancelled at `-O`, its health check kept). The loan is
    /// `percent` of what the WETH lets one borrow at 80% loan-to-value and
    /// 2,500 dollars an ether: above 100%, past the loan-to-value unless
    /// the position held more collateral.
    Debt {
        weth_hundredths: u32,
        percent: u32,
        part: u32,
    },
    /// A repay of a debt the user owed before the bundle, stated first, on
    /// polygon, where the user owes aave USDC (less on a perturbed world,
    /// where the assumption may fail).
    OwedBefore { usdc: u32 },
    /// Funds moved from compound to aave (on polygon, where the user has
    /// USDC at compound).
    Migration { amount: u32 },
    /// A step that spends `all` of a token the bundle may never have held
    /// (then it moves nothing: W0005).
    AllOf { step: AllStep, token: &'static str },
    /// A holding spent whole, then spent again, whole and by an amount of
    /// nothing (it is zero: W0005), and an `input` of nothing spent.
    Emptied {
        hundredths: u32,
        token: &'static str,
    },
    /// A swap's output of unknown amount, spent in parts and then whole.
    UnknownAmount { amount: u32, divisor: u32 },
    /// A loan repaid in two parts computed from its value (one part written
    /// twice), and a loan of nothing opened and closed.
    LoanInParts {
        amount: u32,
        lender: &'static str,
        token: &'static str,
    },
    /// The native coin (`ETH`), which has no `approve` and goes to no
    /// protocol: drawn from the wallet and wrapped; then unwrapped whole
    /// (`Trip`: a round trip, cancelled at `-O`), half swapped and the rest
    /// unwrapped (`Swap`), or partly bridged and the rest deposited as WETH
    /// (`Move`). On polygon, where ETH is not native, it runs on arbitrum.
    Native { hundredths: u32, use_: NativeUse },
    /// Two swaps through other tokens on sushiswap, USDC back to USDC
    /// (the first unbounded: fused into one path of four hops at `-O`).
    Path { amount: u32, bound: u32 },
    /// Segments run on another chain.
    On {
        chain: &'static str,
        body: Vec<Segment>,
    },
    /// Segments in independent branches, each on its own chain.
    Branches(Vec<(&'static str, Vec<Segment>)>),
    /// A step here, an independent step away, a step here: joined and run
    /// side by side at `-O` (interchange).
    Hop { usdc: u32, dai: u32, usdt: u32 },
    /// Two bridges of one token on one route: one transfer at `-O`
    /// (bridge merging), unless a value reads what the first delivered.
    TwoBridges {
        first: u32,
        second: u32,
        via: Option<&'static str>,
        read_first: bool,
    },
    /// Bridges of two tokens on one route to one chain: one shared message
    /// at `-O` on `zk` and `threshold` (bridge batching), unless a value
    /// reads what the second delivered.
    TwoTokens {
        usdc: u32,
        dai: u32,
        via: Option<&'static str>,
        read_second: bool,
    },
    /// Loans of two or three tokens from aave, each repaid in the same run:
    /// flash loans at `-O`, one multi-asset call where that saves.
    Loans {
        usdc: u32,
        weth: u32,
        dai: Option<u32>,
    },
    /// Two swaps on pairs of two Uniswap V2 forks, the first unbounded:
    /// one multi-hop swap across exchanges at `-O`.
    ForkChain { amount: u32, bound: u32 },
    /// Two deposits of one token into one lender (merged at `-O`), and
    /// maybe the withdrawal of the second (a deposit and the withdrawal of
    /// its amount cancel).
    Deposits {
        first: u32,
        second: u32,
        withdraw: bool,
    },
    /// Two `parallel` branches on the home chain: one transaction at `-O`.
    HomeParallel { usdc: u32, dai: u32 },
    /// A bridge, an independent swap, and a bridge of what the swap made
    /// on the same route: one transfer at `-O` (bridge merging).
    SwapThenBridge {
        usdc: u32,
        dai: u32,
        via: Option<&'static str>,
    },
}

/// What a [`Segment::Native`] does with the ether it wraps.
#[derive(Clone, Copy, Debug)]
pub enum NativeUse {
    Trip,
    Swap,
    Move,
}

/// The steps that spend `all` of a holding (a swap of nothing is an
/// error, so no swap here).
#[derive(Clone, Copy, Debug)]
pub enum AllStep {
    Deposit,
    Bridge,
}

/// Where a segment on `chain` bridges to: a chain with a route of every
/// kind from it (arbitrum from the home chain, as the segments were first
/// written).
fn away(chain: &str) -> &'static str {
    match chain {
        "polygon" | "ethereum" => "arbitrum",
        _ => "ethereum",
    }
}

/// The chains a nested block runs on.
const NESTED_CHAINS: [&str; 4] = ["ethereum", "base", "optimism", "arbitrum"];
/// Tokens on every chain of the default world.
const TOKENS: [&str; 4] = ["WETH", "USDT", "DAI", "WBTC"];

impl Segment {
    /// The segment's statements on the home chain `polygon`; `i` makes its
    /// value names unique.
    pub fn source(&self, i: usize) -> String {
        let mut next = i;
        self.source_from("polygon", &mut next)
    }

    /// The segment's statements on `chain`, numbering its value names (and
    /// those of the segments inside it) from `next`.
    pub fn source_from(&self, chain: &str, next: &mut usize) -> String {
        let i = *next;
        *next += 1;
        match self {
            Segment::On { chain, body } => {
                let mut text = format!("on {chain} {{\n");
                for segment in body {
                    text.push_str(&segment.source_from(chain, next));
                }
                text.push_str("}\n");
                text
            }
            Segment::Branches(branches) => {
                let mut text = String::from("parallel ");
                for (b, (chain, body)) in branches.iter().enumerate() {
                    if b > 0 {
                        text.push_str(" and ");
                    }
                    text.push_str(&format!("{{ on {chain} {{\n"));
                    for segment in body {
                        text.push_str(&segment.source_from(chain, next));
                    }
                    text.push_str("} }");
                }
                text.push('\n');
                text
            }
            leaf => leaf.leaf_source(chain, i),
        }
    }

    fn leaf_source(&self, here: &str, i: usize) -> String {
        let away = away(here);
        match self {
            Segment::On { .. } | Segment::Branches(_) => String::new(),
            Segment::AllOf { step, token } => match step {
                AllStep::Deposit => format!("deposit all {token} into aave\n"),
                AllStep::Bridge => format!("bridge all {token} to {away}\n"),
            },
            Segment::Emptied { hundredths, token } => format!(
                "input {}.{:02} {token}\n\
                 deposit all {token} into compound\n\
                 deposit all {token} into aave\n\
                 deposit 0 {token} into compound\n\
                 withdraw 0 {token} from aave\n\
                 input 0 USDC\n\
                 deposit all USDC into compound\n",
                hundredths / 100,
                hundredths % 100
            ),
            Segment::UnknownAmount { amount, divisor } => format!(
                "input {amount} USDC\n\
                 let u{i} = swap all USDC for DAI on sushiswap\n\
                 deposit u{i} / {divisor} into aave\n\
                 deposit u{i} - u{i} / {divisor} into compound\n\
                 deposit all DAI into aave\n"
            ),
            Segment::LoanInParts {
                amount,
                lender,
                token,
            } => {
                // compound lends only against collateral (E0603 otherwise):
                // one WETH deposited first, which backs a loan of up to
                // about 1,900 dollars, so the loan is of ten-thousandths.
                let (collateral, loan) = if *lender == "compound" {
                    (
                        "input 1 WETH\ndeposit 1 WETH into compound\n",
                        format!("0.{amount:04}"),
                    )
                } else {
                    ("", amount.to_string())
                };
                format!(
                    "{collateral}input 0.03 {token}\n\
                     let l{i} = borrow {loan} {token} from {lender}\n\
                     repay l{i} / 3 to {lender}\n\
                     repay l{i} - l{i} / 3 to {lender}\n\
                     borrow 0 {token} from {lender}\n\
                     repay 0 {token} to {lender}\n"
                )
            }
            Segment::Native { hundredths, use_ } => {
                let (chain, to) = if here == "polygon" {
                    ("arbitrum", "ethereum")
                } else {
                    (here, away)
                };
                let eth = format!("{}.{:02} ETH", hundredths / 100, hundredths % 100);
                let mut body = format!("input {eth}\nlet w{i} = wrap all ETH\n");
                match use_ {
                    NativeUse::Trip => body.push_str(&format!(
                        "let e{i} = unwrap w{i}\nrequire e{i} == {eth}\n"
                    )),
                    NativeUse::Swap => body.push_str(&format!(
                        "swap w{i} / 2 for DAI on uniswap_v2\nunwrap all WETH\n"
                    )),
                    NativeUse::Move => body.push_str(&format!(
                        "bridge 0.01 WETH to {to}\ndeposit all WETH into aave\n"
                    )),
                }
                if chain == here {
                    body
                } else {
                    format!("on {chain} {{\n{body}}}\n")
                }
            }
            Segment::Path { amount, bound } => format!(
                "input {amount} USDC\n\
                 swap all USDC for WETH on sushiswap via USDT\n\
                 let h{i} = swap all WETH for {bound} USDC on sushiswap via DAI\n\
                 require h{i} >= {bound} USDC\n"
            ),
            Segment::FlashArbitrage { loan, bound } => format!(
                "borrow {loan} USDC from aave\n\
                 swap {loan} USDC for WETH on uniswap_v2\n\
                 input {premium} USDC\n\
                 swap all WETH for {bound} USDC on sushiswap\n\
                 repay {loan} USDC to aave\n",
                premium = loan / 1000 + 1
            ),
            Segment::SwapChain { amount, bound } => format!(
                "input {amount} USDC\n\
                 swap all USDC for WETH on uniswap_v2\n\
                 let dai{i} = swap all WETH for {bound} DAI on uniswap_v2\n\
                 require dai{i} >= {bound} DAI\n"
            ),
            Segment::RoundTrip { amount } => format!(
                "input {amount} USDT\n\
                 bridge all USDT to {away}\n\
                 on {away} {{ bridge all USDT to {here} }}\n"
            ),
            Segment::CrossChain {
                amount,
                bound,
                check,
            } => format!(
                "input {amount} DAI\n\
                 let d{i} = bridge all DAI to {away}\n\
                 on {away} {{\n\
                     let w{i} = swap d{i} for 0.{bound:04} WETH on sushiswap\n\
                     require w{i} >= 0.{check:04} WETH\n\
                 }}\n"
            ),
            Segment::Parallel { usdc, dai } => format!(
                "parallel {{ on optimism {{ input {usdc} USDC\n swap all USDC for WETH on uniswap_v2 }} }}\n\
                 and {{ on base {{ input {dai} DAI\n deposit all DAI into aave }} }}\n"
            ),
            Segment::Leverage { amount } => format!(
                "input 2 WETH\n\
                 deposit 2 WETH into compound\n\
                 borrow {amount}00 USDC from compound\n\
                 deposit {amount}00 USDC into aave\n\
                 withdraw {amount}00 USDC from aave\n\
                 repay {amount}00 USDC to compound\n\
                 withdraw 2 WETH from compound\n"
            ),
            Segment::Debt {
                weth_hundredths,
                percent,
                part,
            } => {
                // 0.01 WETH backs 20 USDC at 80% of 2,500 dollars.
                let usdc = (weth_hundredths * 20 * percent / 100).max(1);
                format!(
                    "input {}.{:02} WETH\n\
                     deposit all WETH into aave\n\
                     let d{i} = borrow {usdc} USDC from aave as debt\n\
                     deposit {usdc} USDC into aave\n\
                     withdraw {usdc} USDC from aave\n\
                     repay d{i} / {part} to aave\n",
                    weth_hundredths / 100,
                    weth_hundredths % 100
                )
            }
            Segment::OwedBefore { usdc } => format!(
                "on polygon {{\n\
                 assume debt {usdc} USDC at aave\n\
                 input {usdc} USDC\n\
                 repay {usdc} USDC to aave\n\
                 }}\n"
            ),
            Segment::Hop { usdc, dai, usdt } => format!(
                "input {usdc} USDC\n\
                 swap {usdc} USDC for WETH on uniswap_v2\n\
                 on {away} {{ input {dai} DAI\n deposit all DAI into aave }}\n\
                 input {usdt} USDT\n\
                 deposit all USDT into aave\n"
            ),
            Segment::TwoBridges {
                first,
                second,
                via,
                read_first,
            } => {
                let via = via.map(|k| format!(" via {k}")).unwrap_or_default();
                let (bind, check) = if *read_first {
                    (
                        format!("let b{i} = "),
                        format!("require b{i} >= {} USDC\n", first / 2),
                    )
                } else {
                    (String::new(), String::new())
                };
                format!(
                    "input {first} USDC\n\
                     input {second} USDC\n\
                     {bind}bridge {first} USDC to {away}{via}\n\
                     bridge {second} USDC to {away}{via}\n\
                     {check}"
                )
            }
            Segment::TwoTokens {
                usdc,
                dai,
                via,
                read_second,
            } => {
                let via = via.map(|k| format!(" via {k}")).unwrap_or_default();
                let (bind, check) = if *read_second {
                    (
                        format!("let t{i} = "),
                        format!("require t{i} >= {} DAI\n", dai / 2),
                    )
                } else {
                    (String::new(), String::new())
                };
                format!(
                    "input {usdc} USDC\n\
                     input {dai} DAI\n\
                     bridge {usdc} USDC to {away}{via}\n\
                     {bind}bridge {dai} DAI to {away}{via}\n\
                     {check}"
                )
            }
            // The user has USDC at compound on polygon only: elsewhere the
            // segment puts it there first.
            Segment::Migration { amount } if here == "polygon" => format!(
                "withdraw {amount} USDC from compound\n\
                 deposit all USDC into aave\n"
            ),
            Segment::Migration { amount } => format!(
                "input {amount} USDC\n\
                 deposit {amount} USDC into compound\n\
                 withdraw {amount} USDC from compound\n\
                 deposit all USDC into aave\n",
                amount = amount % 20_000 + 1
            ),
            Segment::Loans { usdc, weth, dai } => {
                // Each premium (5 bps, rounded up) is covered by an input.
                let mut text = format!(
                    "borrow {usdc} USDC from aave\n\
                     borrow {weth} WETH from aave\n"
                );
                if let Some(dai) = dai {
                    text.push_str(&format!("borrow {dai} DAI from aave\n"));
                }
                text.push_str(&format!(
                    "input {} USDC\n\
                     input 0.01 WETH\n",
                    usdc / 1000 + 1
                ));
                if let Some(dai) = dai {
                    text.push_str(&format!("input {} DAI\n", dai / 1000 + 1));
                }
                text.push_str(&format!(
                    "repay {usdc} USDC to aave\n\
                     repay {weth} WETH to aave\n"
                ));
                if let Some(dai) = dai {
                    text.push_str(&format!("repay {dai} DAI to aave\n"));
                }
                text
            }
            Segment::ForkChain { amount, bound } => format!(
                "input {amount} USDC\n\
                 swap all USDC for WETH on uniswap_v2\n\
                 let f{i} = swap all WETH for {bound} DAI on sushiswap\n\
                 require f{i} >= {bound} DAI\n"
            ),
            Segment::Deposits {
                first,
                second,
                withdraw,
            } => {
                let mut text = format!(
                    "input {} USDT\n\
                     deposit {first} USDT into aave\n\
                     deposit {second} USDT into aave\n",
                    first + second
                );
                if *withdraw {
                    text.push_str(&format!("withdraw {second} USDT from aave\n"));
                }
                text
            }
            Segment::HomeParallel { usdc, dai } => format!(
                "parallel {{ input {usdc} USDC\n swap all USDC for WETH on uniswap_v2 }}\n\
                 and {{ input {dai} DAI\n deposit all DAI into aave }}\n"
            ),
            Segment::SwapThenBridge { usdc, dai, via } => {
                let via = via.map(|k| format!(" via {k}")).unwrap_or_default();
                format!(
                    "input {usdc} USDC\n\
                     bridge {usdc} USDC to {away}{via}\n\
                     input {dai} DAI\n\
                     let u{i} = swap {dai} DAI for USDC on uniswap_v2\n\
                     bridge u{i} to {away}{via}\n"
                )
            }
        }
    }
}

/// A leaf segment, or segments on another chain (`on`, at most two deep),
/// or branches on distinct chains of segments that touch only their own
/// chain (so that they are independent).
pub fn segment() -> impl Strategy<Value = Segment> {
    let branches =
        prop::sample::subsequence(NESTED_CHAINS.to_vec(), 2..=3).prop_flat_map(|chains| {
            let n = chains.len();
            (
                Just(chains),
                prop::collection::vec(prop::collection::vec(local_segment(), 1..=2), n),
            )
                .prop_map(|(chains, bodies)| {
                    Segment::Branches(chains.into_iter().zip(bodies).collect())
                })
        });
    let leaf = prop_oneof![6 => leaf_segment(), 1 => branches];
    leaf.prop_recursive(2, 6, 2, |inner| {
        (
            prop::sample::select(NESTED_CHAINS.to_vec()),
            prop::collection::vec(inner, 1..=2),
        )
            .prop_map(|(chain, body)| Segment::On { chain, body })
    })
}

/// Segments that touch no chain but their own.
fn local_segment() -> impl Strategy<Value = Segment> {
    let token = || prop::sample::select(TOKENS.to_vec());
    prop_oneof![
        (
            1u32..200,
            prop::sample::select(vec![NativeUse::Trip, NativeUse::Swap])
        )
            .prop_map(|(hundredths, use_)| Segment::Native { hundredths, use_ }),
        (1u32..5_000, 0u32..6_000).prop_map(|(amount, bound)| Segment::Path { amount, bound }),
        (1u32..20_000, 1u32..25_000)
            .prop_map(|(loan, bound)| Segment::FlashArbitrage { loan, bound }),
        (1u32..5_000, 0u32..6_000).prop_map(|(amount, bound)| Segment::SwapChain { amount, bound }),
        (1u32..50).prop_map(|amount| Segment::Leverage { amount }),
        (1u32..1_000, 1u32..110, 1u32..4).prop_map(|(weth_hundredths, percent, part)| {
            Segment::Debt {
                weth_hundredths,
                percent,
                part,
            }
        }),
        (1u32..80_000).prop_map(|amount| Segment::Migration { amount }),
        token().prop_map(|token| Segment::AllOf {
            step: AllStep::Deposit,
            token
        }),
        (0u32..50, token()).prop_map(|(hundredths, token)| Segment::Emptied { hundredths, token }),
        (1u32..5_000, 1u32..7)
            .prop_map(|(amount, divisor)| Segment::UnknownAmount { amount, divisor }),
        (
            1u32..50,
            prop::sample::select(vec!["aave", "compound"]),
            prop::sample::select(vec!["WETH", "WBTC"])
        )
            .prop_map(|(amount, lender, token)| Segment::LoanInParts {
                amount,
                lender,
                token
            }),
        (1u32..20_000, 1u32..20, prop::option::of(1u32..20_000))
            .prop_map(|(usdc, weth, dai)| Segment::Loans { usdc, weth, dai }),
        (1u32..5_000, 0u32..6_000).prop_map(|(amount, bound)| Segment::ForkChain { amount, bound }),
        (1u32..4_000, 1u32..4_000, any::<bool>()).prop_map(|(first, second, withdraw)| {
            Segment::Deposits {
                first,
                second,
                withdraw,
            }
        }),
    ]
}

fn leaf_segment() -> impl Strategy<Value = Segment> {
    let token = || prop::sample::select(TOKENS.to_vec());
    prop_oneof![
        (
            1u32..300,
            prop::sample::select(vec![NativeUse::Trip, NativeUse::Swap, NativeUse::Move])
        )
            .prop_map(|(hundredths, use_)| Segment::Native { hundredths, use_ }),
        (1u32..5_000, 0u32..6_000).prop_map(|(amount, bound)| Segment::Path { amount, bound }),
        (
            prop::sample::select(vec![AllStep::Deposit, AllStep::Bridge]),
            token()
        )
            .prop_map(|(step, token)| Segment::AllOf { step, token }),
        (0u32..50, token()).prop_map(|(hundredths, token)| Segment::Emptied { hundredths, token }),
        (1u32..5_000, 1u32..7)
            .prop_map(|(amount, divisor)| Segment::UnknownAmount { amount, divisor }),
        (
            1u32..50,
            prop::sample::select(vec!["aave", "compound"]),
            prop::sample::select(vec!["WETH", "WBTC"])
        )
            .prop_map(|(amount, lender, token)| Segment::LoanInParts {
                amount,
                lender,
                token
            }),
        (1u32..20_000, 1u32..25_000)
            .prop_map(|(loan, bound)| Segment::FlashArbitrage { loan, bound }),
        (1u32..5_000, 0u32..6_000).prop_map(|(amount, bound)| Segment::SwapChain { amount, bound }),
        (1u32..5_000).prop_map(|amount| Segment::RoundTrip { amount }),
        (1u32..5_000, 0u32..9_999, 0u32..9_999).prop_map(|(amount, bound, check)| {
            Segment::CrossChain {
                amount,
                bound,
                check,
            }
        }),
        (1u32..5_000, 1u32..5_000).prop_map(|(usdc, dai)| Segment::Parallel { usdc, dai }),
        (1u32..50).prop_map(|amount| Segment::Leverage { amount }),
        (1u32..1_000, 1u32..110, 1u32..4).prop_map(|(weth_hundredths, percent, part)| {
            Segment::Debt {
                weth_hundredths,
                percent,
                part,
            }
        }),
        (1u32..10_000).prop_map(|usdc| Segment::OwedBefore { usdc }),
        (1u32..80_000).prop_map(|amount| Segment::Migration { amount }),
        (1u32..5_000, 1u32..5_000, 1u32..5_000).prop_map(|(usdc, dai, usdt)| Segment::Hop {
            usdc,
            dai,
            usdt
        }),
        (
            1u32..5_000,
            1u32..5_000,
            prop::sample::select(vec![None, Some("htlb"), Some("zk"), Some("threshold")]),
            any::<bool>()
        )
            .prop_map(|(first, second, via, read_first)| Segment::TwoBridges {
                first,
                second,
                via,
                read_first
            }),
        (
            1u32..2_000,
            1u32..2_000,
            prop::sample::select(vec![None, Some("htlb"), Some("zk"), Some("threshold")]),
            any::<bool>()
        )
            .prop_map(|(usdc, dai, via, read_second)| Segment::TwoTokens {
                usdc,
                dai,
                via,
                read_second
            }),
        (1u32..20_000, 1u32..20, prop::option::of(1u32..20_000))
            .prop_map(|(usdc, weth, dai)| Segment::Loans { usdc, weth, dai }),
        (1u32..5_000, 0u32..6_000).prop_map(|(amount, bound)| Segment::ForkChain { amount, bound }),
        (1u32..4_000, 1u32..4_000, any::<bool>()).prop_map(|(first, second, withdraw)| {
            Segment::Deposits {
                first,
                second,
                withdraw,
            }
        }),
        (1u32..5_000, 1u32..5_000).prop_map(|(usdc, dai)| Segment::HomeParallel { usdc, dai }),
        (
            1u32..5_000,
            1u32..5_000,
            prop::sample::select(vec![None, Some("zk"), Some("threshold")])
        )
            .prop_map(|(usdc, dai, via)| Segment::SwapThenBridge { usdc, dai, via }),
    ]
}

/// The trust a bundle may give: no `min_security` (most bundles), or one
/// of each kind.
pub fn min_security() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        3 => Just(None),
        1 => prop::sample::select(vec![Some("threshold"), Some("zk"), Some("htlb")]),
    ]
}

/// A bundle of one to four segments, without deadline (the contract
/// excludes deadline reverts), with a `min_balance`, a `min_profit`, a
/// `min_health` and a `min_security` now and then.
pub fn bundle() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(segment(), 1..=4),
        prop::option::of((0u32..100, prop::bool::weighted(0.3))),
        prop::option::of(0u32..100),
        min_security(),
    )
        .prop_map(|(segments, min, health, security)| {
            let mut text = String::from("bundle generated on polygon {\n");
            let mut next = 0;
            for s in &segments {
                text.push_str(&s.source_from("polygon", &mut next));
            }
            text.push('}');
            let mut constraints = Vec::new();
            match min {
                // A profit net of gas of a hundredth of what a balance asks.
                Some((m, true)) => {
                    constraints.push(format!("min_profit: {}.{:02} USDC", m / 100, m % 100))
                }
                Some((m, false)) => constraints.push(format!("min_balance: {m} USDC")),
                None => {}
            }
            if let Some(h) = health {
                constraints.push(format!("min_health: 1.{h:02}"));
            }
            if let Some(kind) = security {
                constraints.push(format!("min_security: {kind}"));
            }
            if !constraints.is_empty() {
                text.push_str(&format!(" constraints {{ {} }}", constraints.join(" ")));
            }
            text.push('\n');
            text
        })
}

/// [`perturbed`], and for odd seeds with more collateral at aave on every
/// chain ([`meshc::evm::with_collateral`]): `-O0` sends every loan as an
/// ordinary borrow, which the position's collateral must carry, so half
/// the worlds let those loans commit and half judge their refusal.
pub fn random_world(seed: u64) -> World {
    if seed % 2 == 0 {
        perturbed(seed)
    } else {
        meshc::evm::with_collateral(perturbed(seed))
    }
}

/// The default world with every reserve, liquidity, deposit and wallet
/// balance scaled by a factor drawn from `seed` (between 0% and 300%;
/// reserves stay positive), and every debt too, keeping each position
/// healthy: where the user owes something, deposits only grow and debts
/// only shrink.
pub fn perturbed(seed: u64) -> World {
    let mut world = World::default_world();
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % 301
    };
    let mut scale = |v: &mut u128, floor: u128| {
        let f = u128::from(next());
        *v = (v.saturating_mul(f) / 100).max(floor);
    };
    for exchanges in world.exchanges.values_mut() {
        for exchange in exchanges.values_mut() {
            for pair in exchange.pairs.values_mut() {
                scale(&mut pair.reserve0, 1);
                scale(&mut pair.reserve1, 1);
            }
        }
    }
    for lenders in world.lenders.values_mut() {
        for lender in lenders.values_mut() {
            lender.liquidity.values_mut().for_each(|v| scale(v, 0));
            if lender.debts.is_empty() {
                lender.deposits.values_mut().for_each(|v| scale(v, 0));
            } else {
                // A position that owes something stays healthy (a world
                // holds none that could be liquidated): its collateral
                // only grows, its debt only shrinks.
                for v in lender.deposits.values_mut() {
                    let before = *v;
                    scale(v, 0);
                    *v = (*v).max(before);
                }
                for v in lender.debts.values_mut() {
                    let before = *v;
                    scale(v, 0);
                    *v = (*v).min(before);
                }
            }
        }
    }
    for wallet in world.wallets.values_mut() {
        wallet.values_mut().for_each(|v| scale(v, 0));
    }
    world
}

pub fn without_time_and_gas(mut program: Program) -> Program {
    program.constraints.items.retain(|(c, _)| {
        !matches!(
            c,
            Constraint::Deadline(_) | Constraint::DeadlineSeconds(_) | Constraint::MaxGas(_)
        )
    });
    program
}

/// Both levels of every bundle the checker accepts at `-O0`.
pub fn lowered(source: &str) -> Option<(Program, Program)> {
    let registry = Registry::default_registry();
    // Checked at -O: at -O0 a loan the optimiser makes a flash loan needs
    // collateral (E0603); whether the -O0 form's collateral carries it is
    // the run's to judge, on each world.
    let analysis = analyse(source, &registry, &CheckOptions { level: OptLevel::O });
    if analysis.has_errors() {
        return None;
    }
    let bundle = analysis.checked.bundles.first()?;
    let o0 = analysis.lower_verified(bundle, OptLevel::O0).ok()?;
    let o = match analysis.lower_verified(bundle, OptLevel::O) {
        Ok(p) => p,
        Err(e) => panic!("the optimiser failed on\n{source}\n{e}"),
    };
    Some((without_time_and_gas(o0), without_time_and_gas(o)))
}

/// The number of cases: `MESH_REFINEMENT_CASES`, or `default`.
pub fn cases_or(default: u32) -> u32 {
    std::env::var("MESH_REFINEMENT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The program of the first bundle of `source` lowered at `level`, when the
/// checker accepts it at that level (deadline and `max_gas` dropped).
pub fn lowered_at(source: &str, level: OptLevel) -> Option<Program> {
    let registry = Registry::default_registry();
    let analysis = analyse(source, &registry, &CheckOptions { level });
    if analysis.has_errors() {
        return None;
    }
    let bundle = analysis.checked.bundles.first()?;
    match analysis.lower_verified(bundle, level) {
        Ok(p) => Some(without_time_and_gas(p)),
        Err(e) => panic!("lowering at {} failed on\n{source}\n{e}", level.flag()),
    }
}
