//! Lending: loans (ordinary and flash) and the obligations they open,
//! repayment with its premium, and deposits into and withdrawals from a
//! lender. A loan left open as the user's debt, and what a position must
//! be for a borrow or a withdrawal, are in `positions`.

use super::approvals::SpenderKey;
use super::{CallResult, Named, Session};
use crate::gas::{Charged, Operation, Sender};
use crate::journal::LenderBalance;
use crate::maths;
use crate::registry::{ChainId, ProtocolId, ProtocolKind, TokenId};
use crate::report::Call;
use mesh_core::account::LoanKind;
use mesh_core::loc::Loc;
use mesh_core::revert::{reason, Revert};

#[derive(Clone, Debug)]
pub(super) struct Obligation {
    pub(super) kind: LoanKind,
    pub(super) principal: u128,
    pub(super) premium: u128,
    pub(super) loc: Loc,
    /// The transaction a flash loan was taken in.
    pub(super) tx_index: usize,
}

impl Session {
    /// The obligation first in the order of names (chain, protocol, token)
    /// among those `pick` accepts.
    pub(super) fn first_obligation(
        &self,
        pick: impl Fn(&Obligation) -> bool,
    ) -> Option<(ChainId, ProtocolId, TokenId, &Obligation)> {
        self.obligations
            .iter()
            .filter(|(_, o)| pick(o))
            .min_by(|((c1, p1, t1), _), ((c2, p2, t2), _)| {
                (
                    self.chain_name(*c1),
                    self.protocol_name(*p1),
                    self.token_name(*t1),
                )
                    .cmp(&(
                        self.chain_name(*c2),
                        self.protocol_name(*p2),
                        self.token_name(*t2),
                    ))
            })
            .map(|((c, p, t), o)| (*c, *p, *t, o))
    }

    /// What a lender action acts on, checked in this order: the open
    /// transaction (its chain and sender), the lender there, the token there.
    pub(super) fn lender_action(
        &self,
        what: &str,
        protocol: impl Named<ProtocolId>,
        token: impl Named<TokenId>,
    ) -> CallResult<(ChainId, Sender, ProtocolId, TokenId)> {
        let (chain, sender) = self.open_tx(what)?;
        let protocol = self.protocol_on(chain, protocol, ProtocolKind::Lender)?;
        let token = self.token_on(chain, token)?;
        self.only_token(
            chain,
            token,
            &format!("the lender {}", self.protocol_name(protocol)),
        )?;
        Ok((chain, sender, protocol, token))
    }

    pub(super) fn lender_balance(
        &self,
        chain: ChainId,
        protocol: ProtocolId,
        balance: LenderBalance,
        token: TokenId,
    ) -> u128 {
        self.world
            .lender(self.chain_name(chain), self.protocol_name(protocol))
            .and_then(|l| match balance {
                LenderBalance::Liquidity => l.liquidity.get(self.token_name(token)),
                LenderBalance::Deposit => l.deposits.get(self.token_name(token)),
                LenderBalance::Debt => l.debts.get(self.token_name(token)),
            })
            .copied()
            .unwrap_or(0)
    }

    /// Sets the lender's liquidity of a token, journaled.
    pub(super) fn set_liquidity(
        &mut self,
        at: (ChainId, ProtocolId, TokenId),
        value: u128,
    ) -> CallResult<()> {
        self.set_lender_balance(at, LenderBalance::Liquidity, value)
    }

    /// Sets the user's deposit of a token at the lender from `old` to
    /// `value`, journaled; the first change keeps `old` for the report.
    pub(super) fn set_deposit(
        &mut self,
        at: (ChainId, ProtocolId, TokenId),
        old: u128,
        value: u128,
    ) -> CallResult<()> {
        self.deposits_before.entry(at, || old);
        self.set_lender_balance(at, LenderBalance::Deposit, value)
    }

    pub(super) fn set_lender_balance(
        &mut self,
        (chain, protocol, token): (ChainId, ProtocolId, TokenId),
        balance: LenderBalance,
        value: u128,
    ) -> CallResult<()> {
        self.journal
            .set_lender(&mut self.world, chain, protocol, balance, token, value)
            .map_err(|e| self.not_in_world(e))
    }

