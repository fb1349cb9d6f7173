//! Swaps: a single swap, a path on one exchange, and a route of hops across
//! exchanges, with Uniswap V2's maths on each pair.

use smallvec::SmallVec;

use super::approvals::SpenderKey;
use super::tx::Account;
use super::{CallResult, Named, Session};
use crate::gas::{path_returns, pays_back, Charged, Moves, Operation, Sender, TokenContract};
use crate::maths::{self, constant_product, MathError};
use crate::registry::{ProtocolId, ProtocolKind, TokenId};
use crate::report::Call;
use crate::world::Pair;
use mesh_core::loc::Loc;
use mesh_core::revert::reason;

/// One hop of a swap route: the exchange whose pair it swaps on, the
/// token it buys, and the source location it comes from.
#[derive(Clone, Copy, Debug)]
pub struct SwapHop<E, T> {
    pub exchange: E,
    pub token_out: T,
    pub loc: Loc,
}

/// The pair of two tokens, keyed `(token0, token1)` as the world keys it
/// (by symbol).
pub(super) type PairKey = (TokenId, TokenId);

/// One hop of a swap, computed before anything changes: its pair, the
/// reserves after it, and the reserves `(in, out)` before it.
pub(super) type Hop = (PairKey, Pair, (u128, u128));

impl Session {
    /// `swap A of T1 for at least M of T2 on X`. Returns what came out.
    pub fn swap<T: Named<TokenId>>(
        &mut self,
        exchange: impl Named<ProtocolId>,
        token_in: T,
        amount: u128,
        token_out: T,
        min_out: u128,
    ) -> CallResult<u128> {
        self.swap_path(exchange, &[token_in, token_out], amount, min_out)
    }

    /// A multi-hop swap along `path` (at least two tokens) on one exchange:
    /// exactly the single hops in sequence, reserves moved the same way.
    pub fn swap_path<T: Named<TokenId>, E: Named<ProtocolId>>(
        &mut self,
        exchange: E,
        path: &[T],
        amount: u128,
        min_out: u128,
    ) -> CallResult<u128> {
        let Some((&token_in, rest)) = path.split_first() else {
            return self.step(|s| Err(s.revert_value("a swap path has at least two tokens")));
        };
        let loc = self.loc;
        let hops: SmallVec<[SwapHop<E, T>; 3]> = rest
            .iter()
            .map(|&token_out| SwapHop {
                exchange,
                token_out,
                loc,
            })
            .collect();
        self.swap_route(token_in, &hops, amount, min_out)
    }

