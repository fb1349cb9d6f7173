//! The actions: `approve`, `input`, `borrow`, `repay`, swaps, `deposit`,
//! `withdraw`, `wrap` and `unwrap`, bridges, and the holding that `all T` reads — each a thin
//! wrapper over the session's call of the same name.

use smallvec::SmallVec;

use super::ffi::{join, status, value_out, write_out, MeshAmount};
use super::handle::{with_session, MeshSession};
use super::names::{bind_names, MeshNames};
use super::{
    LoanCode, SpenderCode, SpenderKind, MESH_INVALID, MESH_OK, MESH_REVERTED, MESH_UNPINNED,
};
use crate::registry::{BridgeKind, ProtocolId, TokenId};
use crate::session::{Loc, NameRef, Session, Spender, SwapHop};

/// Approves a spender of `token`: `spender` names a protocol or a bridge
/// kind (`htlb`, `zk`, `threshold`), as `spender_kind` says.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_approve(
    s: *mut MeshSession,
    token: u32,
    spender_kind: SpenderCode,
    spender: u32,
    loc: u64,
) -> u32 {
    with_session(s, loc, |ms| {
        let MeshSession { session, names, .. } = ms;
        match spender_kind.decode() {
            Some(SpenderKind::Protocol) => {
                bind_names!(session, names;
                    token = token(token, "token"),
                    protocol = protocol(spender, "spender"));
                status(session.approve_named(token, Spender::Protocol(protocol)))
            }
            Some(SpenderKind::Bridge) => {
                bind_names!(session, names; token = token(token, "token"));
                let Ok(text) = names.resolve(session, spender, "spender") else {
                    return MESH_REVERTED;
                };
                match BridgeKind::from_name(text) {
                    Some(kind) => {
                        status(session.approve_named(token, Spender::<ProtocolId>::Bridge(kind)))
                    }
                    None => status(session.revert(&format!("unknown bridge kind `{text}`"))),
                }
            }
            None => {
                // The token is judged first, as for every other kind.
                bind_names!(session, names; _token = token(token, "token"));
                status(session.revert(&format!(
                    "invalid spender kind {} (0 protocol, 1 bridge)",
                    spender_kind.0
                )))
            }
        }
    })
}

/// `input`: moves an amount from the wallet on `chain` into the holdings.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_input(
    s: *mut MeshSession,
    chain: u32,
    token: u32,
    lo: u64,
    hi: u64,
    loc: u64,
) -> u32 {
    with_session(s, loc, |ms| {
        let MeshSession { session, names, .. } = ms;
        bind_names!(session, names; chain = chain(chain, "chain"), token = token(token, "token"));
        status(session.input(chain, token, join(lo, hi)))
    })
}

/// `borrow`: an ordinary or a flash loan, as `loan` says. Writes the amount
/// borrowed to `out`.
///
/// # Safety
/// `s` is a live session; `out` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn mesh_borrow(
    s: *mut MeshSession,
    protocol: u32,
    token: u32,
    lo: u64,
    hi: u64,
    loan: LoanCode,
    loc: u64,
    out: *mut MeshAmount,
) -> u32 {
    // A call that fails, however early, delivers nothing.
    write_out(out, 0);
    with_session(s, loc, |ms| {
        let MeshSession { session, names, .. } = ms;
        bind_names!(session, names;
            protocol = protocol(protocol, "protocol"),
            token = token(token, "token"));
        let Some(kind) = loan.decode() else {
            return status(session.revert(&format!(
                "invalid loan kind {} (0 ordinary, 1 flash, 2 debt)",
                loan.0
            )));
        };
        value_out(session.borrow(protocol, token, join(lo, hi), kind), out)
    })
}

/// `repay`: principal `(lo, hi)`, and with the repay that closes a flash
/// loan its premium.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_repay(
    s: *mut MeshSession,
    protocol: u32,
    token: u32,
    lo: u64,
    hi: u64,
    loc: u64,
) -> u32 {
    with_session(s, loc, |ms| {
        let MeshSession { session, names, .. } = ms;
        bind_names!(session, names;
            protocol = protocol(protocol, "protocol"),
            token = token(token, "token"));
        status(session.repay(protocol, token, join(lo, hi)))
    })
}

