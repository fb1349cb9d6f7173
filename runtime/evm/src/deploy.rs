//! Deploys a world: per chain, the real contracts' bytecode and the
//! project's executor and bridges, then the state the world describes.
//!
//! Kept in one file: deploying a chain is one sequence in which each step
//! hands the next the addresses it made; split, that order would be spread
//! over several files.
//!
//! What each chain gets (docs/evm.md lists versions and sources):
//!
//! - every token of the chain as Aave's `MintableERC20` with the registry's
//!   decimals, except the chain's wrapped native token (Uniswap's `WETH9`,
//!   `Registry::token_contract`, the rule the gas schedule follows too)
//!   and its native coin (`ETH`, an account balance); a `WETH9` is
//!   deployed on every chain, for the routers, whether or not the registry
//!   names a wrapped native token there;
//! - per exchange of the registry on the chain, its own `UniswapV2Factory`
//!   and `UniswapV2Router02` (uniswap_v2 and sushiswap are two factories of
//!   the same bytecode), and each pair of the world, created by its factory
//!   and minted with the world's reserves, then synced one block later so
//!   that its price oracle holds what a pair that has traded holds;
//! - for the lender named `aave`, an Aave V3 market: addresses provider,
//!   ACL manager, the pool (behind its proxy, the seven logic libraries
//!   linked), the configurator (`ConfiguratorLogic` linked), an `AaveOracle`
//!   over `MockAggregator` prices (the world's oracle), one reserve per
//!   ERC-20 token of the chain (aToken, stable and variable debt tokens) with
//!   the world's risk parameters, the world's premium as the flash-loan
//!   premium, the world's liquidity, and the holder's deposits and debts;
//!   any other lender (`compound`) is model-only: no bytecode is pinned for
//!   it, and it is listed in [`Contracts::model_only`];
//! - the user's `MeshExecutor`, owned by the wallet;
//! - one `MeshBridge` per route kind that leaves or reaches the chain, with
//!   each route's delay and fee, holding a float of every ERC-20 token;
//! - the world's wallet balances, held by the [`Holder`].

use std::collections::BTreeMap;

use mesh_core::registry::BridgeKind;
use mesh_runtime::world::World;
use revm::primitives::{keccak256, Address, U256};

use crate::abi::{self, call, Token};
use crate::artifacts::Artifact;
use crate::chain::{Chain, Tx};
use crate::error::EvmError;

/// The externally owned accounts, the same on every chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accounts {
    /// Deploys and configures everything; the markets' admin.
    pub deployer: Address,
    /// The user's wallet: sends the plan's transactions, owns the executor.
    pub wallet: Address,
    /// Configures the bridges and delivers their releases.
    pub relayer: Address,
    /// Everyone else: the liquidity providers of the pairs and lenders.
    pub market: Address,
}

impl Accounts {
    pub fn standard() -> Accounts {
        let named = |name: &str| Address::from_slice(&keccak256(name.as_bytes())[12..]);
        Accounts {
            deployer: named("mesh.evm.deployer"),
            wallet: named("mesh.evm.wallet"),
            relayer: named("mesh.evm.relayer"),
            market: named("mesh.evm.market"),
        }
    }
}

/// Who holds the world's wallet balances and lender deposits: the wallet
/// itself (a user sending by hand, the unoptimised level) or the user's
/// executor (a smart wallet, the optimised level).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    Wallet,
    Executor,
}

/// The Aave reserves' interest rate strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterestRates {
    /// `ZeroReserveInterestRateStrategy`: no interest ever accrues, so an
    /// ordinary loan repaid blocks later owes exactly its principal, as the
    /// model says.
    Zero,
    /// `DefaultReserveInterestRateStrategy` with the parameters of Aave V3's
    /// published test markets (aave-v3-deploy `rateStrategyStableOne` for
    /// USDC, USDT and DAI, `rateStrategyVolatileOne` for the rest): interest
    /// accrues as on a live market.
    Published,
}

/// How to deploy a world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeployOptions {
    pub holder: Holder,
    pub interest_rates: InterestRates,
    /// The timestamp of every chain's first block.
    pub timestamp: u64,
    /// Prices for the Aave oracle, in USD with 8 decimals, by token.
    /// Tokens not listed are priced from a pair with a listed token on the
    /// same chain; a token with no price cannot back or take a collateralised
    /// borrow (the oracle reverts), but supply, withdraw and flash loans work.
    pub prices: BTreeMap<String, u128>,
}

