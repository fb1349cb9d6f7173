//! All or nothing: random action sequences on random worlds, with a
//! failure injected at every step k in turn — afterwards the world equals
//! the world before, as a value and as a file, byte for byte.

use mesh_runtime::world::Pair;
use mesh_runtime::{BridgeKind, Constraints, LoanKind, Sender, Session, Spender, World};
use proptest::prelude::*;

/// A small deterministic generator (xorshift), so one proptest seed makes
/// one world and one sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A positive amount near `scale` (between a 1/1000 and twice of it).
    fn around(&mut self, scale: u128) -> u128 {
        let permille = 1 + u128::from(self.below(2_000));
        (scale / 1_000).max(1) * permille
    }
}

const CHAINS: [&str; 2] = ["polygon", "arbitrum"];
const TOKENS: [&str; 3] = ["USDC", "WETH", "DAI"];

fn scale(world: &World, token: &str) -> u128 {
    10u128.pow(u32::from(world.registry.token(token).unwrap().decimals))
}

/// The default world with every reserve, liquidity, deposit and wallet
/// balance on polygon and arbitrum scaled at random.
fn random_world(rng: &mut Rng) -> World {
    let mut world = World::default_world();
    for chain in CHAINS {
        for exchange in world.exchanges.get_mut(chain).unwrap().values_mut() {
            for pair in exchange.pairs.values_mut() {
                let (a, b) = (
                    1 + u128::from(rng.below(200)),
                    1 + u128::from(rng.below(200)),
                );
                *pair = Pair {
                    reserve0: pair.reserve0 / 100 * a + 1,
                    reserve1: pair.reserve1 / 100 * b + 1,
                };
            }
        }
        for lender in world.lenders.get_mut(chain).unwrap().values_mut() {
            for v in lender.liquidity.values_mut() {
                *v = *v / 100 * u128::from(rng.below(200));
            }
            for token in TOKENS {
                if rng.below(2) == 0 {
                    let s = 10u128.pow(if token == "USDC" { 6 } else { 18 });
                    let amount = s * u128::from(rng.below(5_000));
                    // A position that owes something stays healthy (a world
                    // file holds none that could be liquidated): its
                    // collateral only grows.
                    let before = lender.deposits.get(token).copied().unwrap_or(0);
                    if lender.debts.is_empty() || amount > before {
                        lender.deposits.insert(token.to_string(), amount);
                    }
                }
            }
        }
        for v in world.wallets.get_mut(chain).unwrap().values_mut() {
            *v = *v / 100 * u128::from(rng.below(200));
        }
    }
    world
}

/// One random step: usually its own executor transaction with the
/// approval it needs; an amount is sometimes more than there is, so some
/// steps fail by themselves.
fn random_step(s: &mut Session, world: &World, rng: &mut Rng) -> Result<(), mesh_runtime::Revert> {
    let chain = *rng.pick(&CHAINS);
    let token = *rng.pick(&TOKENS);
    let held = s.holding(chain, token)?;
    let amount = if held > 0 && rng.below(4) != 0 {
        held / (1 + u128::from(rng.below(3)))
    } else {
        rng.around(scale(world, token) * if token == "WETH" { 1 } else { 1_000 })
    };
    let lender = *rng.pick(&["aave", "compound"]);
    let exchange = *rng.pick(&["uniswap_v2", "sushiswap"]);
    // Mostly steps that can succeed: with nothing held, draw funds first.
    let wild = rng.below(8) == 0;
    let op = if held == 0 && !wild {
        *rng.pick(&[0, 1, 5])
    } else {
        rng.below(8)
    };
    let wallet = world.wallet_balance(chain, token);
    let amount = if op == 0 && !wild && wallet > 0 {
        (wallet / 4).max(1).min(amount.max(1))
    } else {
        amount
    };
    match op {
        0 => s.input(chain, token, amount),
        1 => {
            s.begin_transaction(chain, Sender::Executor)?;
            s.borrow(lender, token, amount, LoanKind::Ordinary)?;
            s.end_transaction()
        }
        2 => {
            s.begin_transaction(chain, Sender::Executor)?;
            s.approve(token, Spender::Protocol(lender))?;
            let owed = s
                .obligations()
                .into_iter()
                .find(|o| o.0 == chain && o.1 == lender && o.2 == token)
                .map_or(amount, |o| o.3);
            s.repay(lender, token, owed.min(amount))?;
            s.end_transaction()
        }
        3 => {
            let other = *rng.pick(&TOKENS);
            let other = if other == token { "WETH" } else { other };
            let other = if other == token { "USDC" } else { other };
            s.begin_transaction(chain, Sender::Wallet)?;
            s.approve(token, Spender::Protocol(exchange))?;
            s.end_transaction()?;
            s.begin_transaction(chain, Sender::Wallet)?;
            s.swap(exchange, token, amount, other, 0)?;
            s.end_transaction()
        }
        4 => {
            s.begin_transaction(chain, Sender::Executor)?;
            s.approve(token, Spender::Protocol(lender))?;
            s.deposit(lender, token, amount)?;
            s.end_transaction()
        }
        5 => {
            s.begin_transaction(chain, Sender::Executor)?;
            s.withdraw(lender, token, amount)?;
            s.end_transaction()
        }
        6 => {
            let to = if chain == "polygon" {
                "arbitrum"
            } else {
                "polygon"
            };
            let kind = *rng.pick(&BridgeKind::ALL);
            s.begin_transaction(chain, Sender::Executor)?;
            s.approve(token, Spender::Bridge(kind))?;
            s.bridge(token, amount, to, Some(kind))?;
            s.end_transaction()
        }
        _ => {
            s.begin_transaction(chain, Sender::Executor)?;
            let amount = if wild { amount } else { held.min(amount) };
            s.borrow("aave", token, amount, LoanKind::Flash)?;
            s.approve(token, Spender::Protocol("aave"))?;
            let owed = amount + mesh_runtime::maths::flash_premium(amount, 5).unwrap();
            if s.holding(chain, token)? >= owed {
                s.repay("aave", token, amount)?;
            }
            s.end_transaction()
        }
    }
}

