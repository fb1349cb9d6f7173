//! Aave V3's own bytecode (`@aave/core-v3` 1.19.3, deployed from the
//! world) values positions exactly as the model's `mesh_core::health`
//! does: `getUserAccountData` gives the same collateral, debt, average
//! loan-to-value, average liquidation threshold and health factor, to the
//! last unit; and the pool refuses a borrow exactly where the model's
//! `validate_borrow` does.

use mesh_core::health::{self, AccountData, Balance, Collateral, HealthFactor};
use mesh_evm::abi::{call, uint_at, Token};
use mesh_evm::calls;
use mesh_evm::{DeployOptions, EvmWorld, Holder, Receipt, Status, Tx};
use mesh_runtime::world::World;
use revm::primitives::{Address, U256};

fn deploy(world: &World) -> EvmWorld {
    let options = DeployOptions {
        holder: Holder::Wallet,
        ..DeployOptions::default()
    };
    EvmWorld::deploy(world, &options).expect("deploys")
}

/// `getUserAccountData(holder)`: (collateral, debt, available, threshold,
/// ltv, health factor).
fn aave_account(evm: &mut EvmWorld, chain: &str) -> [U256; 6] {
    let c = evm.contracts(chain).expect("chain").clone();
    let pool = c.lenders["aave"].pool;
    let out = evm
        .chain_mut(chain)
        .expect("chain")
        .view(
            pool,
            call("getUserAccountData(address)", &[Token::Address(c.holder)]),
            "the holder's account",
        )
        .expect("a view");
    std::array::from_fn(|i| uint_at(&out, i).expect("six words"))
}

/// The model's valuation of the world's position at `lender` on `chain`.
fn model_account(world: &World, chain: &str, lender: &str) -> AccountData {
    let l = world.lender(chain, lender).cloned().unwrap_or_default();
    let decimals = |t: &str| world.registry.token(t).map_or(0, |t| t.decimals);
    let collateral: Vec<Collateral> = l
        .deposits
        .iter()
        .filter_map(|(t, &amount)| {
            Some(Collateral {
                balance: Balance {
                    amount,
                    decimals: decimals(t),
                    price: world.price(t)?,
                },
                risk: l.risk.get(t).copied(),
            })
        })
        .collect();
    let debts: Vec<Balance> = l
        .debts
        .iter()
        .map(|(t, &amount)| Balance {
            amount,
            decimals: decimals(t),
            price: world.price(t).expect("a debt has a price"),
        })
        .collect();
    health::account_data(&collateral, &debts).expect("fits")
}

fn u(v: mesh_core::u256::U256) -> U256 {
    let text = health::wad_text(v, 18).replace('.', "");
    text.trim_start_matches('0')
        .parse::<U256>()
        .unwrap_or(U256::ZERO)
}

fn assert_same(evm: [U256; 6], model: &AccountData, what: &str) {
    assert_eq!(evm[0], u(model.collateral), "{what}: collateral");
    assert_eq!(evm[1], u(model.debt), "{what}: debt");
    assert_eq!(
        evm[3],
        u(model.liquidation_threshold_bps),
        "{what}: threshold"
    );
    assert_eq!(evm[4], u(model.ltv_bps), "{what}: ltv");
    let hf = match model.health_factor {
        HealthFactor::NoDebt => U256::MAX,
        HealthFactor::Wad(w) => u(w),
    };
    assert_eq!(evm[5], hf, "{what}: health factor");
}

