//! Calldata of the calls a transaction plan makes, one function per
//! contract function, so that a plan names what it calls rather than
//! spelling signatures. Amounts are in base units.

use revm::primitives::{Address, U256};

use crate::abi::{call, encode, Token};

/// One call of the executor's list: `MeshExecutor.Call`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InnerCall {
    pub target: Address,
    pub value: U256,
    pub data: Vec<u8>,
}

impl InnerCall {
    pub fn new(target: Address, data: Vec<u8>) -> InnerCall {
        InnerCall {
            target,
            value: U256::ZERO,
            data,
        }
    }

    fn token(&self) -> Token {
        Token::Tuple(vec![
            Token::Address(self.target),
            Token::Uint(self.value),
            Token::Bytes(self.data.clone()),
        ])
    }
}

fn calls_token(calls: &[InnerCall]) -> Token {
    Token::Array(calls.iter().map(InnerCall::token).collect())
}

/// `MeshExecutor.run(calls)`.
pub fn executor_run(calls: &[InnerCall]) -> Vec<u8> {
    call("run((address,uint256,bytes)[])", &[calls_token(calls)])
}

/// The `params` of a flash loan taken by the executor: the calls its
/// callback runs while the loan is out.
pub fn executor_callback_params(calls: &[InnerCall]) -> Vec<u8> {
    encode(&[calls_token(calls)])
}

/// ERC-20 `approve(spender, amount)`.
pub fn approve(spender: Address, amount: U256) -> Vec<u8> {
    call(
        "approve(address,uint256)",
        &[Token::Address(spender), Token::Uint(amount)],
    )
}

/// ERC-20 `transfer(to, amount)`.
pub fn transfer(to: Address, amount: u128) -> Vec<u8> {
    call(
        "transfer(address,uint256)",
        &[Token::Address(to), Token::uint(amount)],
    )
}

/// ERC-20 `balanceOf(account)`.
/// ERC-20 `transferFrom(from, to, amount)`.
pub fn transfer_from(from: Address, to: Address, amount: u128) -> Vec<u8> {
    call(
        "transferFrom(address,address,uint256)",
        &[
            Token::Address(from),
            Token::Address(to),
            Token::uint(amount),
        ],
    )
}

pub fn balance_of(account: Address) -> Vec<u8> {
    call("balanceOf(address)", &[Token::Address(account)])
}

/// WETH9 `deposit()` (send the ether as the call's value).
pub fn weth_deposit() -> Vec<u8> {
    call("deposit()", &[])
}

/// WETH9 `withdraw(amount)`.
pub fn weth_withdraw(amount: u128) -> Vec<u8> {
    call("withdraw(uint256)", &[Token::uint(amount)])
}

/// Router02 `swapExactTokensForTokens(amountIn, amountOutMin, path, to,
/// deadline)`.
pub fn router_swap_exact_tokens_for_tokens(
    amount_in: u128,
    amount_out_min: u128,
    path: &[Address],
    to: Address,
    deadline: u64,
) -> Vec<u8> {
    call(
        "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
        &[
            Token::uint(amount_in),
            Token::uint(amount_out_min),
            Token::Array(path.iter().map(|&a| Token::Address(a)).collect()),
            Token::Address(to),
            Token::uint(u128::from(deadline)),
        ],
    )
}

/// `UniswapV2Pair.swap(amount0Out, amount1Out, to, "")`: the pair sends
/// its output to `to` (the next pair of a chained swap, or the recipient).
pub fn pair_swap(amount0_out: u128, amount1_out: u128, to: Address) -> Vec<u8> {
    call(
        "swap(uint256,uint256,address,bytes)",
        &[
            Token::uint(amount0_out),
            Token::uint(amount1_out),
            Token::Address(to),
            Token::Bytes(Vec::new()),
        ],
    )
}

/// `UniswapV2Pair.getReserves()`.
pub fn pair_get_reserves() -> Vec<u8> {
    call("getReserves()", &[])
}

/// Aave V3 `Pool.supply(asset, amount, onBehalfOf, 0)`.
pub fn aave_supply(asset: Address, amount: u128, on_behalf_of: Address) -> Vec<u8> {
    call(
        "supply(address,uint256,address,uint16)",
        &[
            Token::Address(asset),
            Token::uint(amount),
            Token::Address(on_behalf_of),
            Token::uint(0),
        ],
    )
}

