//! Bridges: one transfer to another chain, or several in one shared
//! message, each with its route's fee and delay.

use super::approvals::SpenderKey;
use super::tx::Account;
use super::{CallResult, Named, Session};
use crate::gas::{Charged, Moves, Operation, Sender};
use crate::registry::{BridgeKind, ChainId, TokenId};
use crate::report::{BridgeMessage, Call};
use mesh_core::loc::Loc;
use mesh_core::revert::reason;

impl Session {
    /// `bridge A to C via K`: takes `amount` from this chain's holding and
    /// adds `amount - fee` to `to`'s; the route's delay is added to the
    /// clock. Without a kind, the most trusted route (as -O0 lowers an
    /// unpinned bridge). Returns what arrives.
    pub fn bridge(
        &mut self,
        token: impl Named<TokenId>,
        amount: u128,
        to: impl Named<ChainId>,
        kind: Option<BridgeKind>,
    ) -> CallResult<u128> {
        self.step(|s| {
            let (chain, sender) = s.open_tx("a bridge")?;
            let token = s.token_on(chain, token)?;
            s.only_token(chain, token, "a bridge")?;
            let to = s.chain_id(to)?;
            s.check_on(to, token)?;
            let (chain_text, to_text) = (s.chain_name(chain), s.chain_name(to));
            if chain == to {
                return Err(s.revert_value(format!("a bridge from {chain_text} to itself")));
            }
            let route = match kind {
                Some(k) => s.world.registry.route(chain_text, to_text, k),
                None => s.world.registry.most_trusted_route(chain_text, to_text),
            };
            let Some(route) = route else {
                let via = kind.map(|k| format!(" via {k}")).unwrap_or_default();
                return Err(s.revert_value(format!(
                    "no bridge route from {chain_text} to {to_text}{via}"
                )));
            };
            let (route_kind, delay_blocks) = (route.kind, route.delay_blocks);
            let fee = route
                .fee_on(amount)
                .ok_or_else(|| s.revert_value(reason::OVERFLOW))?;
            let operation = Operation::Bridge {
                route,
                token: s.token_contract(chain, token),
            };
            let op = s.schedule.operation(sender, &operation);
            let moves = Moves::of(&operation, Account::Token(token));
            let delivered = amount - fee;
            // A transfer of nothing is no call: nothing is charged (the
            // route's delay still counts, as the static figures count it).
            let gas = if amount > 0 {
                s.pay(chain, token, amount, "bridge", Charged::First)?;
                s.use_approval(chain, sender, token, SpenderKey::Bridge(route_kind))?;
                s.meter_call_moving(Account::Bridge(route_kind), op, moves)?
            } else {
                0
            };
            s.add_holding(to, token, delivered)?;
            s.clock = s.tick(delay_blocks)?;
            s.elapse(chain, delay_blocks)?;
            s.record(
                Call::Bridge {
                    token: s.token_name(token).to_string(),
                    amount: s.amount(amount, token),
                    to: s.chain_name(to).to_string(),
                    kind: route_kind,
                    fee: s.amount(fee, token),
                    delay_blocks,
                    message: BridgeMessage::Own,
                },
                gas,
            );
            Ok(delivered)
        })
    }