/// `swap`: sells `(lo, hi)` of `token_in` for at least `(min_lo, min_hi)`
/// of `token_out`; writes what came out to `out`.
///
/// # Safety
/// `s` is a live session; `out` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn mesh_swap(
    s: *mut MeshSession,
    exchange: u32,
    token_in: u32,
    lo: u64,
    hi: u64,
    token_out: u32,
    min_lo: u64,
    min_hi: u64,
    loc: u64,
    out: *mut MeshAmount,
) -> u32 {
    // A call that fails, however early, delivers nothing.
    write_out(out, 0);
    with_session(s, loc, |ms| {
        let MeshSession { session, names, .. } = ms;
        bind_names!(session, names;
            exchange = protocol(exchange, "exchange"),
            tin = token(token_in, "token"),
            tout = token(token_out, "token"));
        value_out(
            session.swap(exchange, tin, join(lo, hi), tout, join(min_lo, min_hi)),
            out,
        )
    })
}

/// A swap along `path_len` token name indices at `path`, hop `i` on the
/// pair of the exchange named `exchanges[i]`, reported at `locs[i]`.
///
/// # Safety
/// `s` is a live session; `path` points at `path_len` u32, `exchanges` and
/// `locs` at `path_len - 1` entries each; `out` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn mesh_swap_path(
    s: *mut MeshSession,
    exchanges: *const u32,
    path: *const u32,
    locs: *const u64,
    path_len: usize,
    lo: u64,
    hi: u64,
    min_lo: u64,
    min_hi: u64,
    loc: u64,
    out: *mut MeshAmount,
) -> u32 {
    // A call that fails, however early, delivers nothing.
    write_out(out, 0);
    let hops = path_len.saturating_sub(1);
    if path_len > 0 && (path.is_null() || (hops > 0 && (exchanges.is_null() || locs.is_null()))) {
        return MESH_INVALID;
    }
    let (tokens_at, exchanges_at, locs_at): (&[u32], &[u32], &[u64]) = if path_len == 0 {
        (&[], &[], &[])
    } else {
        // SAFETY: the caller promises `path_len` names at `path`, and one
        // exchange and one location per hop.
        unsafe {
            (
                std::slice::from_raw_parts(path, path_len),
                if hops == 0 {
                    &[]
                } else {
                    std::slice::from_raw_parts(exchanges, hops)
                },
                if hops == 0 {
                    &[]
                } else {
                    std::slice::from_raw_parts(locs, hops)
                },
            )
        }
    };
    with_session(s, loc, |ms| {
        let MeshSession { session, names, .. } = ms;
        for &i in tokens_at {
            names.prepare_token(i, &session.world().registry);
        }
        for &i in exchanges_at {
            names.prepare_protocol(i, &session.world().registry);
        }
        let Some((&first, rest)) = tokens_at.split_first() else {
            return status(session.revert("a swap path has at least two tokens"));
        };
        let Ok(token_in) = MeshNames::arg(names.token(first), session, first, "token") else {
            return MESH_REVERTED;
        };
        let mut route: SmallVec<[SwapHop<NameRef<'_, ProtocolId>, NameRef<'_, TokenId>>; 3]> =
            SmallVec::with_capacity(rest.len());
        for ((&t, &x), &at) in rest.iter().zip(exchanges_at).zip(locs_at) {
            let Ok(exchange) = MeshNames::arg(names.protocol(x), session, x, "exchange") else {
                return MESH_REVERTED;
            };
            let Ok(token_out) = MeshNames::arg(names.token(t), session, t, "token") else {
                return MESH_REVERTED;
            };
            route.push(SwapHop {
                exchange,
                token_out,
                loc: Loc::unpack(at),
            });
        }
        value_out(
            session.swap_route(token_in, &route, join(lo, hi), join(min_lo, min_hi)),
            out,
        )
    })
}

/// `deposit`.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_deposit(
    s: *mut MeshSession,
    protocol: u32,
    token: u32,
    lo: u64,
    hi: u64,
    loc: u64,
) -> u32 {
    with_session(s, loc, |ms| {
        let MeshSession { session, names, .. } = ms;
        bind_names!(session, names;
            protocol = protocol(protocol, "protocol"),
            token = token(token, "token"));
        status(session.deposit(protocol, token, join(lo, hi)))
    })
}