impl Default for DeployOptions {
    fn default() -> DeployOptions {
        let usd = 100_000_000u128;
        let prices = [
            ("USDC", usd),
            ("USDT", usd),
            ("DAI", usd),
            ("WETH", 2_500 * usd),
            ("ETH", 2_500 * usd),
            ("WBTC", 65_000 * usd),
        ];
        DeployOptions {
            holder: Holder::Wallet,
            interest_rates: InterestRates::Zero,
            // 2025-01-01T00:00:00Z.
            timestamp: 1_735_689_600,
            prices: prices.iter().map(|&(s, p)| (s.to_string(), p)).collect(),
        }
    }
}

/// A token on one chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenContract {
    /// The chain's native coin (`ETH`): an account balance.
    Native,
    /// `WETH9`.
    Weth(Address),
    /// `MintableERC20`.
    Erc20(Address),
}

impl TokenContract {
    /// The ERC-20 contract, if the token is one.
    pub fn address(self) -> Option<Address> {
        match self {
            TokenContract::Native => None,
            TokenContract::Weth(a) | TokenContract::Erc20(a) => Some(a),
        }
    }
}

/// One exchange's Uniswap V2 deployment on a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    pub factory: Address,
    pub router: Address,
    /// The world's pairs, keyed as the world keys them: `(token0, token1)`
    /// sorted by symbol (the pair contract sorts by address).
    pub pairs: BTreeMap<(String, String), Address>,
}

/// One Aave V3 reserve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reserve {
    pub asset: Address,
    pub a_token: Address,
    pub stable_debt_token: Address,
    pub variable_debt_token: Address,
}

/// An Aave V3 market on a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AaveMarket {
    pub addresses_provider: Address,
    pub acl_manager: Address,
    /// The pool's proxy: what users call.
    pub pool: Address,
    pub pool_implementation: Address,
    /// The configurator's proxy.
    pub configurator: Address,
    pub oracle: Address,
    /// By token symbol.
    pub reserves: BTreeMap<String, Reserve>,
}

/// Everything deployed on one chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contracts {
    /// By token symbol, every token of the chain.
    pub tokens: BTreeMap<String, TokenContract>,
    pub weth: Address,
    pub executor: Address,
    /// The account holding the world's wallet balances and deposits.
    pub holder: Address,
    /// By exchange protocol name.
    pub exchanges: BTreeMap<String, Exchange>,
    /// By lender protocol name (only `aave` is deployed).
    pub lenders: BTreeMap<String, AaveMarket>,
    /// Lenders of the registry on this chain with no bytecode here.
    pub model_only: Vec<String>,
    /// One per route kind that leaves or reaches the chain.
    pub bridges: BTreeMap<BridgeKind, Address>,
}

/// What each bridge holds of every ERC-20 token, to pay releases from.
pub const BRIDGE_FLOAT: u128 = u128::MAX;

/// The seconds between the block that mints the pairs and the one that
/// settles their price oracles (one block of Ethereum's).
const PAIR_SETTLE_SECONDS: u64 = 12;

/// Uniswap V2 pairs keep reserves in `uint112`.
const MAX_RESERVE: u128 = (1u128 << 112) - 1;

/// A chain and what is deployed on it.
#[derive(Debug)]
pub struct DeployedChain {
    pub chain: Chain,
    pub contracts: Contracts,
}

