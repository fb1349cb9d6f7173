// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

interface IERC20 {
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

/// @title One of the model's bridges: one contract per chain and route kind.
/// @notice The mathematical model's three kinds of bridge route — `htlb`
/// (hash time-locked), `zk` (a proof) and `threshold` (a signer set) —
/// differ, for a bundle, in their delay, fee and trust, not in what they do
/// to balances: a transfer is locked on the sending chain, and after the
/// route's delay the amount less the route's fee arrives on the other.
/// This contract is that model, not a production bridge: it verifies no
/// proof and no signature; the relayer (the engine that runs the chains)
/// delivers each lock as a release on the destination chain's bridge of
/// the same kind once the route's delay has passed, and only it may.
///
/// The fee is `ceil(amount * feeBps / 10_000)` and stays locked with the
/// rest on the sending chain. The destination bridge pays the arriving
/// amount out of the float it holds of that token.
///
/// A `zk` proof or a `threshold` signature set can cover several transfers:
/// `lockBatch` locks them as one message. A hash time-lock covers one
/// transfer, so on an `htlb` bridge `lockBatch` reverts.
contract MeshBridge {
    enum Kind {
        Htlb,
        Zk,
        Threshold
    }

    /// The route to one destination chain.
    struct Route {
        bool open;
        uint32 delayBlocks;
        uint16 feeBps;
    }

    /// This bridge's kind.
    Kind public immutable kind;
    /// The only account that may configure routes and release transfers.
    address public immutable relayer;
    /// The routes served, by destination EIP-155 chain id.
    mapping(uint256 => Route) public routes;
    /// The number the next lock here takes. Numbers start at 1, so this
    /// slot is never zero: every lock then rewrites a non-zero value, and
    /// costs the same gas whatever locks came before it (a write from zero
    /// costs 17,100 more, EIP-2200 and EIP-2929), which lets a route's gas
    /// be one figure.
    uint256 public nextLock = 1;
    /// Transfers released here, by (source chain id, lock number).
    mapping(uint256 => mapping(uint256 => bool)) public released;

    /// A transfer locked here for `toChain`: `arrives` reaches `recipient`
    /// there no earlier than `readyBlock` (a block of this chain's clock:
    /// this block plus the route's delay).
    event Locked(
        uint256 indexed lock,
        uint256 indexed toChain,
        address token,
        address from,
        address recipient,
        uint256 amount,
        uint256 fee,
        uint256 arrives,
        uint256 readyBlock
    );
    /// Lock `lock` of `fromChain` released here.
    event Released(
        uint256 indexed fromChain,
        uint256 indexed lock,
        address token,
        address recipient,
        uint256 amount
    );

    error NotRelayer(address caller);
    error NoRoute(uint256 toChain);
    error BadFee(uint16 feeBps);
    error NothingToBridge();
    error HashLockCoversOneTransfer();
    error LengthMismatch();
    error AlreadyReleased(uint256 fromChain, uint256 lock);
    error TransferFailed(address token);

    constructor(Kind kind_, address relayer_) {
        kind = kind_;
        relayer = relayer_;
    }

    modifier onlyRelayer() {
        if (msg.sender != relayer) revert NotRelayer(msg.sender);
        _;
    }

    /// Opens (or changes) the route to `toChain`.
    function setRoute(uint256 toChain, uint32 delayBlocks, uint16 feeBps) external onlyRelayer {
        if (feeBps > 10_000) revert BadFee(feeBps);
        routes[toChain] = Route(true, delayBlocks, feeBps);
    }

    /// Locks `amount` of `token` from the caller (who must have approved
    /// this bridge) for `recipient` on `toChain`. Returns the lock number.
    function lock(address token, uint256 amount, uint256 toChain, address recipient)
        external
        returns (uint256)
    {
        Route memory route = _route(toChain);
        return _lock(route, token, amount, toChain, recipient);
    }

    /// Locks several transfers as one message (not on an `htlb` bridge).
    function lockBatch(
        address[] calldata tokens,
        uint256[] calldata amounts,
        uint256 toChain,
        address recipient
    ) external {
        if (kind == Kind.Htlb) revert HashLockCoversOneTransfer();
        if (tokens.length != amounts.length) revert LengthMismatch();
        Route memory route = _route(toChain);
        for (uint256 i = 0; i < tokens.length; ++i) {
            _lock(route, tokens[i], amounts[i], toChain, recipient);
        }
    }

    /// Pays lock `lockNumber` of `fromChain` out to `recipient`: `amount`
    /// is what arrives (the locked amount less the fee). Once per lock.
    function release(
        uint256 fromChain,
        uint256 lockNumber,
        address token,
        address recipient,
        uint256 amount
    ) external onlyRelayer {
        if (released[fromChain][lockNumber]) revert AlreadyReleased(fromChain, lockNumber);
        released[fromChain][lockNumber] = true;
        if (!IERC20(token).transfer(recipient, amount)) revert TransferFailed(token);
        emit Released(fromChain, lockNumber, token, recipient, amount);
    }

    function _route(uint256 toChain) private view returns (Route memory route) {
        route = routes[toChain];
        if (!route.open) revert NoRoute(toChain);
    }

    function _lock(
        Route memory route,
        address token,
        uint256 amount,
        uint256 toChain,
        address recipient
    ) private returns (uint256 number) {
        if (amount == 0) revert NothingToBridge();
        if (!IERC20(token).transferFrom(msg.sender, address(this), amount)) {
            revert TransferFailed(token);
        }
        // Rounded up, as the model's fee: ceil(amount * feeBps / 10_000).
        uint256 fee = (amount * route.feeBps + 9_999) / 10_000;
        number = nextLock++;
        emit Locked(
            number,
            toChain,
            token,
            msg.sender,
            recipient,
            amount,
            fee,
            amount - fee,
            block.number + route.delayBlocks
        );
    }
}
