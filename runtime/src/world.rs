//! The world a bundle runs against: the registry (its static part) plus the
//! state — the oracle's prices, lenders' liquidity and risk parameters and
//! the user's positions there (deposits and debts), exchange pairs and
//! their reserves, and the user's wallet on every chain.
//!
//! Worlds are read from and written to world files (`docs/world.md`):
//!
//! - `file.rs`: what the reader and writers share — errors, names, bounds,
//!   reading a file from disk;
//! - `parse/`: the reader, one function per section; `key_path.rs` names
//!   the key of a TOML syntax error;
//! - `write.rs`: the canonical writer (write → parse → write is
//!   byte-identical);
//! - `edit.rs`: a commit's writer, which keeps the user's layout;
//! - `lock.rs` and `commit.rs`: committing to a world file under its lock,
//!   all or nothing, durably.

mod commit;
mod edit;
mod file;
mod key_path;
mod lock;
mod parse;
mod write;

pub use commit::{CommitError, LockedWorld, RunWorld, DEFAULT_LOCK_WAIT};
pub use file::{
    WorldError, FORMAT, MAX_DELAY_BLOCKS, MAX_FILE_BYTES, MAX_ROUTE_GAS, RESERVED_WORDS,
};
pub use lock::Owner as LockOwner;

use std::collections::BTreeMap;
use std::path::Path;

use crate::registry::{pair_tokens, Registry};
pub use mesh_core::health::RiskParams;

/// The default world, embedded (figures and their sources: docs/world.md).
const DEFAULT_WORLD: &str = include_str!("default_world.toml");

/// A lending protocol's state on one chain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lender {
    /// What can be borrowed or withdrawn now, per token, in base units.
    pub liquidity: BTreeMap<String, u128>,
    /// The user's deposits, per token, in base units: the collateral of the
    /// user's position at this lender.
    pub deposits: BTreeMap<String, u128>,
    /// What the user owes this lender, per token, in base units: the debt
    /// of the position, which outlives a bundle.
    pub debts: BTreeMap<String, u128>,
    /// The lender's loan-to-value and liquidation threshold per token; a
    /// token it lists none for is no collateral here.
    pub risk: BTreeMap<String, RiskParams>,
}

/// The reserves of one constant-product pair. `token0` sorts before `token1`
/// (by symbol, as Uniswap sorts by address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pair {
    pub reserve0: u128,
    pub reserve1: u128,
}

/// An exchange's pairs on one chain, keyed by `(token0, token1)`, sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exchange {
    pub pairs: BTreeMap<(String, String), Pair>,
}

impl Exchange {
    /// The pair's key for two tokens in either order.
    pub fn pair_key(a: &str, b: &str) -> (String, String) {
        let (token0, token1) = pair_tokens(a, b);
        (token0.to_string(), token1.to_string())
    }

    /// The pair of two tokens in either order, if it exists. A few pairs
    /// are scanned (no key is built); many are searched by key.
    pub fn pair(&self, a: &str, b: &str) -> Option<&Pair> {
        if self.pairs.len() > Exchange::SCAN {
            return self.pairs.get(&Exchange::pair_key(a, b));
        }
        let (lo, hi) = pair_tokens(a, b);
        self.pairs
            .iter()
            .find(|((t0, t1), _)| t0 == lo && t1 == hi)
            .map(|(_, p)| p)
    }

    /// The pair of two tokens in either order, to change.
    pub fn pair_mut(&mut self, a: &str, b: &str) -> Option<&mut Pair> {
        if self.pairs.len() > Exchange::SCAN {
            return self.pairs.get_mut(&Exchange::pair_key(a, b));
        }
        let (lo, hi) = pair_tokens(a, b);
        self.pairs
            .iter_mut()
            .find(|((t0, t1), _)| t0 == lo && t1 == hi)
            .map(|(_, p)| p)
    }

    /// Up to this many pairs, a lookup scans them rather than building a key.
    const SCAN: usize = 16;

    /// `(reserve of token_in, reserve of token_out)`, if the pair exists.
    pub fn reserves(&self, token_in: &str, token_out: &str) -> Option<(u128, u128)> {
        let pair = self.pair(token_in, token_out)?;
        if token_in <= token_out {
            Some((pair.reserve0, pair.reserve1))
        } else {
            Some((pair.reserve1, pair.reserve0))
        }
    }
}

