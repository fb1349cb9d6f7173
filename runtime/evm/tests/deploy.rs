//! Deploying worlds: the default world's state reads back exactly from the
//! EVM, and worlds the contracts cannot hold are refused with errors that
//! name the chain and the contract or pair.

use mesh_evm::{DeployOptions, EvmError, EvmWorld, Holder};
use mesh_runtime::world::World;

fn deploy(world: &World, holder: Holder) -> Result<EvmWorld, EvmError> {
    let options = DeployOptions {
        holder,
        ..DeployOptions::default()
    };
    EvmWorld::deploy(world, &options)
}

#[test]
fn the_default_world_reads_back_exactly_for_either_holder() {
    let world = World::default_world();
    for holder in [Holder::Wallet, Holder::Executor] {
        let mut evm = deploy(&world, holder).expect("the default world deploys");
        let back = evm.read_world(&world).expect("reads back");
        assert_eq!(back.wallets, world.wallets, "{holder:?}");
        assert_eq!(back.exchanges, world.exchanges, "{holder:?}");
        assert_eq!(back.lenders, world.lenders, "{holder:?}");
        assert_eq!(back, world);
        // The other account holds nothing.
        let contracts = evm.contracts("arbitrum").expect("arbitrum").clone();
        let other = match holder {
            Holder::Wallet => contracts.executor,
            Holder::Executor => evm.accounts.wallet,
        };
        assert_ne!(contracts.holder, other);
        assert_eq!(evm.balance("arbitrum", "USDC", other).expect("balance"), 0);
        assert_eq!(evm.balance("arbitrum", "ETH", other).expect("balance"), 0);
    }
}

#[test]
fn every_chain_is_its_own_state_with_its_own_chain_id() {
    let world = World::default_world();
    let mut evm = deploy(&world, Holder::Wallet).expect("deploys");
    let names: Vec<String> = evm.chain_names().map(str::to_string).collect();
    assert_eq!(
        names,
        ["arbitrum", "base", "ethereum", "optimism", "polygon"]
    );
    assert_eq!(evm.chain("polygon").expect("polygon").chain_id(), 137);
    // Only polygon's wallet lacks ETH (it is not native there).
    let wallet = evm.accounts.wallet;
    assert!(evm.balance("polygon", "ETH", wallet).is_err());
    assert_eq!(
        evm.balance("base", "ETH", wallet).expect("ETH"),
        2 * 10u128.pow(18)
    );
    // compound has no bytecode: it is listed as model-only.
    assert_eq!(
        evm.contracts("base").expect("base").model_only,
        ["compound"]
    );
    // uniswap_v2 and sushiswap are two factories of the same bytecode.
    let c = evm.contracts("polygon").expect("polygon").clone();
    let uni = &c.exchanges["uniswap_v2"];
    let sushi = &c.exchanges["sushiswap"];
    assert_ne!(uni.factory, sushi.factory);
    let chain = evm.chain("polygon").expect("polygon");
    assert_eq!(chain.code(uni.factory), chain.code(sushi.factory));
    assert!(!chain.code(uni.router).is_empty());
    // One bridge per kind on polygon (it has htlb, zk and threshold routes).
    assert_eq!(c.bridges.len(), 3);
}

fn world_with(edit: &str) -> World {
    let base = r#"
format = 1
[chains]
polygon = { chain_id = 137 }
arbitrum = { chain_id = 42161 }
[tokens]
USDC = { decimals = 6 }
WETH = { decimals = 18 }
ETH = { decimals = 18, chains = ["arbitrum"] }
[protocols]
aave = { kind = "lender", premium_bps = 5, flash_loans = true }
uniswap_v2 = { kind = "exchange", fee_bps = 30 }
"#;
    World::parse(&format!("{base}{edit}"), "test.toml").expect("the test world parses")
}