/// Deploys one chain of `world`.
pub fn deploy_chain(
    world: &World,
    chain_name: &str,
    accounts: &Accounts,
    options: &DeployOptions,
) -> Result<DeployedChain, EvmError> {
    let info = world
        .registry
        .chain(chain_name)
        .ok_or_else(|| EvmError::Unknown {
            chain: chain_name.to_string(),
            what: "such chain in the registry".to_string(),
        })?;
    let mut d = Deployer {
        chain: Chain::new(chain_name, info.chain_id, options.timestamp),
        accounts: *accounts,
    };
    // The deployer pays for every wrapped ether it hands out.
    d.chain.set_balance(accounts.deployer, U256::MAX >> 1);

    let weth = d.deploy("WETH9", &[])?;
    let mut tokens = BTreeMap::new();
    for token in &world.registry.tokens {
        if !token.chains.iter().any(|c| c == chain_name) {
            continue;
        }
        let contract = match token.symbol.as_str() {
            symbol
                if mesh_core::registry::is_native_coin(symbol)
                    || info.native.as_deref() == Some(symbol) =>
            {
                TokenContract::Native
            }
            symbol
                if world.registry.token_contract(chain_name, symbol)
                    == mesh_core::registry::TokenContract::Weth9 =>
            {
                TokenContract::Weth(weth)
            }
            symbol => TokenContract::Erc20(d.deploy(
                "MintableERC20",
                &[
                    Token::String(symbol.to_string()),
                    Token::String(symbol.to_string()),
                    Token::uint(u128::from(token.decimals)),
                ],
            )?),
        };
        tokens.insert(token.symbol.clone(), contract);
    }

    let executor = d.deploy("MeshExecutor", &[Token::Address(accounts.wallet)])?;
    let holder = match options.holder {
        Holder::Wallet => accounts.wallet,
        Holder::Executor => executor,
    };

    let mut exchanges = BTreeMap::new();
    for protocol in &world.registry.protocols {
        if protocol.kind != mesh_core::ProtocolKind::Exchange
            || !protocol.chains.iter().any(|c| c == chain_name)
        {
            continue;
        }
        if protocol.fee_bps != 30 {
            return Err(d.unrepresentable(format!(
                "exchange {}: its fee is {} bps, and Uniswap V2's bytecode charges 30",
                protocol.name, protocol.fee_bps
            )));
        }
        let pairs = world
            .exchange(chain_name, &protocol.name)
            .map(|e| e.pairs.clone())
            .unwrap_or_default();
        let exchange = d.exchange(&protocol.name, weth, &tokens, &pairs)?;
        exchanges.insert(protocol.name.clone(), exchange);
    }
    d.settle_pairs(&exchanges)?;

    let mut lenders = BTreeMap::new();
    let mut model_only = Vec::new();
    for protocol in &world.registry.protocols {
        if protocol.kind != mesh_core::ProtocolKind::Lender
            || !protocol.chains.iter().any(|c| c == chain_name)
        {
            continue;
        }
        if protocol.name != "aave" {
            model_only.push(protocol.name.clone());
            continue;
        }
        let mut given = options.prices.clone();
        given.extend(world.oracle.iter().map(|(s, &p)| (s.clone(), p)));
        let prices = prices_on_chain(world, chain_name, &given)?;
        let market = d.aave(world, protocol, &tokens, &prices, options.interest_rates)?;
        let state = world
            .lender(chain_name, &protocol.name)
            .cloned()
            .unwrap_or_default();
        d.fill_aave(&protocol.name, &market, &tokens, &state, holder)?;
        lenders.insert(protocol.name.clone(), market);
    }

    let mut bridges = BTreeMap::new();
    for kind in BridgeKind::ALL {
        let routes: Vec<_> = world
            .registry
            .routes
            .iter()
            .filter(|r| r.kind == kind && (r.from == chain_name || r.to == chain_name))
            .collect();
        if routes.is_empty() {
            continue;
        }
        let kind_index = match kind {
            BridgeKind::Htlb => 0u128,
            BridgeKind::Zk => 1,
            BridgeKind::Threshold => 2,
        };
        let bridge = d.deploy(
            "MeshBridge",
            &[Token::uint(kind_index), Token::Address(accounts.relayer)],
        )?;
        for route in routes.iter().filter(|r| r.from == chain_name) {
            let to = world
                .registry
                .chain(&route.to)
                .ok_or_else(|| EvmError::Unknown {
                    chain: chain_name.to_string(),
                    what: format!("chain {} (a route's destination)", route.to),
                })?;
            let fee_bps = u16::try_from(route.fee_bps)
                .map_err(|_| d.unrepresentable(format!("route fee {} bps", route.fee_bps)))?;
            let delay = u32::try_from(route.delay_blocks).map_err(|_| {
                d.unrepresentable(format!("route delay {} blocks", route.delay_blocks))
            })?;
            d.send(
                accounts.relayer,
                bridge,
                call(
                    "setRoute(uint256,uint32,uint16)",
                    &[
                        Token::uint(u128::from(to.chain_id)),
                        Token::uint(u128::from(delay)),
                        Token::uint(u128::from(fee_bps)),
                    ],
                ),
                &format!("opening the {} route to {}", kind.as_str(), route.to),
            )?;
        }
        for (symbol, token) in &tokens {
            if *token != TokenContract::Native {
                d.fund(symbol, *token, bridge, BRIDGE_FLOAT)?;
            }
        }
        bridges.insert(kind, bridge);
    }

    if let Some(wallet) = world.wallets.get(chain_name) {
        for (symbol, &amount) in wallet {
            let token = *tokens.get(symbol).ok_or_else(|| EvmError::Unknown {
                chain: chain_name.to_string(),
                what: format!("token {symbol} (in the wallet)"),
            })?;
            d.fund(symbol, token, holder, amount)?;
        }
    }

    Ok(DeployedChain {
        chain: d.chain,
        contracts: Contracts {
            tokens,
            weth,
            executor,
            holder,
            exchanges,
            lenders,
            model_only,
            bridges,
        },
    })
}