    /// `borrow A from P`: opens an obligation of `amount`; a flash loan
    /// also owes the protocol's premium on it ([`Session::flash_premium`]),
    /// an ordinary loan none. A loan left open as the user's debt
    /// (`LoanKind::Debt`) opens no obligation: the user's debt at the
    /// lender grows instead (`positions`). Returns `amount`.
    pub fn borrow(
        &mut self,
        protocol: impl Named<ProtocolId>,
        token: impl Named<TokenId>,
        amount: u128,
        kind: LoanKind,
    ) -> CallResult<u128> {
        self.step(|s| {
            let (chain, sender, protocol, token) = s.lender_action("a borrow", protocol, token)?;
            if kind == LoanKind::Flash {
                s.check_flash_loans(sender, protocol)?;
            }
            if kind == LoanKind::Debt {
                return s.borrow_debt(chain, sender, protocol, token, amount);
            }
            s.open_loan(chain, protocol, token, amount, kind, |s| {
                if kind == LoanKind::Flash {
                    let contract = s.token_contract(chain, token);
                    let tokens = [contract];
                    let op_gas = s
                        .schedule
                        .operation(sender, &Operation::FlashLoan { tokens: &tokens });
                    s.meter_flash_loan(protocol, token, contract, op_gas)
                } else {
                    s.meter_pool_call(chain, sender, protocol, token, |token| Operation::Borrow {
                        token,
                    })
                }
            })
        })
    }

    /// Flash loans of several different tokens from one lender in one call
    /// (Aave V3's multi-asset `flashLoan`): executor only, each loan exactly
    /// the one `borrow` would take as a flash loan, and all or nothing on
    /// its own — a loan that fails is reported at its own location (the
    /// statement it came from), lends nothing, and the others are still
    /// taken. Only gas differs: the first loan taken pays the call,
    /// `flash_loan` and `flash_loan_multi_asset`, each further one
    /// `flash_loan_extra_asset`. Returns what each loan lends (`None` for
    /// one that failed); an error only when the call itself cannot be made.
    pub fn flash_loan<T: Named<TokenId>>(
        &mut self,
        protocol: impl Named<ProtocolId>,
        loans: &[(T, u128, Loc)],
    ) -> CallResult<Vec<Option<u128>>> {
        if let Some(&(_, _, first)) = loans.first() {
            self.at(first);
        }
        let (chain, protocol) = self.step(|s| {
            let (chain, sender) = s.open_tx("a flash loan")?;
            let protocol = s.protocol_on(chain, protocol, ProtocolKind::Lender)?;
            s.check_flash_loans(sender, protocol)?;
            if loans.len() < 2 {
                return Err(s.revert_value("a multi-asset flash loan takes two or more tokens"));
            }
            let mut tokens = Vec::with_capacity(loans.len());
            for &(token, _, _) in loans {
                let token = s.token_on(chain, token)?;
                if tokens.contains(&token) {
                    return Err(s.revert_value(format!(
                        "a multi-asset flash loan names {} twice",
                        s.token_name(token)
                    )));
                }
                tokens.push(token);
            }
            Ok((chain, protocol))
        })?;
        let mut lent = vec![None; loans.len()];
        // Loans of nothing are no part of the call: the first that lends
        // something pays it.
        let mut taken = 0usize;
        for (slot, &(token, amount, loc)) in lent.iter_mut().zip(loans) {
            self.at(loc);
            let first = taken == 0;
            let part = self.step(|s| {
                s.open_tx("a flash loan")?;
                let token = s.token_on(chain, token)?;
                let contract = s.token_contract(chain, token);
                let first_gas = s
                    .schedule
                    .flash_loan_of(contract)
                    .saturating_add(s.schedule.flash_loan_multi_asset);
                let further_gas = s.schedule.flash_loan_extra(contract);
                s.open_loan(chain, protocol, token, amount, LoanKind::Flash, |s| {
                    if first {
                        s.meter_flash_loan(protocol, token, contract, first_gas)
                    } else {
                        Ok(s.meter_flash_loan_asset(protocol, token, contract, further_gas))
                    }
                })
            });
            if let Ok(amount) = part {
                *slot = Some(amount);
                if amount > 0 {
                    taken += 1;
                }
            }
        }
        Ok(lent)
    }

