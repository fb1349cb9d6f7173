//! A tiny model of the compiler's two lowerings, for tests: a bundle as a
//! list of actions, each on a chain, run through the session either the
//! unoptimised way (every action its own wallet transaction, with an
//! approval transaction before each action that spends a token) or the
//! batched executor way (one transaction per maximal same-chain run,
//! approvals granted once per bundle, a flash loan where a borrow and its
//! repay share a transaction).

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use mesh_runtime::{
    BridgeKind, Constraints, LoanKind, Loc, Report, Revert, Sender, Session, Spender, World,
};

/// An amount: a literal in base units, or a let-bound name.
#[derive(Clone, Debug)]
pub enum Amount {
    Lit(u128),
    Var(&'static str),
}

#[derive(Clone, Debug)]
pub enum Action {
    Input {
        token: &'static str,
        amount: Amount,
    },
    Borrow {
        protocol: &'static str,
        token: &'static str,
        amount: Amount,
    },
    Repay {
        protocol: &'static str,
        token: &'static str,
        amount: Amount,
    },
    Swap {
        exchange: &'static str,
        from: &'static str,
        amount: Amount,
        to: &'static str,
        min: u128,
    },
    Deposit {
        protocol: &'static str,
        token: &'static str,
        amount: Amount,
    },
    Withdraw {
        protocol: &'static str,
        token: &'static str,
        amount: Amount,
    },
    Bridge {
        token: &'static str,
        amount: Amount,
        to: &'static str,
        via: Option<BridgeKind>,
    },
}

/// One statement: `let bind = action` on `chain`, at source line `line`.
#[derive(Clone, Debug)]
pub struct Stmt {
    pub chain: &'static str,
    pub bind: Option<&'static str>,
    pub action: Action,
    pub line: u32,
}

pub fn stmt(chain: &'static str, line: u32, bind: Option<&'static str>, action: Action) -> Stmt {
    Stmt {
        chain,
        bind,
        action,
        line,
    }
}

/// A token amount in base units: `units(&world, "WETH", "100.2")`.
pub fn units(world: &World, token: &str, text: &str) -> u128 {
    let decimals = world.registry.token(token).expect("known token").decimals;
    mesh_runtime::amount::parse_units(text, decimals).expect("a valid amount")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lowering {
    Unoptimised,
    Executor,
}

impl Action {
    /// The token and spender an action spends to, if it spends.
    fn spends(&self, chain: &str, world: &World) -> Option<(&'static str, SpenderName)> {
        match self {
            Action::Repay {
                protocol, token, ..
            }
            | Action::Deposit {
                protocol, token, ..
            } => Some((token, SpenderName::Protocol(protocol))),
            Action::Swap { exchange, from, .. } => Some((from, SpenderName::Protocol(exchange))),
            Action::Bridge { token, to, via, .. } => {
                let kind = match via {
                    Some(k) => *k,
                    None => {
                        world
                            .registry
                            .most_trusted_route(chain, to)
                            .expect("a route")
                            .kind
                    }
                };
                Some((token, SpenderName::Bridge(kind)))
            }
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SpenderName {
    Protocol(&'static str),
    Bridge(BridgeKind),
}

impl SpenderName {
    fn spender(self) -> Spender<&'static str> {
        match self {
            SpenderName::Protocol(p) => Spender::Protocol(p),
            SpenderName::Bridge(k) => Spender::Bridge(k),
        }
    }
}

struct Runner {
    vars: BTreeMap<&'static str, u128>,
}

impl Runner {
    fn amount(&self, a: &Amount) -> u128 {
        match a {
            Amount::Lit(v) => *v,
            Amount::Var(n) => self.vars[n],
        }
    }

    fn act(&mut self, s: &mut Session, st: &Stmt, loan: LoanKind) -> Result<(), Revert> {
        s.at(Loc::new(st.line, 5));
        let produced = match &st.action {
            Action::Input { token, amount } => {
                s.input(st.chain, token, self.amount(amount))?;
                None
            }
            Action::Borrow {
                protocol,
                token,
                amount,
            } => Some(s.borrow(protocol, token, self.amount(amount), loan)?),
            Action::Repay {
                protocol,
                token,
                amount,
            } => {
                s.repay(protocol, token, self.amount(amount))?;
                None
            }
            Action::Swap {
                exchange,
                from,
                amount,
                to,
                min,
            } => Some(s.swap(exchange, from, self.amount(amount), to, *min)?),
            Action::Deposit {
                protocol,
                token,
                amount,
            } => {
                s.deposit(protocol, token, self.amount(amount))?;
                None
            }
            Action::Withdraw {
                protocol,
                token,
                amount,
            } => Some(s.withdraw(protocol, token, self.amount(amount))?),
            Action::Bridge {
                token,
                amount,
                to,
                via,
            } => Some(s.bridge(token, self.amount(amount), to, *via)?),
        };
        if let (Some(name), Some(v)) = (st.bind, produced) {
            self.vars.insert(name, v);
        }
        Ok(())
    }
}

/// Runs `stmts` through a session the way `lowering` would, and finishes.
pub fn run(
    world: World,
    name: &str,
    stmts: &[Stmt],
    constraints: &Constraints,
    lowering: Lowering,
) -> (Report, World) {
    let mut s = Session::new(world.clone(), name);
    let _ = drive(&mut s, &world, stmts, lowering);
    let report = s.finish(constraints);
    (report, s.into_world())
}

/// Drives the session; stops at the first revert (the session remembers it).
pub fn drive(
    s: &mut Session,
    world: &World,
    stmts: &[Stmt],
    lowering: Lowering,
) -> Result<(), Revert> {
    let mut r = Runner {
        vars: BTreeMap::new(),
    };
    match lowering {
        Lowering::Unoptimised => {
            for st in stmts {
                if let Action::Input { .. } = st.action {
                    r.act(s, st, LoanKind::Ordinary)?;
                    continue;
                }
                if let Some((token, spender)) = st.action.spends(st.chain, world) {
                    s.at(Loc::new(st.line, 5));
                    s.begin_transaction(st.chain, Sender::Wallet)?;
                    s.approve(token, spender.spender())?;
                    s.end_transaction()?;
                }
                s.begin_transaction(st.chain, Sender::Wallet)?;
                r.act(s, st, LoanKind::Ordinary)?;
                s.end_transaction()?;
            }
        }
        Lowering::Executor => {
            let mut granted: BTreeSet<(&'static str, &'static str, SpenderName)> = BTreeSet::new();
            let mut i = 0;
            while i < stmts.len() {
                let chain = stmts[i].chain;
                let mut j = i;
                while j < stmts.len() && stmts[j].chain == chain {
                    j += 1;
                }
                let run = &stmts[i..j];
                s.at(Loc::new(run[0].line, 5));
                s.begin_transaction(chain, Sender::Executor)?;
                for (k, st) in run.iter().enumerate() {
                    let loan = match &st.action {
                        Action::Borrow {
                            protocol, token, ..
                        } => {
                            let repaid_here = run[k + 1..].iter().any(|later| {
                                matches!(&later.action, Action::Repay { protocol: p, token: t, .. } if p == protocol && t == token)
                            });
                            let flash = world
                                .registry
                                .protocol(protocol)
                                .is_some_and(|p| p.flash_loans);
                            if repaid_here && flash {
                                LoanKind::Flash
                            } else {
                                LoanKind::Ordinary
                            }
                        }
                        _ => LoanKind::Ordinary,
                    };
                    // A direct pair swap moves the executor's own tokens with
                    // `transfer`: it needs no allowance (docs/gas.md).
                    let direct_swap = matches!(st.action, Action::Swap { .. });
                    if let Some((token, spender)) =
                        st.action.spends(chain, world).filter(|_| !direct_swap)
                    {
                        if granted.insert((chain, token, spender)) {
                            s.at(Loc::new(st.line, 5));
                            s.approve(token, spender.spender())?;
                        }
                    }
                    r.act(s, st, loan)?;
                }
                s.end_transaction()?;
                i = j;
            }
        }
    }
    Ok(())
}

/// The three examples of the issue, on the default world.
pub fn examples(world: &World) -> Vec<(&'static str, Vec<Stmt>, Constraints)> {
    use mesh_runtime::{Constraint, Invariant};
    let u = |t: &str, a: &str| units(world, t, a);
    vec![
        (
            "polygon_arbitrum_arbitrage",
            vec![
                stmt(
                    "polygon",
                    2,
                    Some("loan"),
                    Action::Borrow {
                        protocol: "aave",
                        token: "WETH",
                        amount: Amount::Lit(u("WETH", "100")),
                    },
                ),
                stmt(
                    "polygon",
                    3,
                    Some("there"),
                    Action::Bridge {
                        token: "WETH",
                        amount: Amount::Var("loan"),
                        to: "arbitrum",
                        via: None,
                    },
                ),
                stmt(
                    "arbitrum",
                    5,
                    Some("usdc"),
                    Action::Swap {
                        exchange: "uniswap_v2",
                        from: "WETH",
                        amount: Amount::Var("there"),
                        to: "USDC",
                        min: u("USDC", "190000"),
                    },
                ),
                stmt(
                    "arbitrum",
                    6,
                    Some("weth"),
                    Action::Swap {
                        exchange: "sushiswap",
                        from: "USDC",
                        amount: Amount::Var("usdc"),
                        to: "WETH",
                        min: u("WETH", "100.2"),
                    },
                ),
                stmt(
                    "arbitrum",
                    7,
                    None,
                    Action::Bridge {
                        token: "WETH",
                        amount: Amount::Var("weth"),
                        to: "polygon",
                        via: None,
                    },
                ),
                stmt(
                    "polygon",
                    9,
                    None,
                    Action::Repay {
                        protocol: "aave",
                        token: "WETH",
                        amount: Amount::Lit(u("WETH", "100")),
                    },
                ),
            ],
            Constraints::new()
                .with(Constraint::Deadline(20), Loc::new(11, 5))
                .with(
                    Constraint::Invariant(Invariant::ConstantProduct),
                    Loc::new(12, 5),
                ),
        ),
        (
            "simple_arbitrage",
            vec![
                stmt(
                    "polygon",
                    2,
                    None,
                    Action::Borrow {
                        protocol: "aave",
                        token: "USDC",
                        amount: Amount::Lit(u("USDC", "10000")),
                    },
                ),
                stmt(
                    "polygon",
                    3,
                    None,
                    Action::Swap {
                        exchange: "uniswap_v2",
                        from: "USDC",
                        amount: Amount::Lit(u("USDC", "10000")),
                        to: "WETH",
                        min: u("WETH", "4"),
                    },
                ),
                stmt(
                    "polygon",
                    4,
                    None,
                    Action::Swap {
                        exchange: "sushiswap",
                        from: "WETH",
                        amount: Amount::Lit(u("WETH", "4")),
                        to: "USDC",
                        min: u("USDC", "10100"),
                    },
                ),
                stmt(
                    "polygon",
                    5,
                    None,
                    Action::Repay {
                        protocol: "aave",
                        token: "USDC",
                        amount: Amount::Lit(u("USDC", "10000")),
                    },
                ),
            ],
            Constraints::new()
                .with(Constraint::Deadline(5), Loc::new(7, 5))
                .with(
                    Constraint::MinBalance {
                        chain: "polygon".into(),
                        token: "USDC".into(),
                        amount: u("USDC", "95"),
                    },
                    Loc::new(8, 5),
                ),
        ),
        (
            "liquidity_migration",
            vec![
                stmt(
                    "polygon",
                    2,
                    None,
                    Action::Withdraw {
                        protocol: "compound",
                        token: "USDC",
                        amount: Amount::Lit(u("USDC", "50000")),
                    },
                ),
                stmt(
                    "polygon",
                    3,
                    None,
                    Action::Withdraw {
                        protocol: "compound",
                        token: "WETH",
                        amount: Amount::Lit(u("WETH", "50")),
                    },
                ),
                stmt(
                    "polygon",
                    4,
                    None,
                    Action::Deposit {
                        protocol: "aave",
                        token: "USDC",
                        amount: Amount::Lit(u("USDC", "50000")),
                    },
                ),
                stmt(
                    "polygon",
                    5,
                    None,
                    Action::Deposit {
                        protocol: "aave",
                        token: "WETH",
                        amount: Amount::Lit(u("WETH", "50")),
                    },
                ),
            ],
            Constraints::new().with(mesh_runtime::Constraint::Deadline(10), Loc::new(7, 5)),
        ),
    ]
}