/// Each token's oracle price on `chain`: the given ones, then any token
/// paired on the chain with a priced one, priced by that pair's reserves.
fn prices_on_chain(
    world: &World,
    chain: &str,
    given: &BTreeMap<String, u128>,
) -> Result<BTreeMap<String, u128>, EvmError> {
    let mut prices: BTreeMap<String, u128> = given
        .iter()
        .filter(|(s, _)| world.registry.token_on_chain(s, chain))
        .map(|(s, &p)| (s.clone(), p))
        .collect();
    let decimals = |s: &str| world.registry.token(s).map(|t| u32::from(t.decimals));
    loop {
        let mut found = None;
        'search: for exchange in world
            .exchanges
            .get(chain)
            .into_iter()
            .flat_map(|m| m.values())
        {
            for ((a, b), pair) in &exchange.pairs {
                for (known, unknown, r_known, r_unknown) in [
                    (a, b, pair.reserve0, pair.reserve1),
                    (b, a, pair.reserve1, pair.reserve0),
                ] {
                    if prices.contains_key(unknown.as_str()) {
                        continue;
                    }
                    let Some(&p) = prices.get(known.as_str()) else {
                        continue;
                    };
                    let (Some(dk), Some(du)) = (decimals(known), decimals(unknown)) else {
                        continue;
                    };
                    // price_u = p · (r_k / 10^dk) / (r_u / 10^du)
                    let num =
                        U256::from(p) * U256::from(r_known) * U256::from(10u8).pow(U256::from(du));
                    let den = U256::from(r_unknown) * U256::from(10u8).pow(U256::from(dk));
                    if den.is_zero() {
                        continue;
                    }
                    let price = u128::try_from(num / den).unwrap_or(u128::MAX).max(1);
                    found = Some((unknown.clone(), price));
                    break 'search;
                }
            }
        }
        match found {
            Some((symbol, price)) => {
                prices.insert(symbol, price);
            }
            None => return Ok(prices),
        }
    }
}

/// Sends the deployment's transactions on one chain.
struct Deployer {
    chain: Chain,
    accounts: Accounts,
}

impl Deployer {
    fn unrepresentable(&self, what: String) -> EvmError {
        EvmError::Unrepresentable {
            chain: self.chain.name().to_string(),
            what,
        }
    }

    /// Deploys artifact `name` with constructor `args`, from the deployer.
    fn deploy(&mut self, name: &str, args: &[Token]) -> Result<Address, EvmError> {
        self.deploy_linked(name, args, &BTreeMap::new())
    }

    fn deploy_linked(
        &mut self,
        name: &str,
        args: &[Token],
        libraries: &BTreeMap<String, Address>,
    ) -> Result<Address, EvmError> {
        let artifact = Artifact::load(name)?;
        let mut code = artifact.linked(libraries)?;
        code.extend(abi::encode(args));
        self.chain.deploy(self.accounts.deployer, code, name)
    }

    fn send(
        &mut self,
        from: Address,
        to: Address,
        data: Vec<u8>,
        step: &str,
    ) -> Result<Vec<u8>, EvmError> {
        Ok(self.chain.setup(&Tx::call(from, to, data), step)?.output)
    }

    /// Brings every pair to the state of a pair that has traded: one block
    /// after the mints, `sync()` writes its price oracle's accumulators,
    /// which a freshly minted pair holds at zero. Without it the first swap
    /// on each pair would pay for writing them from zero (two storage slots
    /// set from zero), a cost no pair in use has.
    fn settle_pairs(&mut self, exchanges: &BTreeMap<String, Exchange>) -> Result<(), EvmError> {
        if exchanges.values().all(|e| e.pairs.is_empty()) {
            return Ok(());
        }
        self.chain.next_block(PAIR_SETTLE_SECONDS)?;
        for (name, exchange) in exchanges {
            for ((a, b), &pair) in &exchange.pairs {
                self.admin(
                    pair,
                    call("sync()", &[]),
                    &format!("syncing pair {a}/{b} of {name}"),
                )?;
            }
        }
        Ok(())
    }

    fn admin(&mut self, to: Address, data: Vec<u8>, step: &str) -> Result<Vec<u8>, EvmError> {
        self.send(self.accounts.deployer, to, data, step)
    }