fn error_of(world: &World) -> String {
    match deploy(world, Holder::Wallet) {
        Ok(_) => panic!("the world deployed"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn worlds_the_contracts_cannot_hold_are_refused_by_name() {
    let native_pair =
        world_with("[exchanges.arbitrum.uniswap_v2]\n\"ETH/USDC\" = [\"1\", \"2500\"]\n");
    assert_eq!(
        error_of(&native_pair),
        "chain arbitrum: the EVM deployment cannot represent pair ETH/USDC of uniswap_v2: ETH is the native coin, and Uniswap V2 pairs hold ERC-20 tokens (wrap it as WETH)"
    );
    let tiny = world_with("[exchanges.polygon.uniswap_v2]\n\"USDC/WETH\" = [\"0.000001\", \"0.000000000000000001\"]\n");
    assert_eq!(
        error_of(&tiny),
        "chain polygon: the EVM deployment cannot represent pair USDC/WETH of uniswap_v2: sqrt(reserve0 · reserve1) in base units must exceed Uniswap V2's MINIMUM_LIQUIDITY of 1,000"
    );
    let huge = world_with(
        "[exchanges.polygon.uniswap_v2]\n\"USDC/WETH\" = [\"1\", \"10000000000000000\"]\n",
    );
    assert_eq!(
        error_of(&huge),
        "chain polygon: the EVM deployment cannot represent pair USDC/WETH of uniswap_v2: the WETH reserve 10000000000000000000000000000000000 exceeds Uniswap V2's uint112 reserves"
    );
    let over = world_with(
        "[lenders.polygon.aave]\nliquidity = { USDC = \"10\" }\ndeposits = { USDC = \"11\" }\n",
    );
    assert_eq!(
        error_of(&over),
        "chain polygon: the EVM deployment cannot represent USDC at aave: deposits of 11000000 base units above its liquidity of 10000000 (the pool would have to have lent the difference out)"
    );
    // Healthy (2,075 USD at 83% against 2,070) but past the 80%
    // loan-to-value: the pool refuses to lend it.
    let over_ltv = world_with(
        "[oracle]\nUSDC = \"1\"\nWETH = \"2500\"\n[lenders.polygon.aave]\nliquidity = { USDC = \"100000\", WETH = \"1\" }\ndeposits = { WETH = \"1\" }\ndebts = { USDC = \"2070\" }\nrisk = { WETH = { ltv_bps = 8000, liquidation_threshold_bps = 8300 } }\n",
    );
    let refused = error_of(&over_ltv);
    assert!(
        refused.contains("borrowing the holder's debt of 2070000000 base units of USDC at aave")
            && refused.contains("36"),
        "{refused}"
    );
    let no_bonus = world_with(
        "[oracle]\nWETH = \"2500\"\n[lenders.polygon.aave]\nrisk = { WETH = { ltv_bps = 9000, liquidation_threshold_bps = 9600 } }\n",
    );
    assert_eq!(
        error_of(&no_bonus),
        "chain polygon: the EVM deployment cannot represent reserve WETH of aave: a liquidation threshold of 9600 bps leaves no room for Aave's liquidation bonus"
    );
    let native_lender = world_with("[lenders.arbitrum.aave]\nliquidity = { ETH = \"10\" }\n");
    assert!(error_of(&native_lender).contains("ETH at aave: Aave V3 reserves are ERC-20 tokens"));
    let fee = World::parse(
        "[chains]\npolygon = { chain_id = 137 }\n[tokens]\nUSDC = { decimals = 6 }\n[protocols]\ncheap = { kind = \"exchange\", fee_bps = 25 }\n",
        "fee.toml",
    )
    .expect("parses");
    assert_eq!(
        error_of(&fee),
        "chain polygon: the EVM deployment cannot represent exchange cheap: its fee is 25 bps, and Uniswap V2's bytecode charges 30"
    );
}

#[test]
fn a_snapshot_restores_a_chain_block_and_all() {
    use mesh_evm::calls;
    use mesh_evm::Tx;
    let world = World::default_world();
    let mut evm = deploy(&world, Holder::Wallet).expect("deploys");
    let wallet = evm.accounts.wallet;
    let usdc = evm.contracts("base").expect("base").tokens["USDC"]
        .address()
        .expect("an ERC-20");
    let chain = evm.chain_mut("base").expect("base");
    let saved = chain.snapshot();
    let before = chain.block();
    chain.next_block(2).expect("block");
    let r = chain
        .execute(&Tx::call(wallet, usdc, calls::transfer(usdc, 5)))
        .expect("runs");
    assert!(r.is_success());
    assert_eq!(chain.nonce(wallet), 1);
    assert!(chain.set_block(1, 0).is_err(), "blocks never go back");
    chain.restore(saved);
    assert_eq!(chain.block(), before);
    assert_eq!(chain.nonce(wallet), 0);
    assert_eq!(evm.read_world(&world).expect("reads"), world);
}