    /// The premium `protocol` charges on a flash loan of `amount`
    /// ([`maths::flash_premium`] at its `premium_bps`; none for a protocol
    /// the world does not know). What a flash loan's obligation owes
    /// beyond its principal, and so what the code the compiler generates
    /// carries on the loan's obligation wire.
    pub fn flash_premium(
        &self,
        protocol: impl Named<ProtocolId>,
        amount: u128,
    ) -> CallResult<u128> {
        match protocol.resolve(&self.world.registry) {
            Ok(id) => self.premium_on(id, amount),
            Err(_) => Ok(0),
        }
    }

    fn premium_on(&self, protocol: ProtocolId, amount: u128) -> CallResult<u128> {
        let premium_bps = self
            .world
            .registry
            .protocol_at(protocol)
            .map_or(0, |p| p.premium_bps);
        maths::flash_premium(amount, premium_bps).map_err(|e| self.revert_value(e.to_string()))
    }

    /// Refuses a flash loan from `protocol` where it offers none, or sent
    /// from the wallet.
    fn check_flash_loans(&self, sender: Sender, protocol: ProtocolId) -> CallResult<()> {
        let flash_loans = self
            .world
            .registry
            .protocol_at(protocol)
            .is_some_and(|p| p.flash_loans);
        if !flash_loans {
            return Err(self.revert_value(format!(
                "{} offers no flash loans",
                self.protocol_name(protocol)
            )));
        }
        if sender != Sender::Executor {
            return Err(
                self.revert_value("a flash loan needs the executor (it calls back a contract)")
            );
        }
        Ok(())
    }

    /// Takes one loan of `amount` of `token` from `protocol` on `chain`:
    /// checks the lender's liquidity and that no loan of another kind is
    /// open, meters the call with `meter`, opens or extends the
    /// obligation (principal and premium) and hands the amount to the
    /// bundle.
    fn open_loan(
        &mut self,
        chain: ChainId,
        protocol: ProtocolId,
        token: TokenId,
        amount: u128,
        kind: LoanKind,
        meter: impl FnOnce(&mut Session) -> CallResult<u64>,
    ) -> CallResult<u128> {
        let liquidity = self.lender_balance(chain, protocol, LenderBalance::Liquidity, token);
        if liquidity < amount {
            return Err(self.revert_value(format!(
                "insufficient liquidity: {} on {} can lend {}, the borrow needs {}",
                self.protocol_name(protocol),
                self.chain_name(chain),
                self.fmt(liquidity, token),
                self.fmt(amount, token)
            )));
        }
        let premium = match kind {
            LoanKind::Flash => self.premium_on(protocol, amount)?,
            LoanKind::Ordinary | LoanKind::Debt => 0,
        };
        // An ordinary loan is a collateralised borrow, from any lender: the
        // position must be able to carry it. A loan of nothing is no call.
        let moves = amount > 0;
        if Self::counts_in_position(kind) && moves {
            self.check_borrow(chain, protocol, token, amount)?;
            self.note_position(chain, protocol)?;
        }
        let key = (chain, protocol, token);
        let tx_index = self.transactions.len();
        let loc = self.loc;
        if let Some(existing) = self.obligations.get(key) {
            if existing.kind != kind || (kind == LoanKind::Flash && existing.tx_index != tx_index) {
                return Err(self.revert_value(format!(
                    "a loan of {} from {} on {} of another kind is already open",
                    self.token_name(token),
                    self.protocol_name(protocol),
                    self.chain_name(chain)
                )));
            }
        }
        let charged = match kind {
            LoanKind::Flash => Charged::First,
            LoanKind::Ordinary | LoanKind::Debt if moves => self.reserve_write(protocol, token),
            LoanKind::Ordinary | LoanKind::Debt => Charged::First,
        };
        let gas = if moves { meter(self)? } else { 0 };
        let overflow = || Revert {
            reason: reason::OVERFLOW.into(),
            loc,
        };
        let o = self.obligations.entry(key, || Obligation {
            kind,
            principal: 0,
            premium: 0,
            loc,
            tx_index,
        });
        o.principal = o.principal.checked_add(amount).ok_or_else(overflow)?;
        o.premium = o.premium.checked_add(premium).ok_or_else(overflow)?;
        self.set_liquidity((chain, protocol, token), liquidity - amount)?;
        if moves {
            self.receive(chain, token, amount, charged)?;
        }
        self.record(
            Call::Borrow {
                flash: kind == LoanKind::Flash,
                protocol: self.protocol_name(protocol).to_string(),
                token: self.token_name(token).to_string(),
                amount: self.amount(amount, token),
            },
            gas,
        );
        Ok(amount)
    }