/// The registry and the state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct World {
    pub registry: Registry,
    /// chain → lender protocol → state.
    pub lenders: BTreeMap<String, BTreeMap<String, Lender>>,
    /// chain → exchange protocol → pairs.
    pub exchanges: BTreeMap<String, BTreeMap<String, Exchange>>,
    /// chain → token → the user's wallet balance, in base units.
    pub wallets: BTreeMap<String, BTreeMap<String, u128>>,
    /// token → the oracle's price of one whole token, in units of 10⁻⁸ USD
    /// (Aave V3's base currency), the same on every chain.
    pub oracle: BTreeMap<String, u128>,
}

impl World {
    /// A world with this registry and no state.
    pub fn empty(registry: Registry) -> World {
        let mut world = World {
            registry,
            lenders: BTreeMap::new(),
            exchanges: BTreeMap::new(),
            wallets: BTreeMap::new(),
            oracle: BTreeMap::new(),
        };
        world.normalize();
        world
    }

    /// The embedded default world: the default registry, realistic prices
    /// and liquidity on all five chains, and a funded wallet.
    pub fn default_world() -> World {
        World::parse(DEFAULT_WORLD, "<default world>")
            .expect("the embedded default world parses (tested)")
    }

    /// The embedded default world's file text, as `meshc world` prints it.
    pub fn default_world_text() -> &'static str {
        DEFAULT_WORLD
    }

    /// Parses a world file; `file` names it in error messages. The first
    /// error in the file, if any ([`World::parse_all`] gives them all).
    pub fn parse(text: &str, file: &str) -> Result<World, WorldError> {
        World::parse_all(text, file).map_err(first)
    }

    /// Parses a world file; on failure, every error found, in file order.
    pub fn parse_all(text: &str, file: &str) -> Result<World, Vec<WorldError>> {
        parse::parse(text, file)
    }

    /// Reads and parses a world file: its first error, if any.
    pub fn load(path: &Path) -> Result<World, WorldError> {
        World::load_all(path).map_err(first)
    }

    /// Reads and parses a world file: every error, if any. A file that is
    /// not a regular file, or larger than [`MAX_FILE_BYTES`], is refused
    /// without reading it.
    pub fn load_all(path: &Path) -> Result<World, Vec<WorldError>> {
        let read = file::read(path).map_err(|e| vec![e])?;
        World::parse_all(&read.text, &path.display().to_string())
    }

    /// What a command prints for a world file it cannot use, one line each:
    /// every error as `error: FILE:LINE:COLUMN: KEY: MESSAGE`, then, when
    /// there are several, `FILE: N errors`. `meshc world --check`, every
    /// command that takes `--world` and a built executable report a broken
    /// world alike, and never only its first error.
    pub fn error_lines(errors: &[WorldError]) -> Vec<String> {
        let mut lines: Vec<String> = errors.iter().map(|e| format!("error: {e}")).collect();
        if let [first, _, ..] = errors {
            lines.push(format!(
                "{}: {} errors",
                first.file,
                crate::amount::display_count(errors.len() as u64)
            ));
        }
        lines
    }

    /// The world file text: deterministic, every table sorted.
    pub fn to_toml_string(&self) -> String {
        write::write(self)
    }

    /// Writes the world, in canonical form, to `path` (made if absent),
    /// replacing whatever it held, under the file's lock and as a commit
    /// writes (docs/runtime.md): a crash at any moment leaves either the
    /// old file or the new one, and the new one is on disk when this
    /// returns. A stale lock it removes is reported on standard error.
    /// (To commit a bundle's changes into a user's file, keeping its
    /// layout, use [`LockedWorld`].)
    pub fn save_atomic(&self, path: &Path) -> Result<(), CommitError> {
        for notice in commit::save(self, path, DEFAULT_LOCK_WAIT)? {
            eprintln!("warning: {notice}");
        }
        Ok(())
    }

    /// Sorts the registry's lists (chains, tokens, protocols by name; routes
    /// by from, to, kind; every chain list by name), the order the world
    /// file is written in, so that a parsed world equals the one written.
    pub fn normalize(&mut self) {
        let r = &mut self.registry;
        r.chains.sort_by(|a, b| a.name.cmp(&b.name));
        r.tokens.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        for t in &mut r.tokens {
            t.chains.sort();
            t.chains.dedup();
        }
        r.protocols.sort_by(|a, b| a.name.cmp(&b.name));
        for p in &mut r.protocols {
            p.chains.sort();
            p.chains.dedup();
        }
        r.routes
            .sort_by(|a, b| (&a.from, &a.to, a.kind).cmp(&(&b.from, &b.to, b.kind)));
    }

    /// The user's wallet balance of `token` on `chain` (zero if none).
    pub fn wallet_balance(&self, chain: &str, token: &str) -> u128 {
        self.wallets
            .get(chain)
            .and_then(|w| w.get(token))
            .copied()
            .unwrap_or(0)
    }

    pub fn lender(&self, chain: &str, protocol: &str) -> Option<&Lender> {
        self.lenders.get(chain)?.get(protocol)
    }

    /// The oracle's price of `token` (units of 10⁻⁸ USD), if it has one.
    pub fn price(&self, token: &str) -> Option<u128> {
        self.oracle.get(token).copied()
    }

    pub fn exchange(&self, chain: &str, protocol: &str) -> Option<&Exchange> {
        self.exchanges.get(chain)?.get(protocol)
    }

    /// Every pair of every exchange: `(chain, exchange, token0, token1)`.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str, &str, &str)> {
        self.exchanges.iter().flat_map(|(chain, exchanges)| {
            exchanges.iter().flat_map(move |(exchange, state)| {
                state
                    .pairs
                    .keys()
                    .map(move |(a, b)| (chain.as_str(), exchange.as_str(), a.as_str(), b.as_str()))
            })
        })
    }
}

