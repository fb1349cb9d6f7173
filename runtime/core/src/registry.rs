//! The registry: the static part of the world that both the checker and the
//! runtime read — chains, tokens and their decimals, protocols and what they
//! can do, and bridge routes with their delay, gas, fee and trust.
//!
//! The default registry is the language's; `docs/registry.md` lists every
//! figure with its source. A world file may replace it, and `token`
//! declarations in a source file extend it.

use std::cmp::Reverse;
use std::fmt;

use crate::maths::bps_ceil;

/// A chain the bundle can act on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChainInfo {
    pub name: String,
    /// The EIP-155 chain id, for reports and addresses.
    pub chain_id: u64,
    /// The chain's native coin: a token of the registry on this chain,
    /// held as an account's balance rather than by a token contract (ETH
    /// on Ethereum and the rollups, POL on Polygon PoS). No protocol of the
    /// model takes it: each takes ERC-20 tokens only.
    pub native: Option<String>,
    /// The ERC-20 token that wraps the native coin one for one (WETH9's
    /// `deposit` and `withdraw`), where the registry names one: what
    /// `wrap` gives and `unwrap` takes.
    pub wrapped_native: Option<String>,
    /// How often the chain makes a block, in milliseconds: what a deadline
    /// in seconds counts each transaction of this chain as, and each block
    /// of a bridge's delay from it. `None`: not known, and such a deadline
    /// cannot be judged on this chain.
    pub block_time_ms: Option<u64>,
    /// What a unit of gas costs on the chain, in base units of its native
    /// coin (wei for ETH): what a report prices the chain's gas at. `None`:
    /// not known, and the chain's gas has no price.
    pub gas_price: Option<u128>,
}

impl ChainInfo {
    /// A chain with no native coin named.
    pub fn new(name: &str, chain_id: u64) -> ChainInfo {
        ChainInfo {
            name: name.to_string(),
            chain_id,
            ..ChainInfo::default()
        }
    }
}

/// A token: its symbol, its decimals, and where it exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    pub symbol: String,
    /// Base units per whole token are `10^decimals`.
    pub decimals: u8,
    pub address: Option<String>,
    /// The chains on which the token exists, by name.
    pub chains: Vec<String>,
}

/// The native coin of the chains that have one in the registry. It is sent
/// along with a call, not pulled from the sender with ERC-20
/// `transferFrom`: it has no `approve`, and nothing needs an approval to
/// take it.
pub const NATIVE_COIN: &str = "ETH";

/// Whether `symbol` is the chains' native coin ([`NATIVE_COIN`]), which is
/// never approved.
pub fn is_native_coin(symbol: &str) -> bool {
    symbol == NATIVE_COIN
}

/// The contract an ERC-20 token is, where its gas differs
/// ([`Registry::token_contract`]): the wrapped native token's `WETH9`,
/// whose `transferFrom` leaves a maximum allowance as it is, or the
/// `MintableERC20` every other token is, which writes it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenContract {
    MintableErc20,
    Weth9,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProtocolKind {
    /// Lends (`borrow`/`repay`) and takes deposits (`deposit`/`withdraw`).
    Lender,
    /// A constant-product exchange (`swap`).
    Exchange,
}

impl ProtocolKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolKind::Lender => "lender",
            ProtocolKind::Exchange => "exchange",
        }
    }

    /// "a lender", "an exchange", for messages.
    pub fn with_article(self) -> &'static str {
        match self {
            ProtocolKind::Lender => "a lender",
            ProtocolKind::Exchange => "an exchange",
        }
    }
}