    /// Bridges several transfers on one route in one message (one proof for
    /// `zk`, one signature set for `threshold`): executor only. Each transfer
    /// is exactly the one `bridge` would make (its fee, its route's delay on
    /// the clock, its arrival), and all or nothing on its own: a transfer
    /// that fails is reported at its own location (the statement it came
    /// from), delivers nothing, and the others are still made. Only gas
    /// differs: the first transfer made pays the route's call as `bridge`
    /// does, each further one `GasSchedule::bridge_batch_extra` (the
    /// second with the message's encoding) and an access to its token. An
    /// `htlb` route cannot carry a batch: each hash time-lock is its own
    /// contract. Returns what arrives, transfer by
    /// transfer (`None` for one that failed); an error only when the
    /// message itself cannot be sent.
    pub fn bridge_batch<T: Named<TokenId>>(
        &mut self,
        kind: BridgeKind,
        to: impl Named<ChainId>,
        transfers: &[(T, u128, Loc)],
    ) -> CallResult<Vec<Option<u128>>> {
        if let Some(&(_, _, first)) = transfers.first() {
            self.at(first);
        }
        let (chain, to, route, delay_blocks, fee_bps) = self.step(|s| {
            let (chain, sender) = s.open_tx("a bridge")?;
            if sender != Sender::Executor {
                return Err(s.revert_value("a shared bridge message needs the executor"));
            }
            if kind == BridgeKind::Htlb {
                return Err(s.revert_value(
                    "an htlb bridge cannot carry a shared message: each hash time-lock is its own contract",
                ));
            }
            if transfers.is_empty() {
                return Err(s.revert_value("a shared bridge message carries no transfer"));
            }
            let chain_text = s.chain_name(chain);
            // A destination the world does not know has no route.
            let to = match to.resolve(&s.world.registry) {
                Ok(to) => to,
                Err(name) => {
                    return Err(s.revert_value(format!(
                        "no bridge route from {chain_text} to {name} via {kind}"
                    )))
                }
            };
            let to_text = s.chain_name(to);
            if chain == to {
                return Err(s.revert_value(format!("a bridge from {chain_text} to itself")));
            }
            let Some(route) = s.world.registry.route(chain_text, to_text, kind) else {
                return Err(s.revert_value(format!(
                    "no bridge route from {chain_text} to {to_text} via {kind}"
                )));
            };
            Ok((chain, to, route.clone(), route.delay_blocks, route.fee_bps))
        })?;
        let mut arrived = vec![None; transfers.len()];
        let mut made = 0usize;
        for (slot, &(token, amount, loc)) in arrived.iter_mut().zip(transfers) {
            self.at(loc);
            let first = made == 0;
            let second = made == 1;
            let part = self.step(|s| {
                let sender = s.open_tx("a bridge")?.1;
                let token = s.token_on(chain, token)?;
                s.only_token(chain, token, "a bridge")?;
                s.check_on(to, token)?;
                let fee = crate::maths::bps_ceil(amount, fee_bps)
                    .ok_or_else(|| s.revert_value(reason::OVERFLOW))?;
                let delivered = amount - fee;
                let contract = s.token_contract(chain, token);
                // A transfer of nothing is no part of the message.
                let gas = if amount == 0 {
                    0
                } else {
                    s.pay(chain, token, amount, "bridge", Charged::First)?;
                    s.use_approval(chain, sender, token, SpenderKey::Bridge(kind))?;
                    if first {
                        let operation = Operation::Bridge {
                            route: &route,
                            token: contract,
                        };
                        let route_op = s.schedule.operation(sender, &operation);
                        let moves = Moves::of(&operation, Account::Token(token));
                        s.meter_call_moving(Account::Bridge(kind), route_op, moves)?
                    } else {
                        s.meter_batch_entry(token, kind, contract, second)
                    }
                };
                s.add_holding(to, token, delivered)?;
                s.clock = s.tick(delay_blocks)?;
                s.elapse(chain, delay_blocks)?;
                s.record(
                    Call::Bridge {
                        token: s.token_name(token).to_string(),
                        amount: s.amount(amount, token),
                        to: s.chain_name(to).to_string(),
                        kind,
                        fee: s.amount(fee, token),
                        delay_blocks,
                        message: if first {
                            BridgeMessage::SharedFirst
                        } else {
                            BridgeMessage::SharedFurther
                        },
                    },
                    gas,
                );
                Ok(delivered)
            });
            if let Ok(delivered) = part {
                *slot = Some(delivered);
                if amount > 0 {
                    made += 1;
                }
            }
        }
        Ok(arrived)
    }
}