    fn word(
        &mut self,
        to: Address,
        signature: &str,
        args: &[Token],
        what: &str,
    ) -> Result<Address, EvmError> {
        let out = self.chain.view(to, call(signature, args), what)?;
        abi::address_at(&out, 0).ok_or_else(|| EvmError::Setup {
            chain: self.chain.name().to_string(),
            step: format!("reading {what}"),
            reason: "it returned no address".to_string(),
        })
    }

    /// Gives `to` an `amount` of `symbol`: mints an ERC-20, wraps ether for
    /// WETH, or sets the native balance.
    fn fund(
        &mut self,
        symbol: &str,
        token: TokenContract,
        to: Address,
        amount: u128,
    ) -> Result<(), EvmError> {
        if amount == 0 {
            return Ok(());
        }
        let step = format!("giving {amount} base units of {symbol}");
        match token {
            TokenContract::Native => {
                let balance = self.chain.balance(to);
                let total = balance.checked_add(U256::from(amount)).ok_or_else(|| {
                    self.unrepresentable(format!("{step}: the balance overflows"))
                })?;
                self.chain.set_balance(to, total);
            }
            TokenContract::Weth(weth) => {
                let deposit = Tx {
                    value: U256::from(amount),
                    ..Tx::call(self.accounts.deployer, weth, call("deposit()", &[]))
                };
                self.chain.setup(&deposit, &step)?;
                self.admin(
                    weth,
                    call(
                        "transfer(address,uint256)",
                        &[Token::Address(to), Token::uint(amount)],
                    ),
                    &step,
                )?;
            }
            TokenContract::Erc20(address) => {
                self.admin(
                    address,
                    call(
                        "mint(address,uint256)",
                        &[Token::Address(to), Token::uint(amount)],
                    ),
                    &step,
                )?;
            }
        }
        Ok(())
    }

    fn exchange(
        &mut self,
        name: &str,
        weth: Address,
        tokens: &BTreeMap<String, TokenContract>,
        pairs: &BTreeMap<(String, String), mesh_runtime::world::Pair>,
    ) -> Result<Exchange, EvmError> {
        let factory = self.deploy(
            "UniswapV2Factory",
            &[Token::Address(self.accounts.deployer)],
        )?;
        let router = self.deploy(
            "UniswapV2Router02",
            &[Token::Address(factory), Token::Address(weth)],
        )?;
        let mut deployed = BTreeMap::new();
        for ((a, b), reserves) in pairs {
            let what = format!("pair {a}/{b} of {name}");
            let token = |s: &str| -> Result<(Address, TokenContract), EvmError> {
                match tokens.get(s) {
                    Some(&t) => match t.address() {
                        Some(addr) => Ok((addr, t)),
                        None => Err(self.unrepresentable(format!(
                            "{what}: {s} is the native coin, and Uniswap V2 pairs hold ERC-20 tokens (wrap it as WETH)"
                        ))),
                    },
                    None => Err(EvmError::Unknown {
                        chain: self.chain.name().to_string(),
                        what: format!("token {s} (in {what})"),
                    }),
                }
            };
            let (addr_a, token_a) = token(a)?;
            let (addr_b, token_b) = token(b)?;
            for (s, r) in [(a, reserves.reserve0), (b, reserves.reserve1)] {
                if r > MAX_RESERVE {
                    return Err(self.unrepresentable(format!(
                        "{what}: the {s} reserve {r} exceeds Uniswap V2's uint112 reserves"
                    )));
                }
            }
            // mint() gives sqrt(r0·r1) − 1,000 liquidity tokens: the
            // product must reach 1,001² for any to be minted.
            if U256::from(reserves.reserve0) * U256::from(reserves.reserve1)
                < U256::from(1_001u32 * 1_001)
            {
                return Err(self.unrepresentable(format!(
                    "{what}: sqrt(reserve0 · reserve1) in base units must exceed Uniswap V2's MINIMUM_LIQUIDITY of 1,000"
                )));
            }
            let out = self.admin(
                factory,
                call(
                    "createPair(address,address)",
                    &[Token::Address(addr_a), Token::Address(addr_b)],
                ),
                &format!("creating {what}"),
            )?;
            let pair = abi::address_at(&out, 0).ok_or_else(|| EvmError::Setup {
                chain: self.chain.name().to_string(),
                step: format!("creating {what}"),
                reason: "createPair returned no address".to_string(),
            })?;
            self.fund(a, token_a, pair, reserves.reserve0)?;
            self.fund(b, token_b, pair, reserves.reserve1)?;
            self.admin(
                pair,
                call("mint(address)", &[Token::Address(self.accounts.market)]),
                &format!("minting {what}"),
            )?;
            deployed.insert((a.clone(), b.clone()), pair);
        }
        Ok(Exchange {
            factory,
            router,
            pairs: deployed,
        })
    }