impl fmt::Display for ProtocolKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A protocol: a lender or an exchange, deployed on some chains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolInfo {
    pub name: String,
    pub kind: ProtocolKind,
    pub chains: Vec<String>,
    /// Lenders: the premium owed on every loan, in basis points of the
    /// principal, rounded up (never less than Aave V3's `percentMul`, which
    /// rounds half up). Zero for exchanges.
    pub premium_bps: u32,
    /// Lenders: whether a loan repaid in the same transaction can be taken as
    /// a flash loan (no debt position opened).
    pub flash_loans: bool,
    /// Exchanges: the swap fee in basis points (30 for Uniswap V2). Zero for
    /// lenders.
    pub fee_bps: u32,
}

/// The kinds of bridge of the mathematical model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BridgeKind {
    /// Hash time-locked: slow, trustless.
    Htlb,
    /// zk-SNARK proof: fast, dear.
    Zk,
    /// Threshold signatures: trusts a signer set.
    Threshold,
}

impl BridgeKind {
    pub const ALL: [BridgeKind; 3] = [BridgeKind::Htlb, BridgeKind::Zk, BridgeKind::Threshold];

    pub fn as_str(self) -> &'static str {
        match self {
            BridgeKind::Htlb => "htlb",
            BridgeKind::Zk => "zk",
            BridgeKind::Threshold => "threshold",
        }
    }

    pub fn from_name(name: &str) -> Option<BridgeKind> {
        BridgeKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The trust level a route of this kind offers in the default world,
    /// and the level `min_security: KIND` demands: 3 trustless (hash time
    /// locks), 2 trusts a proof system (zk), 1 trusts a signer set
    /// (threshold). A world file sets each route's own level.
    pub fn trust_level(self) -> u8 {
        match self {
            BridgeKind::Htlb => 3,
            BridgeKind::Zk => 2,
            BridgeKind::Threshold => 1,
        }
    }
}

impl fmt::Display for BridgeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One bridge route: a kind of bridge serving one ordered pair of chains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteInfo {
    pub from: String,
    pub to: String,
    pub kind: BridgeKind,
    /// Blocks between the sending transaction and the funds' arrival.
    pub delay_blocks: u64,
    /// Gas of one transfer on this route, charged on the sending chain.
    pub gas: u64,
    /// Fee in basis points of the amount sent, rounded up; the rest arrives.
    pub fee_bps: u32,
    /// Trust level: 3 trustless, 2 trusts a proof system, 1 trusts a signer set.
    pub security: u8,
}

impl RouteInfo {
    /// The fee charged on `amount`, rounded up, or `None` on overflow.
    pub fn fee_on(&self, amount: u128) -> Option<u128> {
        bps_ceil(amount, self.fee_bps)
    }

    /// The optimiser's order of preference among routes it may take (the
    /// least first): less gas, a shorter delay, higher security, the kind.
    pub fn preference(&self) -> (u64, u64, Reverse<u8>, BridgeKind) {
        (
            self.gas,
            self.delay_blocks,
            Reverse(self.security),
            self.kind,
        )
    }
}

/// The two tokens of a constant-product pair in the pair's order: `token0`
/// sorts before `token1` (by symbol, as Uniswap V2 sorts by address).
pub fn pair_tokens<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// A chain of a registry, by its index in `Registry::chains`: what a name
/// resolves to once, so that later uses compare numbers, not texts. An id
/// means something only for the registry that gave it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainId(u32);

/// A token of a registry, by its index in `Registry::tokens`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenId(u32);

/// A protocol of a registry, by its index in `Registry::protocols`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProtocolId(u32);