/// The default world's positions at aave: ethereum (20 WETH against
/// 30,000 USDC), arbitrum (5,000 USDC and 1 WBTC against 20,000 USDC, whose
/// average threshold rounds down from 7,721.43 bps), and polygon (10 WBTC
/// owing nothing: Aave's health factor is `type(uint256).max`).
#[test]
fn the_default_worlds_positions_are_valued_as_aave_values_them() {
    let world = World::default_world();
    let mut evm = deploy(&world);
    for chain in ["ethereum", "arbitrum"] {
        let model = model_account(&world, chain, "aave");
        assert!(matches!(model.health_factor, HealthFactor::Wad(_)));
        assert_same(aave_account(&mut evm, chain), &model, chain);
    }
    let polygon = model_account(&world, "polygon", "aave");
    assert!(!matches!(polygon.health_factor, HealthFactor::Wad(_)));
    assert_same(aave_account(&mut evm, "polygon"), &polygon, "polygon");
    let arbitrum = model_account(&world, "arbitrum", "aave");
    assert_eq!(arbitrum.liquidation_threshold_bps.to_u128(), Some(7_721));
    // The world reads back with its debts.
    assert_eq!(
        evm.read_world(&world).expect("reads").lenders,
        world.lenders
    );
}

fn send(evm: &mut EvmWorld, chain: &str, from: Address, to: Address, data: Vec<u8>) -> Receipt {
    evm.execute(chain, &Tx::call(from, to, data))
        .expect("the EVM runs it")
}

/// 10 WETH supplied on base, whose aave has no position: the model says
/// 20,000 USDC is the most the WETH carries at 80% (percentDiv(20,000e8,
/// 8,000) = 25,000e8, the collateral); the pool lends exactly that and
/// refuses one unit more with COLLATERAL_CANNOT_COVER_NEW_BORROW (36).
/// After a borrow of 12,600 both give a health factor of
/// 1.646825396825396825.
#[test]
fn the_pool_refuses_a_borrow_exactly_where_the_model_does() {
    let world = World::default_world();
    let chain = "base";
    for (amount, accepted) in [
        (12_600_000_000u128, true),
        (20_000_000_000, true),
        (20_000_000_001, false),
    ] {
        let mut evm = deploy(&world);
        let c = evm.contracts(chain).expect("chain").clone();
        let wallet = c.holder;
        let pool = c.lenders["aave"].pool;
        let weth = c.tokens["WETH"].address().expect("WETH");
        let usdc = c.tokens["USDC"].address().expect("USDC");
        let e18 = 10u128.pow(18);
        let ok = |r: Receipt| assert_eq!(r.status, Status::Success, "{r:?}");
        ok(send(
            &mut evm,
            chain,
            wallet,
            weth,
            calls::approve(pool, U256::MAX),
        ));
        ok(send(
            &mut evm,
            chain,
            wallet,
            pool,
            calls::aave_supply(weth, 10 * e18, wallet),
        ));
        let before = model_account(&positions(&world, 10 * e18, 0), chain, "aave");
        let value = health::value_in_base(Balance {
            amount,
            decimals: 6,
            price: world.price("USDC").expect("priced"),
        })
        .expect("fits");
        let model = health::validate_borrow(&before, value).expect("fits");
        assert_eq!(model.is_ok(), accepted, "the model on {amount}");
        let r = send(
            &mut evm,
            chain,
            wallet,
            pool,
            calls::aave_borrow(usdc, amount, wallet),
        );
        match (&r.status, accepted) {
            (Status::Success, true) => {
                let after = model_account(&positions(&world, 10 * e18, amount), chain, "aave");
                assert_same(aave_account(&mut evm, chain), &after, "after the borrow");
            }
            (Status::Revert { reason, .. }, false) => assert_eq!(reason, "36"),
            (status, _) => panic!("the pool on {amount}: {status:?}"),
        }
    }
}

/// The default world with the holder's position at aave on base set.
fn positions(world: &World, weth: u128, usdc_debt: u128) -> World {
    let mut w = world.clone();
    let lender = w
        .lenders
        .get_mut("base")
        .and_then(|l| l.get_mut("aave"))
        .expect("aave on base");
    lender.deposits.insert("WETH".into(), weth);
    if usdc_debt > 0 {
        lender.debts.insert("USDC".into(), usdc_debt);
    }
    w
}