    fn aave(
        &mut self,
        world: &World,
        protocol: &mesh_core::registry::ProtocolInfo,
        tokens: &BTreeMap<String, TokenContract>,
        prices: &BTreeMap<String, u128>,
        rates: InterestRates,
    ) -> Result<AaveMarket, EvmError> {
        let deployer = self.accounts.deployer;
        let provider = self.deploy(
            "PoolAddressesProvider",
            &[
                Token::String(format!("Mesh {}", protocol.name)),
                Token::Address(deployer),
            ],
        )?;
        self.admin(
            provider,
            call("setACLAdmin(address)", &[Token::Address(deployer)]),
            "setting the ACL admin",
        )?;
        let acl = self.deploy("ACLManager", &[Token::Address(provider)])?;
        self.admin(
            provider,
            call("setACLManager(address)", &[Token::Address(acl)]),
            "setting the ACL manager",
        )?;
        self.admin(
            acl,
            call("addPoolAdmin(address)", &[Token::Address(deployer)]),
            "adding the pool admin",
        )?;

        let mut libraries = BTreeMap::new();
        for library in [
            "BorrowLogic",
            "BridgeLogic",
            "EModeLogic",
            "LiquidationLogic",
            "PoolLogic",
            "SupplyLogic",
            "ConfiguratorLogic",
        ] {
            let address = self.deploy(library, &[])?;
            libraries.insert(library.to_string(), address);
        }
        let flash = self.deploy_linked("FlashLoanLogic", &[], &libraries)?;
        libraries.insert("FlashLoanLogic".to_string(), flash);

        let pool_implementation =
            self.deploy_linked("Pool", &[Token::Address(provider)], &libraries)?;
        self.admin(
            provider,
            call(
                "setPoolImpl(address)",
                &[Token::Address(pool_implementation)],
            ),
            "installing the pool",
        )?;
        let pool = self.word(provider, "getPool()", &[], "the pool's address")?;
        let configurator_implementation =
            self.deploy_linked("PoolConfigurator", &[], &libraries)?;
        self.admin(
            provider,
            call(
                "setPoolConfiguratorImpl(address)",
                &[Token::Address(configurator_implementation)],
            ),
            "installing the pool configurator",
        )?;
        let configurator = self.word(
            provider,
            "getPoolConfigurator()",
            &[],
            "the configurator's address",
        )?;

        // Reserves: every ERC-20 token of the chain.
        let assets: Vec<(String, Address)> = tokens
            .iter()
            .filter_map(|(s, t)| t.address().map(|a| (s.clone(), a)))
            .collect();
        let mut oracle_assets = Vec::new();
        let mut sources = Vec::new();
        for (symbol, asset) in &assets {
            if let Some(&price) = prices.get(symbol) {
                let aggregator = self.deploy("MockAggregator", &[Token::uint(price)])?;
                oracle_assets.push(Token::Address(*asset));
                sources.push(Token::Address(aggregator));
            }
        }
        let oracle = self.deploy(
            "AaveOracle",
            &[
                Token::Address(provider),
                Token::Array(oracle_assets),
                Token::Array(sources),
                Token::Address(Address::ZERO),
                Token::Address(Address::ZERO),
                Token::uint(100_000_000),
            ],
        )?;
        self.admin(
            provider,
            call("setPriceOracle(address)", &[Token::Address(oracle)]),
            "setting the price oracle",
        )?;

        let a_token = self.deploy("AToken", &[Token::Address(pool)])?;
        let stable = self.deploy("StableDebtToken", &[Token::Address(pool)])?;
        let variable = self.deploy("VariableDebtToken", &[Token::Address(pool)])?;
        let ray = |percent: u128| -> Token {
            // percent / 100 as a ray (27 decimals).
            Token::Uint(U256::from(percent) * U256::from(10u8).pow(U256::from(25u8)))
        };
        let strategy = |d: &mut Deployer, stable_asset: bool| -> Result<Address, EvmError> {
            match rates {
                InterestRates::Zero => d.deploy(
                    "ZeroReserveInterestRateStrategy",
                    &[Token::Address(provider)],
                ),
                InterestRates::Published if stable_asset => d.deploy(
                    "DefaultReserveInterestRateStrategy",
                    &[
                        Token::Address(provider),
                        ray(90),
                        ray(0),
                        ray(4),
                        ray(60),
                        ray(2),
                        ray(60),
                        ray(2),
                        ray(5),
                        ray(20),
                    ],
                ),
                InterestRates::Published => d.deploy(
                    "DefaultReserveInterestRateStrategy",
                    &[
                        Token::Address(provider),
                        ray(45),
                        ray(0),
                        ray(7),
                        ray(300),
                        ray(7),
                        ray(300),
                        ray(2),
                        ray(5),
                        ray(20),
                    ],
                ),
            }
        };
        let stable_strategy = strategy(self, true)?;
        let volatile_strategy = strategy(self, false)?;

        let mut inputs = Vec::new();
        for (symbol, asset) in &assets {
            let decimals = world
                .registry
                .token(symbol)
                .map(|t| t.decimals)
                .unwrap_or(18);
            let is_stable = matches!(symbol.as_str(), "USDC" | "USDT" | "DAI");
            inputs.push(Token::Tuple(vec![
                Token::Address(a_token),
                Token::Address(stable),
                Token::Address(variable),
                Token::uint(u128::from(decimals)),
                Token::Address(if is_stable {
                    stable_strategy
                } else {
                    volatile_strategy
                }),
                Token::Address(*asset),
                Token::Address(deployer),
                Token::Address(Address::ZERO),
                Token::String(format!("Aave {symbol}")),
                Token::String(format!("a{symbol}")),
                Token::String(format!("Aave variable debt {symbol}")),
                Token::String(format!("variableDebt{symbol}")),
                Token::String(format!("Aave stable debt {symbol}")),
                Token::String(format!("stableDebt{symbol}")),
                Token::Bytes(Vec::new()),
            ]));
        }
        self.admin(
            configurator,
            call(
                "initReserves((address,address,address,uint8,address,address,address,address,string,string,string,string,string,string,bytes)[])",
                &[Token::Array(inputs)],
            ),
            "initialising the reserves",
        )?;
        self.admin(
            configurator,
            call(
                "updateFlashloanPremiumTotal(uint128)",
                &[Token::uint(u128::from(protocol.premium_bps))],
            ),
            "setting the flash-loan premium",
        )?;
        self.admin(
            configurator,
            call(
                "updateFlashloanPremiumToProtocol(uint128)",
                &[Token::uint(0)],
            ),
            "setting the protocol's share of the premium",
        )?;

        let risk = world
            .lender(self.chain.name(), &protocol.name)
            .map(|l| l.risk.clone())
            .unwrap_or_default();
        let mut reserves = BTreeMap::new();
        for (symbol, asset) in &assets {
            let what = format!("reserve {symbol} of {}", protocol.name);
            // The world's loan-to-value and liquidation threshold, or 75%
            // and 80% where it gives none; a bonus of 5%.
            let (ltv, threshold) = risk
                .get(symbol)
                .map_or((7_500, 8_000), |r| (r.ltv_bps, r.liquidation_threshold_bps));
            if prices.contains_key(symbol) && threshold > 0 {
                let bonus = 10_500u32;
                // Aave's configurator: threshold · bonus ≤ 100%.
                if u64::from(threshold) * u64::from(bonus) > 10_000 * 10_000 {
                    return Err(self.unrepresentable(format!(
                        "{what}: a liquidation threshold of {threshold} bps leaves no room for Aave's liquidation bonus"
                    )));
                }
                self.admin(
                    configurator,
                    call(
                        "configureReserveAsCollateral(address,uint256,uint256,uint256)",
                        &[
                            Token::Address(*asset),
                            Token::uint(u128::from(ltv)),
                            Token::uint(u128::from(threshold)),
                            Token::uint(u128::from(bonus)),
                        ],
                    ),
                    &format!("making {what} collateral"),
                )?;
            }
            self.admin(
                configurator,
                call(
                    "setReserveBorrowing(address,bool)",
                    &[Token::Address(*asset), Token::Bool(true)],
                ),
                &format!("enabling borrowing of {what}"),
            )?;
            self.admin(
                configurator,
                call(
                    "setReserveFlashLoaning(address,bool)",
                    &[Token::Address(*asset), Token::Bool(protocol.flash_loans)],
                ),
                &format!("setting flash loans of {what}"),
            )?;
            let data = self.chain.view(
                pool,
                call("getReserveData(address)", &[Token::Address(*asset)]),
                &what,
            )?;
            let at = |i: usize| {
                abi::address_at(&data, i).ok_or_else(|| EvmError::Setup {
                    chain: self.chain.name().to_string(),
                    step: format!("reading {what}"),
                    reason: "getReserveData returned too little".to_string(),
                })
            };
            reserves.insert(
                symbol.clone(),
                Reserve {
                    asset: *asset,
                    a_token: at(8)?,
                    stable_debt_token: at(9)?,
                    variable_debt_token: at(10)?,
                },
            );
        }

        Ok(AaveMarket {
            addresses_provider: provider,
            acl_manager: acl,
            pool,
            pool_implementation,
            configurator,
            oracle,
            reserves,
        })
    }