/// `withdraw`; writes the amount withdrawn to `out`.
///
/// # Safety
/// `s` is a live session; `out` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn mesh_withdraw(
    s: *mut MeshSession,
    protocol: u32,
    token: u32,
    lo: u64,
    hi: u64,
    loc: u64,
    out: *mut MeshAmount,
) -> u32 {
    // A call that fails, however early, delivers nothing.
    write_out(out, 0);
    with_session(s, loc, |ms| {
        let MeshSession { session, names, .. } = ms;
        bind_names!(session, names;
            protocol = protocol(protocol, "protocol"),
            token = token(token, "token"));
        value_out(session.withdraw(protocol, token, join(lo, hi)), out)
    })
}

/// `wrap`: `amount` of the chain's native coin `native` into `wrapped`;
/// writes what was wrapped to `out`.
///
/// # Safety
/// `s` is a live session; `out` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn mesh_wrap(
    s: *mut MeshSession,
    native: u32,
    wrapped: u32,
    lo: u64,
    hi: u64,
    loc: u64,
    out: *mut MeshAmount,
) -> u32 {
    // A call that fails, however early, delivers nothing.
    write_out(out, 0);
    with_session(s, loc, |ms| {
        let MeshSession { session, names, .. } = ms;
        bind_names!(session, names;
            native = token(native, "token"),
            wrapped = token(wrapped, "token"));
        value_out(session.wrap(native, wrapped, join(lo, hi)), out)
    })
}

/// `unwrap`: `amount` of `wrapped` back into the chain's native coin
/// `native`; writes what was unwrapped to `out`.
///
/// # Safety
/// `s` is a live session; `out` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn mesh_unwrap(
    s: *mut MeshSession,
    wrapped: u32,
    native: u32,
    lo: u64,
    hi: u64,
    loc: u64,
    out: *mut MeshAmount,
) -> u32 {
    // A call that fails, however early, delivers nothing.
    write_out(out, 0);
    with_session(s, loc, |ms| {
        let MeshSession { session, names, .. } = ms;
        bind_names!(session, names;
            wrapped = token(wrapped, "token"),
            native = token(native, "token"));
        value_out(session.unwrap(wrapped, native, join(lo, hi)), out)
    })
}

/// `bridge` to chain `to` via the bridge kind named by `via` (or
/// [`MESH_UNPINNED`]); writes what arrives to `out`.
///
/// # Safety
/// `s` is a live session; `out` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn mesh_bridge(
    s: *mut MeshSession,
    token: u32,
    lo: u64,
    hi: u64,
    to: u32,
    via: u32,
    loc: u64,
    out: *mut MeshAmount,
) -> u32 {
    // A call that fails, however early, delivers nothing.
    write_out(out, 0);
    with_session(s, loc, |ms| {
        let MeshSession { session, names, .. } = ms;
        bind_names!(session, names; token = token(token, "token"), to = chain(to, "chain"));
        let kind = if via == MESH_UNPINNED {
            None
        } else {
            let Ok(name) = names.resolve(session, via, "bridge kind") else {
                return MESH_REVERTED;
            };
            match BridgeKind::from_name(name) {
                Some(k) => Some(k),
                None => return status(session.revert(&format!("unknown bridge kind `{name}`"))),
            }
        };
        value_out(session.bridge(token, join(lo, hi), to, kind), out)
    })
}

/// The parts of a call made part by part — a shared bridge message's
/// transfers, a multi-asset flash loan's loans — as generated code passes
/// them: part `i` is token `tokens[i]`, amount `amounts[2i] +
/// amounts[2i+1]·2⁶⁴`, answerable at `locs[i]`, and not made at all where
/// `skip[i]` is non-zero.
struct Parts<'a> {
    tokens: &'a [u32],
    amounts: &'a [u64],
    locs: &'a [u64],
    skip: &'a [u32],
}