    /// `repay A to P`: pays principal `amount`; the repay that leaves no
    /// principal owed also pays the obligation's premium (a flash loan's:
    /// Aave's pool pulls it with the principal when the loan ends), so a
    /// loan repaid in parts pays its premium once. Repaying more principal
    /// than is owed reverts.
    pub fn repay(
        &mut self,
        protocol: impl Named<ProtocolId>,
        token: impl Named<TokenId>,
        amount: u128,
    ) -> CallResult<()> {
        self.step(|s| {
            let (chain, sender, protocol, token) = s.lender_action("a repay", protocol, token)?;
            let key = (chain, protocol, token);
            let Some(owed) = s.obligations.get(key).cloned() else {
                return Err(s.revert_value(format!(
                    "nothing is owed to {} in {} on {}",
                    s.protocol_name(protocol),
                    s.token_name(token),
                    s.chain_name(chain)
                )));
            };
            if amount > owed.principal {
                return Err(s.revert_value(format!(
                    "repays {} to {} but only {} is owed",
                    s.fmt(amount, token),
                    s.protocol_name(protocol),
                    s.fmt(owed.principal, token)
                )));
            }
            if owed.kind == LoanKind::Flash && owed.tx_index != s.transactions.len() {
                return Err(
                    s.revert_value("a flash loan is repaid in the transaction that took it")
                );
            }
            let premium = if amount == owed.principal {
                owed.premium
            } else {
                0
            };
            let total = amount
                .checked_add(premium)
                .ok_or_else(|| s.revert_value(reason::OVERFLOW))?;
            let gas = match owed.kind {
                // The pool pulls a flash loan's repayment inside
                // flashLoanSimple, after the loan's payout: no call of its
                // own.
                LoanKind::Flash => {
                    if total > 0 {
                        s.pay(chain, token, total, "repay", Charged::Again)?;
                        s.use_approval(chain, sender, token, SpenderKey::Protocol(protocol))?;
                    }
                    s.meter_flash_loan_repaid(protocol, token);
                    0
                }
                // An obligation is never a loan left as debt (that opens
                // none).
                LoanKind::Ordinary | LoanKind::Debt => {
                    s.pay_into_pool((chain, sender, protocol, token), total, "repay", |token| {
                        Operation::Repay { token }
                    })?
                }
            };
            let liquidity = s.lender_balance(chain, protocol, LenderBalance::Liquidity, token);
            let new_liquidity = liquidity
                .checked_add(total)
                .ok_or_else(|| s.revert_value(reason::OVERFLOW))?;
            s.set_liquidity((chain, protocol, token), new_liquidity)?;
            let mut repaid = false;
            if let Some(o) = s.obligations.get_mut(key) {
                o.principal -= amount;
                o.premium -= premium;
                repaid = o.principal == 0;
            }
            if repaid {
                s.obligations.remove(key);
            }
            s.record(
                Call::Repay {
                    flash: owed.kind == LoanKind::Flash,
                    protocol: s.protocol_name(protocol).to_string(),
                    token: s.token_name(token).to_string(),
                    amount: s.amount(amount, token),
                    premium: s.amount(premium, token),
                },
                gas,
            );
            Ok(())
        })
    }

    /// `deposit A into P`: the user's deposit and the lender's liquidity grow.
    pub fn deposit(
        &mut self,
        protocol: impl Named<ProtocolId>,
        token: impl Named<TokenId>,
        amount: u128,
    ) -> CallResult<()> {
        self.step(|s| {
            let (chain, sender, protocol, token) = s.lender_action("a deposit", protocol, token)?;
            let deposit = s.lender_balance(chain, protocol, LenderBalance::Deposit, token);
            let liquidity = s.lender_balance(chain, protocol, LenderBalance::Liquidity, token);
            let (Some(new_deposit), Some(new_liquidity)) =
                (deposit.checked_add(amount), liquidity.checked_add(amount))
            else {
                return Err(s.revert_value(reason::OVERFLOW));
            };
            let gas = s.pay_into_pool(
                (chain, sender, protocol, token),
                amount,
                "deposit",
                |token| Operation::Deposit { token },
            )?;
            s.set_deposit((chain, protocol, token), deposit, new_deposit)?;
            s.set_liquidity((chain, protocol, token), new_liquidity)?;
            s.record(
                Call::Deposit {
                    protocol: s.protocol_name(protocol).to_string(),
                    token: s.token_name(token).to_string(),
                    amount: s.amount(amount, token),
                },
                gas,
            );
            Ok(())
        })
    }