/// Runs `steps` steps from `seed`, injecting a failure before step `fail_at`
/// (if any). Returns the finished session and whether it committed.
fn finished(world: &World, seed: u64, steps: usize, fail_at: Option<usize>) -> (Session, bool) {
    let mut rng = Rng(seed | 1);
    let mut s = Session::new(world.clone(), "random");
    for k in 0..steps {
        if fail_at == Some(k) {
            let _ = s.revert("injected failure");
            break;
        }
        if random_step(&mut s, world, &mut rng).is_err() {
            break;
        }
    }
    // Repay what can be repaid, so that some sequences commit.
    if fail_at.is_none() {
        for (chain, protocol, token, principal, _) in s.obligations() {
            let _ = s.begin_transaction(&chain, Sender::Executor);
            let _ = s.approve(&token, Spender::Protocol(&protocol));
            let _ = s.repay(&protocol, &token, principal);
            let _ = s.end_transaction();
        }
    }
    let report = s.finish(&Constraints::new());
    (s, report.committed())
}

/// As [`finished`]: the world after finish, and whether it committed.
fn run(world: &World, seed: u64, steps: usize, fail_at: Option<usize>) -> (World, bool) {
    let (s, committed) = finished(world, seed, steps, fail_at);
    (s.into_world(), committed)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn a_failure_at_any_step_leaves_the_world_as_it_was(world_seed in any::<u64>(), seed in any::<u64>(), steps in 1usize..10) {
        let world = random_world(&mut Rng(world_seed | 1));
        let before_text = world.to_toml_string();
        let (_, committed) = run(&world, seed, steps, None);
        for k in 0..steps {
            let (after, ok) = run(&world, seed, steps, Some(k));
            prop_assert!(!ok, "a failure was injected");
            prop_assert_eq!(&after, &world);
            prop_assert_eq!(after.to_toml_string(), before_text.clone());
        }
        // Without an injected failure the run commits or reverts by itself;
        // either way a second identical run does exactly the same.
        let (a, ca) = run(&world, seed, steps, None);
        prop_assert_eq!(ca, committed);
        if !ca {
            prop_assert_eq!(&a, &world);
        }
        let (b, _) = run(&world, seed, steps, None);
        prop_assert_eq!(a, b);
        // Rewinding a finished session, commit included, restores the world.
        let back = finished(&world, seed, steps, None).0.rewind();
        prop_assert!(back.is_ok(), "every change rewinds");
        let back = back.unwrap_or_else(|_| world.clone());
        prop_assert_eq!(back.to_toml_string(), before_text.clone());
        prop_assert_eq!(back, world);
    }
}

/// `text` in its owner's layout: a comment after every `every`-th line
/// (comments may stand on their own line anywhere, arrays included), and
/// each table's header preceded by a note; the comments, in order.
fn annotated(text: &str, every: usize) -> (String, Vec<String>) {
    let (mut out, mut comments) = (String::new(), Vec::new());
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('[') {
            let note = format!("# the table {line}, by hand");
            out.push_str(&note);
            out.push('\n');
            comments.push(note);
        }
        out.push_str(line);
        out.push('\n');
        if i % every == every - 1 {
            let note = format!("# note {i}");
            out.push_str(&note);
            out.push('\n');
            comments.push(note);
        }
    }
    (out, comments)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// A committed run written into a file of the user's own layout: the
    /// file then parses to exactly the committed state (with the file's own
    /// registry) and keeps every comment, in order.
    #[test]
    fn a_commit_into_a_commented_file_says_exactly_the_committed_world(
        world_seed in any::<u64>(),
        seed in any::<u64>(),
        steps in 1usize..10,
        every in 2usize..9,
    ) {
        let world = random_world(&mut Rng(world_seed | 1));
        let (text, comments) = annotated(&world.to_toml_string(), every);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("world.toml");
        std::fs::write(&path, &text).unwrap();
        let locked = mesh_runtime::world::LockedWorld::open(&path, std::time::Duration::from_secs(5)).unwrap();
        prop_assert_eq!(locked.world(), &world);
        let (s, committed) = finished(locked.world(), seed, steps, None);
        if committed {
            locked.commit(s.world()).unwrap();
        } else {
            drop(locked);
        }
        let written = std::fs::read_to_string(&path).unwrap();
        let reread = World::parse(&written, "world.toml").unwrap();
        prop_assert_eq!(&reread, s.world());
        let kept: Vec<&str> = written.lines().filter(|l| l.starts_with('#')).collect();
        // The file's own header comment, then every note.
        prop_assert_eq!(&kept[2..], &comments.iter().map(String::as_str).collect::<Vec<_>>()[..]);
        if !committed {
            prop_assert_eq!(written, text);
        }
    }
}

/// Some random sequences must commit, or the property above proves little.
#[test]
fn random_sequences_sometimes_commit() {
    let world = random_world(&mut Rng(7));
    let committed = (1..200u64)
        .filter(|&seed| run(&world, seed * 7919, 4, None).1)
        .count();
    assert!(committed > 30, "only {committed} of 199 committed");
}