impl<'a> Parts<'a> {
    /// The parts, or `None` when a pointer is null or `len` overflows.
    ///
    /// # Safety
    /// `tokens` points at `len` readable `u32`s, `amounts` at `2·len`
    /// readable `u64`s, `locs` at `len` readable `u64`s and `skip` at
    /// `len` readable `u32`s.
    unsafe fn new(
        tokens: *const u32,
        amounts: *const u64,
        locs: *const u64,
        skip: *const u32,
        len: usize,
    ) -> Option<Parts<'a>> {
        let twice = len.checked_mul(2)?;
        if len == 0 {
            return Some(Parts {
                tokens: &[],
                amounts: &[],
                locs: &[],
                skip: &[],
            });
        }
        if tokens.is_null() || amounts.is_null() || locs.is_null() || skip.is_null() {
            return None;
        }
        // SAFETY: the caller promises `len` tokens, `2·len` amount halves,
        // `len` locations and `len` flags.
        unsafe {
            Some(Parts {
                tokens: std::slice::from_raw_parts(tokens, len),
                amounts: std::slice::from_raw_parts(amounts, twice),
                locs: std::slice::from_raw_parts(locs, len),
                skip: std::slice::from_raw_parts(skip, len),
            })
        }
    }

    /// The parts to make — those not skipped — and the location the call
    /// answers at: its first part made. First writes "nothing delivered"
    /// to every part, so that a call that fails however early delivers
    /// nothing; with no part to make the call is not made at all (the
    /// error, `MESH_REVERTED`).
    ///
    /// # Safety
    /// As [`Parts::deliver`].
    unsafe fn begin(
        &self,
        loc: u64,
        out: *mut MeshAmount,
        failed: *mut u32,
    ) -> Result<(Vec<usize>, u64), u32> {
        // SAFETY: as promised by the caller.
        unsafe { self.deliver(&[], &[], out, failed) };
        let made: Vec<usize> = (0..self.tokens.len())
            .filter(|&i| self.skip.get(i).is_none_or(|&s| s == 0))
            .collect();
        let first = made.first().ok_or(MESH_REVERTED)?;
        let at = self.locs.get(*first).copied().unwrap_or(loc);
        Ok((made, at))
    }

    /// Registers the tokens of the parts `made` with the run's world, so
    /// that each resolves at its first use.
    fn prepare(&self, made: &[usize], session: &Session, names: &mut MeshNames) {
        for &i in made {
            names.prepare_token(self.tokens[i], &session.world().registry);
        }
    }

    /// The parts `made` as the session takes them: token, amount and
    /// location; the error status where a token index is unknown.
    fn resolve<'n>(
        &self,
        made: &[usize],
        session: &mut Session,
        names: &'n MeshNames,
    ) -> Result<Vec<(NameRef<'n, TokenId>, u128, Loc)>, u32> {
        made.iter()
            .map(|&i| {
                let t = self.tokens[i];
                let token = MeshNames::arg(names.token(t), session, t, "token")?;
                let halves = &self.amounts[2 * i..2 * i + 2];
                Ok((token, join(halves[0], halves[1]), Loc::unpack(self.locs[i])))
            })
            .collect()
    }

    /// Writes what each part delivered (`result[k]` for part `made[k]`)
    /// to `out[i]`, and to `failed[i]` 1 where it failed or was not made;
    /// the status: ok only if every part was made.
    ///
    /// # Safety
    /// `out` and `failed` are null or point at `len` writable entries.
    unsafe fn deliver(
        &self,
        made: &[usize],
        result: &[Option<u128>],
        out: *mut MeshAmount,
        failed: *mut u32,
    ) -> u32 {
        let mut all = true;
        for i in 0..self.tokens.len() {
            let got = made
                .iter()
                .position(|&m| m == i)
                .and_then(|k| result.get(k).copied().flatten());
            all &= got.is_some();
            if !out.is_null() {
                // SAFETY: a non-null `out` has `len` writable entries.
                write_out(unsafe { out.add(i) }, got.unwrap_or(0));
            }
            if !failed.is_null() {
                // SAFETY: a non-null `failed` has `len` writable entries.
                unsafe { failed.add(i).write(u32::from(got.is_none())) };
            }
        }
        if all {
            MESH_OK
        } else {
            MESH_REVERTED
        }
    }
}