    /// A swap along `hops`: each hop on its exchange's pair, the output of
    /// one pair sent straight to the next (pairs of different exchanges
    /// chain when the executor swaps directly; a wallet's router swap is on
    /// one exchange). Exactly the single swaps in sequence, reserves moved
    /// the same way. A hop that fails is reported at its own location (the
    /// statement it came from), the slippage bound at the last hop's, and a
    /// holding too small at the first's. Returns what came out.
    pub fn swap_route<T: Named<TokenId>, E: Named<ProtocolId>>(
        &mut self,
        token_in: T,
        hops: &[SwapHop<E, T>],
        amount: u128,
        min_out: u128,
    ) -> CallResult<u128> {
        let first_loc = hops.first().map_or(self.loc, |h| h.loc);
        let last_loc = hops.last().map_or(self.loc, |h| h.loc);
        self.at(first_loc);
        self.step(|s| {
            let (chain, sender) = s.open_tx("a swap")?;
            if hops.is_empty() {
                return Err(s.revert_value("a swap path has at least two tokens"));
            }
            let token_in = s.token_on(chain, token_in)?;
            s.only_token(chain, token_in, "an exchange")?;
            let mut tokens: SmallVec<[TokenId; 4]> = SmallVec::with_capacity(hops.len() + 1);
            let mut exchanges: SmallVec<[ProtocolId; 3]> = SmallVec::with_capacity(hops.len());
            tokens.push(token_in);
            // Compute every hop first; nothing changes if one fails.
            let mut current = amount;
            let mut moved: SmallVec<[Hop; 3]> = SmallVec::with_capacity(hops.len());
            for hop in hops {
                s.loc = hop.loc;
                let exchange = s.protocol_on(chain, hop.exchange, ProtocolKind::Exchange)?;
                let token_out = s.token_on(chain, hop.token_out)?;
                s.only_token(chain, token_out, "an exchange")?;
                let from = tokens[tokens.len() - 1];
                if from == token_out {
                    return Err(
                        s.revert_value(format!("a swap of {} for itself", s.token_name(from)))
                    );
                }
                if sender == Sender::Wallet && exchanges.first().is_some_and(|&x| x != exchange) {
                    return Err(s.revert_value(
                        "a wallet's router swap is on one exchange; pairs of several chain only through the executor",
                    ));
                }
                let fee_bps = s
                    .world
                    .registry
                    .protocol_at(exchange)
                    .map_or(0, |p| p.fee_bps);
                let (chain_text, exchange_text) = (s.chain_name(chain), s.protocol_name(exchange));
                let key = s.pair_key(from, token_out);
                let reserves = s
                    .world
                    .exchange(chain_text, exchange_text)
                    .and_then(|e| e.reserves(s.token_name(from), s.token_name(token_out)));
                let Some((r_in, r_out)) = reserves else {
                    return Err(s.revert_value(format!(
                        "{exchange_text} on {chain_text} has no {}/{} pair",
                        s.token_name(key.0),
                        s.token_name(key.1)
                    )));
                };
                let out = maths::get_amount_out(current, r_in, r_out, fee_bps).map_err(|e| {
                    s.revert_value(match e {
                        MathError::InsufficientInput => {
                            format!("swap of zero {}", s.token_name(from))
                        }
                        other => format!("swap on {exchange_text}: {other}"),
                    })
                })?;
                if out == 0 {
                    return Err(s.revert_value(format!(
                        "swap on {exchange_text}: {} buys zero {} (insufficient output amount)",
                        s.fmt(current, from),
                        s.token_name(token_out)
                    )));
                }
                let new_in = r_in
                    .checked_add(current)
                    .ok_or_else(|| s.revert_value(reason::OVERFLOW))?;
                let new_out = r_out - out;
                let pair = if key.0 == from {
                    Pair {
                        reserve0: new_in,
                        reserve1: new_out,
                    }
                } else {
                    Pair {
                        reserve0: new_out,
                        reserve1: new_in,
                    }
                };
                // A path that visits one pair twice would see moved reserves.
                if moved
                    .iter()
                    .zip(&exchanges)
                    .any(|(h, &x)| h.0 == key && x == exchange)
                {
                    return Err(s.revert_value("a swap path uses one pair twice"));
                }
                moved.push((key, pair, (r_in, r_out)));
                exchanges.push(exchange);
                tokens.push(token_out);
                current = out;
            }
            let token_out = tokens[tokens.len() - 1];
            s.loc = last_loc;
            if current < min_out {
                return Err(s.revert_value(format!(
                    "slippage: the swap gives {}, below the bound {}",
                    s.fmt(current, token_out),
                    s.fmt(min_out, token_out)
                )));
            }
            s.loc = first_loc;
            s.pay(chain, token_in, amount, "swap", Charged::First)?;
            // The router pulls the wallet's tokens with `transferFrom`, which
            // needs an allowance; the executor's direct swap moves its own
            // tokens into the pair with `transfer`, which does not.
            if sender == Sender::Wallet {
                s.use_approval(chain, sender, token_in, SpenderKey::Protocol(exchanges[0]))?;
            }
            let gas = match sender {
                Sender::Wallet => {
                    let path: SmallVec<[TokenContract; 4]> =
                        tokens.iter().map(|&t| s.token_contract(chain, t)).collect();
                    let op = s.schedule.operation(
                        sender,
                        &Operation::Swap {
                            path: &path,
                            returns: path_returns(&tokens),
                        },
                    );
                    s.meter_call(Account::Router(exchanges[0]), op)?
                }
                Sender::Executor => {
                    let transfer = s.schedule.transfer(s.token_contract(chain, token_in));
                    let mut gas = s.meter_call(Account::Token(token_in), transfer)?;
                    for (hop, (((key, _, _), &exchange), &token_out)) in
                        moved.iter().zip(&exchanges).zip(&tokens[1..]).enumerate()
                    {
                        let out = s.token_contract(chain, token_out);
                        let schedule = &s.schedule;
                        let back = pays_back(&tokens, hop);
                        let op = s.tx.as_mut().map_or(0, |tx| {
                            tx.meter.pair_swap(schedule, (exchange, *key), out, back)
                        });
                        gas += s.meter_call_moving(
                            Account::Pair(exchange, *key),
                            op,
                            Moves::Sends(Account::Token(token_out)),
                        )?;
                    }
                    gas
                }
            };
            for ((key, pair, (r_in, r_out)), &exchange) in moved.iter().zip(&exchanges) {
                s.k_before
                    .entry((chain, exchange, *key), || constant_product(*r_in, *r_out));
                s.journal
                    .set_reserves(&mut s.world, chain, exchange, *key, *pair)
                    .map_err(|e| s.not_in_world(e))?;
            }
            // A path back to its first token pays it into the balance its
            // first transfer wrote, charged so (`return_balance_saving`).
            let charged = if path_returns(&tokens) {
                Charged::Again
            } else {
                Charged::First
            };
            s.receive(chain, token_out, current, charged)?;
            let names: Vec<String> = exchanges
                .iter()
                .map(|x| s.protocol_name(*x).to_string())
                .collect();
            s.record(
                Call::Swap {
                    exchanges: names,
                    path: tokens
                        .iter()
                        .map(|t| s.token_name(*t).to_string())
                        .collect(),
                    amount_in: s.amount(amount, token_in),
                    amount_out: s.amount(current, token_out),
                },
                gas,
            );
            Ok(current)
        })
    }
}