macro_rules! id_index {
    ($($id:ident),*) => {$(
        impl $id {
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}
id_index!(ChainId, TokenId, ProtocolId);

/// The index of the first item that matches, if it fits an id.
fn position<T>(items: &[T], matches: impl Fn(&T) -> bool) -> Option<u32> {
    items
        .iter()
        .position(matches)
        .and_then(|i| u32::try_from(i).ok())
}

/// A `token SYMBOL decimals N [at ADDRESS]` declaration of a source file,
/// which extends the registry a bundle is checked and run against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenDeclaration {
    pub symbol: String,
    pub decimals: u32,
    pub address: Option<String>,
}

/// Why a token declaration could not extend the registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryError {
    /// The symbol is already known with other decimals.
    ConflictingDecimals { symbol: String, existing: u8 },
    /// Decimals above what exact `u128` amounts can carry usefully.
    TooManyDecimals { symbol: String, decimals: u32 },
    /// The symbol is already known at another address.
    ConflictingAddress {
        symbol: String,
        existing: String,
        declared: String,
    },
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::ConflictingDecimals { symbol, existing } => {
                write!(
                    f,
                    "token {symbol} is already known with {existing} decimals"
                )
            }
            RegistryError::TooManyDecimals { symbol, decimals } => write!(
                f,
                "token {symbol} declares {decimals} decimals; at most {MAX_DECIMALS} are supported"
            ),
            RegistryError::ConflictingAddress {
                symbol,
                existing,
                declared,
            } => write!(
                f,
                "token {symbol} is already known at {existing}, not at {declared}"
            ),
        }
    }
}

impl std::error::Error for RegistryError {}

/// The most decimals a token may have: with 30, amounts of up to about
/// 340 million whole tokens still fit in `u128` base units.
pub const MAX_DECIMALS: u32 = 30;

/// Chains, tokens, protocols and bridge routes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registry {
    pub chains: Vec<ChainInfo>,
    pub tokens: Vec<TokenInfo>,
    pub protocols: Vec<ProtocolInfo>,
    pub routes: Vec<RouteInfo>,
}