    /// A call that pays `amount` of `token` from the holdings into
    /// `protocol`'s pool (a deposit, a repayment of the user's debt): the
    /// sender's balance written, the pool's pull under its approval, the
    /// position noted, the call metered as `operation`. A payment of
    /// nothing is no call (Aave refuses an amount of zero, and a plan
    /// sends none): nothing is charged. Returns the call's gas.
    pub(super) fn pay_into_pool(
        &mut self,
        (chain, sender, protocol, token): (ChainId, Sender, ProtocolId, TokenId),
        amount: u128,
        what: &str,
        operation: fn(crate::gas::TokenContract) -> Operation<'static>,
    ) -> CallResult<u64> {
        if amount == 0 {
            return Ok(0);
        }
        let charged = self.reserve_write(protocol, token);
        self.pay(chain, token, amount, what, charged)?;
        self.use_approval(chain, sender, token, SpenderKey::Protocol(protocol))?;
        self.note_position(chain, protocol)?;
        self.meter_pool_call(chain, sender, protocol, token, operation)
    }

    /// `withdraw A from P`: needs the user's deposit and the lender's
    /// liquidity to cover `amount`, and leaves a position that owes nothing
    /// or has a health factor of at least 1. Returns `amount`.
    pub fn withdraw(
        &mut self,
        protocol: impl Named<ProtocolId>,
        token: impl Named<TokenId>,
        amount: u128,
    ) -> CallResult<u128> {
        self.step(|s| {
            let (chain, sender, protocol, token) = s.lender_action("a withdraw", protocol, token)?;
            let deposit = s.lender_balance(chain, protocol, LenderBalance::Deposit, token);
            let liquidity = s.lender_balance(chain, protocol, LenderBalance::Liquidity, token);
            if deposit < amount {
                return Err(s.revert_value(format!(
                    "insufficient deposit: the user has {} deposited at {} on {}; the withdraw needs {}",
                    s.fmt(deposit, token),
                    s.protocol_name(protocol),
                    s.chain_name(chain),
                    s.fmt(amount, token)
                )));
            }
            if liquidity < amount {
                return Err(s.revert_value(format!(
                    "insufficient liquidity: {} on {} has {} available; the withdraw needs {}",
                    s.protocol_name(protocol),
                    s.chain_name(chain),
                    s.fmt(liquidity, token),
                    s.fmt(amount, token)
                )));
            }
            if amount == 0 {
                // A withdrawal of nothing is no call: nothing is charged,
                // and no position changes.
                s.record(
                    Call::Withdraw {
                        protocol: s.protocol_name(protocol).to_string(),
                        token: s.token_name(token).to_string(),
                        amount: s.amount(0, token),
                    },
                    0,
                );
                return Ok(0);
            }
            s.note_position(chain, protocol)?;
            let charged = s.reserve_write(protocol, token);
            let gas =
                s.meter_pool_call(chain, sender, protocol, token, |token| Operation::Withdraw { token })?;
            s.set_deposit((chain, protocol, token), deposit, deposit - amount)?;
            s.set_liquidity((chain, protocol, token), liquidity - amount)?;
            // Aave V3's `validateHFAndLtv`: what is left must carry the debt.
            s.check_healthy(chain, protocol, "the withdrawal")?;
            if amount == deposit {
                s.deposit_emptied(chain, protocol);
            }
            s.receive(chain, token, amount, charged)?;
            s.record(
                Call::Withdraw {
                    protocol: s.protocol_name(protocol).to_string(),
                    token: s.token_name(token).to_string(),
                    amount: s.amount(amount, token),
                },
                gas,
            );
            Ok(amount)
        })
    }
}