    /// Sets a lender's state: the pool holds `liquidity` of each token;
    /// `deposits` are the holder's (aTokens), the rest of what was supplied
    /// the market's; and the holder owes its `debts`, borrowed (variable
    /// rate) against its deposits and handed on to the market, so that
    /// neither the wallet nor the liquidity shows them. Deposits above the
    /// liquidity and the debts of their token cannot be represented
    /// without someone else's debt, and debts above what Aave lets the
    /// deposits carry cannot be borrowed.
    fn fill_aave(
        &mut self,
        name: &str,
        market: &AaveMarket,
        tokens: &BTreeMap<String, TokenContract>,
        state: &mesh_runtime::world::Lender,
        holder: Address,
    ) -> Result<(), EvmError> {
        let symbols: std::collections::BTreeSet<&String> = state
            .liquidity
            .keys()
            .chain(state.deposits.keys())
            .chain(state.debts.keys())
            .collect();
        for &symbol in &symbols {
            let debt = state.debts.get(symbol).copied().unwrap_or(0);
            let liquidity = state.liquidity.get(symbol).copied().unwrap_or(0);
            let deposit = state.deposits.get(symbol).copied().unwrap_or(0);
            // What the pool holds now, and what the holder borrowed out of it.
            let Some(supplied) = liquidity.checked_add(debt) else {
                return Err(self
                    .unrepresentable(format!("{symbol} at {name}: liquidity and debt overflow")));
            };
            let token = *tokens.get(symbol).ok_or_else(|| EvmError::Unknown {
                chain: self.chain.name().to_string(),
                what: format!("token {symbol} (at {name})"),
            })?;
            let Some(asset) = token.address() else {
                return Err(self.unrepresentable(format!(
                    "{symbol} at {name}: Aave V3 reserves are ERC-20 tokens, and {symbol} is the native coin (wrap it as WETH)"
                )));
            };
            if deposit > supplied {
                let owed = if debt > 0 {
                    format!(" and the holder's debt of {debt}")
                } else {
                    String::new()
                };
                return Err(self.unrepresentable(format!(
                    "{symbol} at {name}: deposits of {deposit} base units above its liquidity of {liquidity}{owed} (the pool would have to have lent the difference out)"
                )));
            }
            let lp = self.accounts.market;
            self.fund(symbol, token, lp, supplied)?;
            self.send(
                lp,
                asset,
                call(
                    "approve(address,uint256)",
                    &[Token::Address(market.pool), Token::Uint(U256::MAX)],
                ),
                &format!("approving {name} for {symbol}"),
            )?;
            for (amount, on_behalf) in [(supplied - deposit, lp), (deposit, holder)] {
                if amount == 0 {
                    continue;
                }
                self.send(
                    lp,
                    market.pool,
                    call(
                        "supply(address,uint256,address,uint16)",
                        &[
                            Token::Address(asset),
                            Token::uint(amount),
                            Token::Address(on_behalf),
                            Token::uint(0),
                        ],
                    ),
                    &format!("supplying {amount} base units of {symbol} to {name}"),
                )?;
            }
        }
        for (symbol, &debt) in &state.debts {
            if debt == 0 {
                continue;
            }
            let asset = tokens
                .get(symbol)
                .and_then(|t| t.address())
                .ok_or_else(|| EvmError::Unknown {
                    chain: self.chain.name().to_string(),
                    what: format!("token {symbol} (a debt at {name})"),
                })?;
            let borrow = crate::calls::aave_borrow(asset, debt, holder);
            let hand_on = crate::calls::transfer(self.accounts.market, debt);
            let step =
                format!("borrowing the holder's debt of {debt} base units of {symbol} at {name}");
            if holder == self.accounts.wallet {
                self.send(holder, market.pool, borrow, &step)?;
                self.send(holder, asset, hand_on, &step)?;
            } else {
                // The executor borrows through its owner's `run`.
                let run = crate::calls::executor_run(&[
                    crate::calls::InnerCall::new(market.pool, borrow),
                    crate::calls::InnerCall::new(asset, hand_on),
                ]);
                self.send(self.accounts.wallet, holder, run, &step)?;
            }
        }
        Ok(())
    }
}