impl Registry {
    /// The default registry: the language's chains, tokens, protocols and
    /// routes (figures and sources in docs/registry.md).
    pub fn default_registry() -> Registry {
        // Each chain's native coin, and the token that wraps it where the
        // registry has one: WETH9 wraps ether on Ethereum and the three
        // rollups; Polygon PoS's native coin is POL, whose wrapper (WPOL)
        // the registry does not list. Block times (docs/registry.md has
        // the sources): Ethereum's 12-second slot, Polygon PoS's 2-second
        // blocks, OP Mainnet's and Base's 2-second `block_time`, Arbitrum
        // One's 250 ms.
        let chain_ids = [
            ("ethereum", 1, "ETH", Some("WETH"), 12_000),
            ("polygon", 137, "POL", None, 2_000),
            ("arbitrum", 42_161, "ETH", Some("WETH"), 250),
            ("optimism", 10, "ETH", Some("WETH"), 2_000),
            ("base", 8_453, "ETH", Some("WETH"), 2_000),
        ];
        let mut chains: Vec<ChainInfo> = chain_ids
            .iter()
            .map(
                |&(name, chain_id, native, wrapped, block_time_ms)| ChainInfo {
                    native: Some(native.to_string()),
                    wrapped_native: wrapped.map(str::to_string),
                    block_time_ms: Some(block_time_ms),
                    ..ChainInfo::new(name, chain_id)
                },
            )
            .collect();
        for chain in &mut chains {
            chain.gas_price = default_gas_price(&chain.name);
        }
        let all_chains: Vec<String> = chains.iter().map(|c| c.name.clone()).collect();

        // ETH is the native token of Ethereum and of the three rollups; on
        // Polygon PoS the native token is POL and ETH exists only as WETH.
        let eth_chains: Vec<String> = ["ethereum", "arbitrum", "optimism", "base"]
            .iter()
            .map(|c| c.to_string())
            .collect();
        let token = |symbol: &str, decimals: u8, chains: &[String]| TokenInfo {
            symbol: symbol.to_string(),
            decimals,
            address: None,
            chains: chains.to_vec(),
        };
        let tokens = vec![
            token("ETH", 18, &eth_chains),
            token("POL", 18, &["polygon".to_string()]),
            token("WETH", 18, &all_chains),
            token("USDC", 6, &all_chains),
            token("USDT", 6, &all_chains),
            token("DAI", 18, &all_chains),
            token("WBTC", 8, &all_chains),
        ];

        let protocols = vec![
            ProtocolInfo {
                name: "aave".to_string(),
                kind: ProtocolKind::Lender,
                chains: all_chains.clone(),
                premium_bps: 5,
                flash_loans: true,
                fee_bps: 0,
            },
            ProtocolInfo {
                name: "compound".to_string(),
                kind: ProtocolKind::Lender,
                chains: all_chains.clone(),
                premium_bps: 0,
                flash_loans: false,
                fee_bps: 0,
            },
            ProtocolInfo {
                name: "uniswap_v2".to_string(),
                kind: ProtocolKind::Exchange,
                chains: all_chains.clone(),
                premium_bps: 0,
                flash_loans: false,
                fee_bps: 30,
            },
            ProtocolInfo {
                name: "sushiswap".to_string(),
                kind: ProtocolKind::Exchange,
                chains: all_chains.clone(),
                premium_bps: 0,
                flash_loans: false,
                fee_bps: 30,
            },
        ];

        // Every ordered pair of distinct chains is served by a hash
        // time-locked and a threshold route; zk routes serve the pairs whose
        // proofs are verified on both sides: Ethereum with each other chain,
        // and Polygon with Arbitrum (the model's own example pair).
        let zk_pairs = [
            ("ethereum", "polygon"),
            ("ethereum", "arbitrum"),
            ("ethereum", "optimism"),
            ("ethereum", "base"),
            ("polygon", "arbitrum"),
        ];
        let mut routes = Vec::new();
        for from in &all_chains {
            for to in &all_chains {
                if from == to {
                    continue;
                }
                let zk_served = zk_pairs
                    .iter()
                    .any(|&(a, b)| (a == from && b == to) || (a == to && b == from));
                for kind in BridgeKind::ALL {
                    if kind == BridgeKind::Zk && !zk_served {
                        continue;
                    }
                    // The measured lock of the project's bridge, less the
                    // base (docs/gas.md): the same bytecode for every kind.
                    let gas = 36_563;
                    let (delay_blocks, fee_bps) = match kind {
                        BridgeKind::Htlb => (5, 5),
                        BridgeKind::Zk => (2, 10),
                        BridgeKind::Threshold => (3, 5),
                    };
                    let security = kind.trust_level();
                    routes.push(RouteInfo {
                        from: from.clone(),
                        to: to.clone(),
                        kind,
                        delay_blocks,
                        gas,
                        fee_bps,
                        security,
                    });
                }
            }
        }

        Registry {
            chains,
            tokens,
            protocols,
            routes,
        }
    }