/// Bridges `len` transfers in one shared message via the bridge kind named
/// by `via` to chain `to` (`Session::bridge_batch`): transfer `i` sends
/// `amounts[2i] + amounts[2i+1]·2⁶⁴` of token `tokens[i]`, and what arrives
/// is written to `out[i]`.
///
/// # Safety
/// `s` is a live session; `tokens` points at `len` readable `u32`s,
/// `amounts` at `2·len` readable `u64`s, `locs` at `len` readable `u64`s,
/// `skip` at `len` readable `u32`s, and `out` and `failed` are null or
/// point at `len` writable entries.
#[no_mangle]
pub unsafe extern "C" fn mesh_bridge_batch(
    s: *mut MeshSession,
    via: u32,
    to: u32,
    tokens: *const u32,
    amounts: *const u64,
    locs: *const u64,
    skip: *const u32,
    len: usize,
    loc: u64,
    out: *mut MeshAmount,
    failed: *mut u32,
) -> u32 {
    // SAFETY: as promised by the caller.
    let Some(parts) = (unsafe { Parts::new(tokens, amounts, locs, skip, len) }) else {
        return MESH_INVALID;
    };
    // SAFETY: as promised by the caller. The message is not sent without
    // a transfer to make, and is answerable at its first one.
    let (made, at) = match unsafe { parts.begin(loc, out, failed) } {
        Ok(begun) => begun,
        Err(status) => return status,
    };
    with_session(s, at, |ms| {
        let MeshSession { session, names, .. } = ms;
        parts.prepare(&made, session, names);
        bind_names!(session, names; to = chain(to, "chain"));
        let Ok(name) = names.resolve(session, via, "bridge kind") else {
            return MESH_REVERTED;
        };
        let Some(kind) = BridgeKind::from_name(name) else {
            let reason = format!("unknown bridge kind `{name}`");
            return status(session.revert(&reason));
        };
        let transfers = match parts.resolve(&made, session, names) {
            Ok(transfers) => transfers,
            Err(status) => return status,
        };
        match session.bridge_batch(kind, to, &transfers) {
            // SAFETY: as promised by the caller.
            Ok(got) => unsafe { parts.deliver(&made, &got, out, failed) },
            Err(_) => MESH_REVERTED,
        }
    })
}

/// Flash loans of `len` different tokens from the lender named by
/// `protocol` in one call (`Session::flash_loan`, Aave V3's multi-asset
/// `flashLoan`): loan `i` lends `amounts[2i] + amounts[2i+1]·2⁶⁴` of token
/// `tokens[i]`, written to `out[i]`.
///
/// # Safety
/// As [`mesh_bridge_batch`].
#[no_mangle]
pub unsafe extern "C" fn mesh_flash_loan(
    s: *mut MeshSession,
    protocol: u32,
    tokens: *const u32,
    amounts: *const u64,
    locs: *const u64,
    skip: *const u32,
    len: usize,
    loc: u64,
    out: *mut MeshAmount,
    failed: *mut u32,
) -> u32 {
    // SAFETY: as promised by the caller.
    let Some(parts) = (unsafe { Parts::new(tokens, amounts, locs, skip, len) }) else {
        return MESH_INVALID;
    };
    // SAFETY: as promised by the caller.
    let (made, at) = match unsafe { parts.begin(loc, out, failed) } {
        Ok(begun) => begun,
        Err(status) => return status,
    };
    with_session(s, at, |ms| {
        let MeshSession { session, names, .. } = ms;
        parts.prepare(&made, session, names);
        bind_names!(session, names; protocol = protocol(protocol, "protocol"));
        let loans = match parts.resolve(&made, session, names) {
            Ok(loans) => loans,
            Err(status) => return status,
        };
        match session.flash_loan(protocol, &loans) {
            // SAFETY: as promised by the caller.
            Ok(got) => unsafe { parts.deliver(&made, &got, out, failed) },
            Err(_) => MESH_REVERTED,
        }
    })
}

/// The bundle's current holding of `token` on `chain` (for `all T`).
///
/// # Safety
/// `s` is a live session; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mesh_holding(
    s: *mut MeshSession,
    chain: u32,
    token: u32,
    loc: u64,
    out: *mut MeshAmount,
) -> u32 {
    // A call that fails, however early, delivers nothing.
    write_out(out, 0);
    if out.is_null() {
        return MESH_INVALID;
    }
    with_session(s, loc, |ms| {
        let MeshSession { session, names, .. } = ms;
        bind_names!(session, names; chain = chain(chain, "chain"), token = token(token, "token"));
        value_out(session.holding(chain, token), out)
    })
}