/// The first of a file's errors (there is at least one).
fn first(mut errors: Vec<WorldError>) -> WorldError {
    if errors.is_empty() {
        return WorldError {
            file: String::new(),
            line: 0,
            column: 0,
            key: String::new(),
            message: "the world file has an error".to_string(),
        };
    }
    errors.swap_remove(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// The embedded default world is stored in canonical form, so that
    /// `meshc world` prints exactly the file. `MESH_BLESS=1` rewrites it.
    #[test]
    fn default_world_file_is_canonical() {
        let world = World::default_world();
        let canonical = world.to_toml_string();
        if std::env::var_os("MESH_BLESS").is_some() && canonical != DEFAULT_WORLD {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/default_world.toml");
            fs::write(path, &canonical).expect("bless the default world");
            return;
        }
        assert_eq!(
            canonical, DEFAULT_WORLD,
            "run with MESH_BLESS=1 to rewrite it"
        );
    }

    /// One error is one line; several are each a line, then their count.
    #[test]
    fn error_lines_give_every_error_then_the_count() {
        let text = World::default_world_text()
            .replacen("decimals = 6,", "decimals = 60,", 1)
            .replacen("decimals = 8,", "decimals = 80,", 1);
        let errors = World::parse_all(&text, "w.toml").expect_err("two errors");
        let lines = World::error_lines(&errors);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].starts_with("error: w.toml:"), "{}", lines[0]);
        assert!(
            lines[0].ends_with("decimals: must be at most 30"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].ends_with("decimals: must be at most 30"),
            "{}",
            lines[1]
        );
        assert_eq!(lines[2], "w.toml: 2 errors");
        assert_eq!(World::error_lines(&errors[..1]), lines[..1]);
        assert!(World::error_lines(&[]).is_empty());
    }

    #[test]
    fn default_world_has_the_default_registry_and_pepe() {
        // The default world is the default registry (docs/registry.md) plus
        // one token, PEPE, that `examples/custom_token.mesh` declares.
        let mut expected = World::empty(Registry::default_registry());
        let pepe = "0x6982508145454Ce325dDbE47a25d4ec3d2311933";
        assert!(expected
            .registry
            .declare_token("PEPE", 18, Some(pepe))
            .is_ok());
        for token in &mut expected.registry.tokens {
            if token.symbol == "PEPE" {
                token.chains = vec!["base".to_string(), "ethereum".to_string()];
            }
        }
        expected.normalize();
        assert_eq!(World::default_world().registry, expected.registry);
    }

    #[test]
    fn write_parse_write_is_byte_identical() {
        let world = World::default_world();
        let text = world.to_toml_string();
        let again = World::parse(&text, "again.toml").expect("parses");
        assert_eq!(again, world);
        assert_eq!(again.to_toml_string(), text);
    }

    #[test]
    fn save_atomic_replaces_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("world.toml");
        let mut world = World::default_world();
        world.save_atomic(&path).expect("save");
        assert_eq!(World::load(&path).expect("load"), world);
        world
            .wallets
            .get_mut("base")
            .expect("base")
            .insert("WETH".into(), 1);
        world.save_atomic(&path).expect("save again");
        assert_eq!(World::load(&path).expect("load"), world);
        let leftovers: Vec<_> = fs::read_dir(dir.path()).expect("dir").collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }
}