    /// Every chain with its id, in the registry's order.
    pub fn chains_with_ids(&self) -> impl Iterator<Item = (ChainId, &ChainInfo)> {
        self.chains
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some((ChainId(u32::try_from(i).ok()?), c)))
    }

    /// Every token with its id, in the registry's order.
    pub fn tokens_with_ids(&self) -> impl Iterator<Item = (TokenId, &TokenInfo)> {
        self.tokens
            .iter()
            .enumerate()
            .filter_map(|(i, t)| Some((TokenId(u32::try_from(i).ok()?), t)))
    }

    /// Every protocol with its id, in the registry's order.
    pub fn protocols_with_ids(&self) -> impl Iterator<Item = (ProtocolId, &ProtocolInfo)> {
        self.protocols
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((ProtocolId(u32::try_from(i).ok()?), p)))
    }

    /// The chain named `name`, by index.
    pub fn chain_id(&self, name: &str) -> Option<ChainId> {
        position(&self.chains, |c| c.name == name).map(ChainId)
    }

    /// The token `symbol`, by index.
    pub fn token_id(&self, symbol: &str) -> Option<TokenId> {
        position(&self.tokens, |t| t.symbol == symbol).map(TokenId)
    }

    /// The protocol named `name`, by index.
    pub fn protocol_id(&self, name: &str) -> Option<ProtocolId> {
        position(&self.protocols, |p| p.name == name).map(ProtocolId)
    }

    pub fn chain_at(&self, id: ChainId) -> Option<&ChainInfo> {
        self.chains.get(id.index())
    }

    pub fn token_at(&self, id: TokenId) -> Option<&TokenInfo> {
        self.tokens.get(id.index())
    }

    pub fn protocol_at(&self, id: ProtocolId) -> Option<&ProtocolInfo> {
        self.protocols.get(id.index())
    }

    pub fn chain(&self, name: &str) -> Option<&ChainInfo> {
        self.chains.iter().find(|c| c.name == name)
    }

    pub fn token(&self, symbol: &str) -> Option<&TokenInfo> {
        self.tokens.iter().find(|t| t.symbol == symbol)
    }

    pub fn protocol(&self, name: &str) -> Option<&ProtocolInfo> {
        self.protocols.iter().find(|p| p.name == name)
    }

    /// Whether `symbol` exists on `chain`.
    pub fn token_on_chain(&self, symbol: &str, chain: &str) -> bool {
        self.token(symbol)
            .is_some_and(|t| t.chains.iter().any(|c| c == chain))
    }

    /// The native coin of `chain`, if the registry names one.
    pub fn native_of(&self, chain: &str) -> Option<&str> {
        self.chain(chain)?.native.as_deref()
    }

    /// The token that wraps `chain`'s native coin, if the registry names one.
    pub fn wrapped_native_of(&self, chain: &str) -> Option<&str> {
        self.chain(chain)?.wrapped_native.as_deref()
    }

    /// The contract `symbol` is on `chain`: `WETH9` for the token the
    /// chain names as its wrapped native one, `MintableERC20` for every
    /// other token. The one rule both the EVM deployment (which deploys
    /// each token so) and the gas schedule (whose figures depend on it)
    /// follow.
    pub fn token_contract(&self, chain: &str, symbol: &str) -> TokenContract {
        if self.wrapped_native_of(chain) == Some(symbol) {
            TokenContract::Weth9
        } else {
            TokenContract::MintableErc20
        }
    }

    /// What a unit of gas costs on `chain`, in base units of its native
    /// coin, if known.
    pub fn gas_price(&self, chain: &str) -> Option<u128> {
        self.chain(chain)?.gas_price
    }

    /// How long a block of `chain` takes, in milliseconds, if known.
    pub fn block_time_ms(&self, chain: &str) -> Option<u64> {
        self.chain(chain)?.block_time_ms
    }

    /// Whether `symbol` is the native coin of `chain`.
    pub fn is_native(&self, symbol: &str, chain: &str) -> bool {
        self.native_of(chain) == Some(symbol)
    }

    /// Whether `protocol` is deployed on `chain`.
    pub fn protocol_on_chain(&self, protocol: &str, chain: &str) -> bool {
        self.protocol(protocol)
            .is_some_and(|p| p.chains.iter().any(|c| c == chain))
    }

    /// Every route from `from` to `to`.
    pub fn routes_between<'a>(
        &'a self,
        from: &'a str,
        to: &'a str,
    ) -> impl Iterator<Item = &'a RouteInfo> + 'a {
        self.routes
            .iter()
            .filter(move |r| r.from == from && r.to == to)
    }

    /// The route of `kind` from `from` to `to`, if one serves that pair.
    pub fn route(&self, from: &str, to: &str, kind: BridgeKind) -> Option<&RouteInfo> {
        self.routes
            .iter()
            .find(|r| r.from == from && r.to == to && r.kind == kind)
    }

    /// The route an unoptimised lowering takes for an unpinned bridge: the
    /// most trusted one (highest security; on a tie, the lower fee, then the
    /// shorter delay, then the kind's order).
    pub fn most_trusted_route(&self, from: &str, to: &str) -> Option<&RouteInfo> {
        self.routes
            .iter()
            .filter(|r| r.from == from && r.to == to)
            .min_by_key(|r| (Reverse(r.security), r.fee_bps, r.delay_blocks, r.kind))
    }

    /// The routes an unpinned bridge from `from` to `to` may take at `-O`:
    /// those whose fee is no higher than the `-O0` route's (so that what
    /// arrives is never less) and whose security is at least `floor` —
    /// the bundle's `min_security` where it sets one, and otherwise the
    /// `-O0` route's own (an optimisation never trades away trust).
    pub fn admissible_routes(&self, from: &str, to: &str, floor: Option<u8>) -> Vec<&RouteInfo> {
        let Some(trusted) = self.most_trusted_route(from, to) else {
            return Vec::new();
        };
        let floor = floor.unwrap_or(trusted.security);
        self.routes
            .iter()
            .filter(|r| r.from == from && r.to == to)
            .filter(|r| r.fee_bps <= trusted.fee_bps && r.security >= floor)
            .collect()
    }

    /// The route an unpinned bridge takes at `-O` when judged on its own:
    /// the least gas among the admissible routes ([`Self::admissible_routes`];
    /// ties: shorter delay, then higher security, then the kind's order).
    pub fn cheapest_route(&self, from: &str, to: &str, floor: Option<u8>) -> Option<&RouteInfo> {
        self.admissible_routes(from, to, floor)
            .into_iter()
            .min_by_key(|r| r.preference())
    }

    /// Adds a declared token ([`Registry::declare_token`]).
    pub fn declare(&mut self, declaration: &TokenDeclaration) -> Result<(), RegistryError> {
        self.declare_token(
            &declaration.symbol,
            declaration.decimals,
            declaration.address.as_deref(),
        )
    }

    /// Adds a token declared in a source file. Declaring a token that already
    /// exists with the same decimals is allowed, and may add an address it
    /// has none of; other decimals, or another address than the one it has
    /// (compared without regard to case, which only carries the checksum),
    /// are an error. A declared token exists on every chain.
    pub fn declare_token(
        &mut self,
        symbol: &str,
        decimals: u32,
        address: Option<&str>,
    ) -> Result<(), RegistryError> {
        if decimals > MAX_DECIMALS {
            return Err(RegistryError::TooManyDecimals {
                symbol: symbol.to_string(),
                decimals,
            });
        }
        let decimals_u8 = u8::try_from(decimals).map_err(|_| RegistryError::TooManyDecimals {
            symbol: symbol.to_string(),
            decimals,
        })?;
        let all_chains: Vec<String> = self.chains.iter().map(|c| c.name.clone()).collect();
        if let Some(existing) = self.tokens.iter_mut().find(|t| t.symbol == symbol) {
            if existing.decimals != decimals_u8 {
                return Err(RegistryError::ConflictingDecimals {
                    symbol: symbol.to_string(),
                    existing: existing.decimals,
                });
            }
            match (&existing.address, address) {
                (Some(known), Some(declared)) if !known.eq_ignore_ascii_case(declared) => {
                    return Err(RegistryError::ConflictingAddress {
                        symbol: symbol.to_string(),
                        existing: known.clone(),
                        declared: declared.to_string(),
                    });
                }
                (None, Some(declared)) => existing.address = Some(declared.to_string()),
                _ => {}
            }
            return Ok(());
        }
        self.tokens.push(TokenInfo {
            symbol: symbol.to_string(),
            decimals: decimals_u8,
            address: address.map(str::to_string),
            chains: all_chains,
        });
        Ok(())
    }
}