/// Aave V3's variable interest rate mode.
pub const VARIABLE_RATE: u128 = 2;

/// Aave V3 `Pool.borrow(asset, amount, variable, 0, onBehalfOf)`.
pub fn aave_borrow(asset: Address, amount: u128, on_behalf_of: Address) -> Vec<u8> {
    call(
        "borrow(address,uint256,uint256,uint16,address)",
        &[
            Token::Address(asset),
            Token::uint(amount),
            Token::uint(VARIABLE_RATE),
            Token::uint(0),
            Token::Address(on_behalf_of),
        ],
    )
}

/// Aave V3 `Pool.repay(asset, amount, variable, onBehalfOf)`.
pub fn aave_repay(asset: Address, amount: u128, on_behalf_of: Address) -> Vec<u8> {
    call(
        "repay(address,uint256,uint256,address)",
        &[
            Token::Address(asset),
            Token::uint(amount),
            Token::uint(VARIABLE_RATE),
            Token::Address(on_behalf_of),
        ],
    )
}

/// Aave V3 `Pool.withdraw(asset, amount, to)`.
pub fn aave_withdraw(asset: Address, amount: u128, to: Address) -> Vec<u8> {
    call(
        "withdraw(address,uint256,address)",
        &[
            Token::Address(asset),
            Token::uint(amount),
            Token::Address(to),
        ],
    )
}

/// Aave V3 `Pool.flashLoanSimple(receiver, asset, amount, params, 0)`.
pub fn aave_flash_loan_simple(
    receiver: Address,
    asset: Address,
    amount: u128,
    params: Vec<u8>,
) -> Vec<u8> {
    call(
        "flashLoanSimple(address,address,uint256,bytes,uint16)",
        &[
            Token::Address(receiver),
            Token::Address(asset),
            Token::uint(amount),
            Token::Bytes(params),
            Token::uint(0),
        ],
    )
}

/// Aave V3 `Pool.flashLoan(receiver, assets, amounts, modes, onBehalfOf,
/// params, 0)` with every mode 0: each asset repaid within the call.
pub fn aave_flash_loan(receiver: Address, loans: &[(Address, u128)], params: Vec<u8>) -> Vec<u8> {
    call(
        "flashLoan(address,address[],uint256[],uint256[],address,bytes,uint16)",
        &[
            Token::Address(receiver),
            Token::Array(loans.iter().map(|&(a, _)| Token::Address(a)).collect()),
            Token::Array(loans.iter().map(|&(_, v)| Token::uint(v)).collect()),
            Token::Array(loans.iter().map(|_| Token::uint(0)).collect()),
            Token::Address(receiver),
            Token::Bytes(params),
            Token::uint(0),
        ],
    )
}

/// `MeshBridge.lock(token, amount, toChain, recipient)`.
pub fn bridge_lock(token: Address, amount: u128, to_chain: u64, recipient: Address) -> Vec<u8> {
    call(
        "lock(address,uint256,uint256,address)",
        &[
            Token::Address(token),
            Token::uint(amount),
            Token::uint(u128::from(to_chain)),
            Token::Address(recipient),
        ],
    )
}

/// `MeshBridge.lockBatch(tokens, amounts, toChain, recipient)`.
pub fn bridge_lock_batch(
    transfers: &[(Address, u128)],
    to_chain: u64,
    recipient: Address,
) -> Vec<u8> {
    call(
        "lockBatch(address[],uint256[],uint256,address)",
        &[
            Token::Array(transfers.iter().map(|&(a, _)| Token::Address(a)).collect()),
            Token::Array(transfers.iter().map(|&(_, v)| Token::uint(v)).collect()),
            Token::uint(u128::from(to_chain)),
            Token::Address(recipient),
        ],
    )
}

/// `MeshBridge.release(fromChain, lock, token, recipient, amount)`.
pub fn bridge_release(
    from_chain: u64,
    lock: u128,
    token: Address,
    recipient: Address,
    amount: u128,
) -> Vec<u8> {
    call(
        "release(uint256,uint256,address,address,uint256)",
        &[
            Token::uint(u128::from(from_chain)),
            Token::uint(lock),
            Token::Address(token),
            Token::Address(recipient),
            Token::uint(amount),
        ],
    )
}
