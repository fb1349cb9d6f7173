// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

/// @title The user's executor: a smart wallet that runs a list of calls.
/// @notice The optimised level of a Mesh bundle sends each transaction to
/// this contract. Only its owner (the user's wallet) may run calls through
/// it. Everything an action does is an ordinary call the plan lists:
///
/// - a direct Uniswap V2 swap is `token.transfer(pair, amountIn)` followed
///   by `pair.swap(amount0Out, amount1Out, to, "")` per hop, where `to` is
///   the next pair — of the same exchange or of another Uniswap V2 fork —
///   so one pair's output goes straight into the next, and the last hop's
///   `to` is this executor;
/// - a lender action is a call to the lender's pool (`supply`, `borrow`,
///   `repay`, `withdraw`), after an `approve` where the pool pulls tokens;
/// - a flash loan is a call to Aave V3's `flashLoanSimple` or `flashLoan`
///   with this executor as the receiver and, as `params`, the ABI encoding
///   of the calls to run while the loan is out; the pool then calls back
///   `executeOperation`, which runs them. The pool pulls the repayment
///   (principal and premium) with `transferFrom`, so the calls must include
///   the `approve` of the pool.
///
/// A failing call reverts the whole transaction with `CallFailed(index,
/// reason)`, where `reason` is the callee's own revert data, so a revert
/// inside a flash loan reads `CallFailed(i, CallFailed(j, reason))`: the
/// path of indices leads back to the plan's call, and so to the bundle's
/// line.
contract MeshExecutor {
    /// One call: its target, the ether it sends, and its calldata.
    struct Call {
        address target;
        uint256 value;
        bytes data;
    }

    /// The only account that may run calls: the user's wallet.
    address public immutable owner;

    /// The contract this executor is calling right now. A flash-loan
    /// callback is accepted only from it, and only for a loan this executor
    /// initiated: no one else can make the executor run calls. Transient
    /// (EIP-1153): it lasts one transaction and costs no storage.
    address private transient callee;

    /// The caller is not the owner.
    error NotOwner(address caller);
    /// A flash-loan callback that this executor did not ask for.
    error UnexpectedCallback(address caller, address initiator);
    /// Call number `index` of the list reverted with `reason`.
    error CallFailed(uint256 index, bytes reason);

    constructor(address owner_) {
        owner = owner_;
    }

    /// Ether arrives from WETH9's `withdraw` and from the owner.
    receive() external payable {}

    /// Runs `calls` in order; any failure reverts them all.
    function run(Call[] calldata calls) external payable {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        address outer = callee;
        for (uint256 i = 0; i < calls.length; ++i) {
            Call calldata c = calls[i];
            callee = c.target;
            (bool ok, bytes memory reason) = c.target.call{value: c.value}(c.data);
            if (!ok) revert CallFailed(i, reason);
        }
        callee = outer;
    }

    /// Aave V3's callback of `flashLoanSimple`: the loan has arrived; run
    /// the calls encoded in `params`.
    function executeOperation(
        address,
        uint256,
        uint256,
        address initiator,
        bytes calldata params
    ) external returns (bool) {
        _callback(initiator, params);
        return true;
    }

    /// Aave V3's callback of the multi-asset `flashLoan`: every asset has
    /// arrived; run the calls encoded in `params`.
    function executeOperation(
        address[] calldata,
        uint256[] calldata,
        uint256[] calldata,
        address initiator,
        bytes calldata params
    ) external returns (bool) {
        _callback(initiator, params);
        return true;
    }

    function _callback(address initiator, bytes calldata params) private {
        if (msg.sender != callee || initiator != address(this)) {
            revert UnexpectedCallback(msg.sender, initiator);
        }
        _run(abi.decode(params, (Call[])));
    }

    /// As `run`, over calls decoded into memory. A callback runs inside a
    /// call of the outer list: the outer callee is restored afterwards.
    function _run(Call[] memory calls) private {
        address outer = callee;
        for (uint256 i = 0; i < calls.length; ++i) {
            Call memory c = calls[i];
            callee = c.target;
            (bool ok, bytes memory reason) = c.target.call{value: c.value}(c.data);
            if (!ok) revert CallFailed(i, reason);
        }
        callee = outer;
    }
}
