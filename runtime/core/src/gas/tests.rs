//! The schedule's own tests: its floor, and each operation's row.
use super::*;

#[test]
fn the_token_floor_is_below_every_contract() {
    let s = GasSchedule::default();
    let floor = s.token_floor();
    for token in [TokenContract::MintableErc20, TokenContract::Weth9] {
        for second in [false, true] {
            assert!(floor.bridge_batch_extra(token, second) <= s.bridge_batch_extra(token, second));
        }
        assert!(floor.transfer(token) <= s.transfer(token));
        assert!(floor.pair_swap_of(token) <= s.pair_swap_of(token));
        assert!(floor.flash_loan_extra(token) <= s.flash_loan_extra(token));
        // Less what the transaction around a call may save it.
        let (warm, approved) = (s.warm_token_saving(), s.approved_pull(token));
        let op = |o: Operation| s.operation(Sender::Executor, &o);
        let floor_op = |o: Operation| floor.operation(Sender::Executor, &o);
        for o in [Operation::Deposit { token }, Operation::Repay { token }] {
            assert!(floor_op(o.clone()) <= op(o) - warm - approved);
        }
        for o in [Operation::Borrow { token }, Operation::Withdraw { token }] {
            assert!(floor_op(o.clone()) <= op(o) - warm);
        }
        // Less what a position may take off a lender call's row, and
        // what earlier lender calls of its transaction may leave warm.
        let least = |o: Operation| {
            let mut p: Reserves<&str> = Reserves::default();
            p.call(&s, &o, "T", op(o.clone())).gas
        };
        let lender = s.lender_warm_pool + s.lender_warm_reserve;
        for o in [
            Operation::Borrow { token },
            Operation::Repay { token },
            Operation::Deposit { token },
            Operation::Withdraw { token },
        ] {
            assert!(floor_op(o.clone()) <= least(o.clone()) - warm - lender);
        }
        let lent = [token];
        let flash = Operation::FlashLoan { tokens: &lent };
        assert!(floor_op(flash.clone()) <= op(flash) - warm - approved - s.flash_loan_warm_pool);
        assert!(floor.pair_swap_of(token) <= s.pair_swap_of(token) - warm);
        assert!(
            floor_op(Operation::Approve { token }) <= op(Operation::Approve { token }) - approved
        );
        assert!(s.route_pull_floor() >= s.pull_saving(token) + warm + approved);
        assert!(
            floor.bridge_batch_extra(token, false) <= s.bridge_batch_extra(token, false) - approved
        );
    }
}

#[test]
fn weth9_saves_its_measured_pull_and_transfer_on_every_operation() {
    let s = GasSchedule::default();
    let (erc20, weth9) = (TokenContract::MintableErc20, TokenContract::Weth9);
    let op = |o: Operation| s.operation(Sender::Wallet, &o);
    assert_eq!(op(Operation::Approve { token: erc20 }), 25_540);
    assert_eq!(op(Operation::Approve { token: weth9 }), 25_343);
    // A router swap pulls its input and each pair sends its output.
    let usdc_weth = [erc20, weth9];
    let weth_usdc = [weth9, erc20];
    assert_eq!(
        op(Operation::Swap {
            path: &usdc_weth,
            returns: false
        }),
        82_607 - 304
    );
    assert_eq!(
        op(Operation::Swap {
            path: &weth_usdc,
            returns: false
        }),
        82_607 - 5_532
    );
    let direct = |path: &[TokenContract]| {
        s.operation(
            Sender::Executor,
            &Operation::Swap {
                path,
                returns: false,
            },
        )
    };
    assert_eq!(direct(&weth_usdc), 13_501 - 304 + 37_500);
    assert_eq!(direct(&usdc_weth), 13_501 + 37_500 - 304);
    // The pool pulls a repay and a deposit, pays out a borrow and a
    // withdrawal, and does both in a flash loan.
    assert_eq!(op(Operation::Repay { token: weth9 }), 138_053 - 5_532);
    assert_eq!(op(Operation::Deposit { token: weth9 }), 119_503 - 5_532);
    assert_eq!(op(Operation::Borrow { token: weth9 }), 191_618 - 304);
    assert_eq!(op(Operation::Withdraw { token: weth9 }), 127_765 - 304);
    let flash = |token| op(Operation::FlashLoan { tokens: &[token] });
    assert_eq!(flash(erc20) - flash(weth9), 5_532 + 304);
    assert_eq!(
        s.flash_loan_extra(erc20) - s.flash_loan_extra(weth9),
        5_532 + 304
    );
    assert_eq!(op(Operation::Repay { token: erc20 }), 138_053);
}

#[test]
fn only_the_last_pair_of_a_path_back_to_its_first_token_pays_it_back() {
    let back = ["USDC", "WETH", "DAI", "USDC"];
    let away = ["USDC", "WETH", "DAI", "USDT"];
    assert!(path_returns(&back) && !path_returns(&away));
    assert!(!pays_back(&back, 0) && !pays_back(&back, 1) && pays_back(&back, 2));
    assert!(!pays_back(&away, 2));
    assert!(!path_returns(&["USDC"]) && !pays_back(&["USDC"], 0));
}