/// The default registry's gas price of `chain`, in wei (of ETH, or of POL
/// on Polygon PoS): figures of a moment, not measured, each at or near the
/// chain's documented floor where it has one (docs/registry.md): Ethereum 2
/// gwei; Polygon PoS 30 gwei, above its 25 gwei minimum priority fee;
/// Arbitrum One 0.01 gwei, its gas price floor; OP Mainnet 0.001 gwei;
/// Base 0.002 gwei, its minimum base fee. An L2's fee for posting its data
/// to Ethereum is not modelled.
fn default_gas_price(chain: &str) -> Option<u128> {
    const GWEI: u128 = 1_000_000_000;
    match chain {
        "ethereum" => Some(2 * GWEI),
        "polygon" => Some(30 * GWEI),
        "arbitrum" => Some(GWEI / 100),
        "optimism" => Some(GWEI / 1_000),
        "base" => Some(2 * GWEI / 1_000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_registry_has_the_language_defaults() {
        let r = Registry::default_registry();
        assert_eq!(r.chains.len(), 5);
        assert_eq!(r.token("USDC").map(|t| t.decimals), Some(6));
        assert_eq!(r.token("WBTC").map(|t| t.decimals), Some(8));
        assert!(!r.token_on_chain("ETH", "polygon"));
        assert!(r.token_on_chain("WETH", "polygon"));
        assert_eq!(r.native_of("polygon"), Some("POL"));
        assert_eq!(r.wrapped_native_of("polygon"), None);
        assert_eq!(
            r.token_contract("polygon", "WETH"),
            TokenContract::MintableErc20
        );
        assert_eq!(r.token_contract("base", "WETH"), TokenContract::Weth9);
        assert_eq!(
            r.token_contract("base", "USDC"),
            TokenContract::MintableErc20
        );
        for chain in ["ethereum", "arbitrum", "optimism", "base"] {
            assert!(r.is_native("ETH", chain));
            assert_eq!(r.wrapped_native_of(chain), Some("WETH"));
        }
        assert_eq!(r.protocol("aave").map(|p| p.premium_bps), Some(5));
        assert_eq!(
            r.most_trusted_route("polygon", "arbitrum").map(|r| r.kind),
            Some(BridgeKind::Htlb)
        );
        assert!(r.route("base", "optimism", BridgeKind::Zk).is_none());
        assert!(r.route("polygon", "polygon", BridgeKind::Htlb).is_none());
    }

    #[test]
    fn declarations_extend_but_never_contradict() {
        let mut r = Registry::default_registry();
        assert!(r
            .declare_token(
                "PEPE",
                18,
                Some("0x6982508145454Ce325dDbE47a25d4ec3d2311933")
            )
            .is_ok());
        assert!(r.token_on_chain("PEPE", "base"));
        assert!(r.declare_token("USDC", 6, None).is_ok());
        assert_eq!(
            r.declare_token("USDC", 18, None),
            Err(RegistryError::ConflictingDecimals {
                symbol: "USDC".to_string(),
                existing: 6
            })
        );
        assert!(r.declare_token("HUGE", 31, None).is_err());
        // The same address in other letter case is the same address; another
        // one is a contradiction, and the known one stays.
        assert!(r
            .declare_token(
                "PEPE",
                18,
                Some("0x6982508145454ce325ddbe47a25d4ec3d2311933")
            )
            .is_ok());
        let other = "0x0000000000000000000000000000000000000001";
        assert_eq!(
            r.declare_token("PEPE", 18, Some(other)),
            Err(RegistryError::ConflictingAddress {
                symbol: "PEPE".to_string(),
                existing: "0x6982508145454Ce325dDbE47a25d4ec3d2311933".to_string(),
                declared: other.to_string(),
            })
        );
        assert_eq!(
            r.token("PEPE").and_then(|t| t.address.as_deref()),
            Some("0x6982508145454Ce325dDbE47a25d4ec3d2311933")
        );
        // A token known without an address takes the declared one.
        assert!(r.declare_token("USDC", 6, Some(other)).is_ok());
        assert_eq!(
            r.token("USDC").and_then(|t| t.address.as_deref()),
            Some(other)
        );
    }
}
