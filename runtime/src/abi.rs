//! The C ABI that generated code calls: thin `extern "C"` wrappers over
//! [`Session`]. Conventions (docs/runtime.md lists every symbol):
//!
//! - every entry takes the session pointer first and returns a status:
//!   `0` ok, `1` the call failed — it changed nothing, wrote zero to its
//!   out-pointer, and the bundle will revert; the run goes on, so that the
//!   failure first in the source is the one reported —, `2` an invalid
//!   call (a null session). On `2` generated code branches to its abort
//!   path, which calls `mesh_bundle_finish`.
//! - names (chains, tokens, protocols, bridge kinds, invariants, `require`
//!   texts) are registered once with `mesh_name` and passed as indices.
//!   Each is resolved against the run's world at its first use as a chain,
//!   token or protocol, and every later call passes the session the id; a
//!   name the world does not know stays text, and using it reverts with a
//!   reason, never a crash.
//! - amounts go in as two `u64` halves `(lo, hi)` and come back through an
//!   out-pointer to a [`MeshAmount`] (null: not wanted).
//! - `loc` is the source location, `(line << 32) | column`; a revert names it.
//! - no panic crosses the boundary: each entry catches it, and a panic
//!   reverts the bundle ("internal error").

use std::collections::HashMap;

use smallvec::SmallVec;
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use crate::entry::Entry;
use crate::registry::{BridgeKind, ChainId, ProtocolId, Registry, TokenId};
use crate::report::Report;
use crate::revert::reason;
use crate::session::{Constraint, Constraints, Invariant, Loc, NameRef, Session, Spender, SwapHop};
use crate::world::{RunWorld, World, DEFAULT_LOCK_WAIT};

pub use mesh_core::entry::{
    LoanCode, SenderCode, SpenderCode, SpenderKind, MESH_INVALID, MESH_NO_TEXT, MESH_OK,
    MESH_REVERTED, MESH_UNPINNED,
};

/// An amount as generated code sees it: the low and high 64 bits.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MeshAmount {
    pub lo: u64,
    pub hi: u64,
}

impl MeshAmount {
    pub fn new(value: u128) -> MeshAmount {
        MeshAmount {
            lo: value as u64,
            hi: (value >> 64) as u64,
        }
    }

    pub fn value(self) -> u128 {
        join(self.lo, self.hi)
    }
}

fn join(lo: u64, hi: u64) -> u128 {
    (u128::from(hi) << 64) | u128::from(lo)
}

/// A session's string table: the names generated code registered with
/// `mesh_name`, by index, and the index of each name.
///
/// A host that runs the same compiled body many times may hand the table of
/// one finished run to the next ([`MeshSession::with_names`],
/// [`MeshSession::into_parts`]): the body registers the same names again,
/// which then costs a comparison each instead of an allocation. Names are
/// only texts; each run resolves them against its own world, once.
#[derive(Clone, Debug, Default)]
pub struct MeshNames {
    list: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
    /// The index the next registration is expected to get: a body registers
    /// its names in the same order on every run.
    cursor: usize,
    /// What each name resolved to in this run's world, by index; reset
    /// when the table is handed to the next run.
    resolved: Vec<Resolved>,
}

/// What one name resolved to, as each kind of name, in this run's world:
/// `None` until first used as that kind, then the id if the world has one.
#[derive(Clone, Copy, Debug, Default)]
struct Resolved {
    chain: Option<Option<ChainId>>,
    token: Option<Option<TokenId>>,
    protocol: Option<Option<ProtocolId>>,
}

/// For one kind of name: `$prepare` resolves the name at an index in this
/// run's world (once per run), `$get` hands it to the session: the id, or
/// the text when the world does not have it (or it was not prepared: the
/// session then resolves the text itself). `None` for an unregistered index.
macro_rules! name_kind {
    ($prepare:ident, $get:ident, $field:ident, $id:ty, $lookup:ident) => {
        fn $prepare(&mut self, index: u32, registry: &Registry) {
            let i = index as usize;
            let Some(text) = self.list.get(i) else { return };
            if self.resolved.len() < self.list.len() {
                self.resolved.resize(self.list.len(), Resolved::default());
            }
            let slot = &mut self.resolved[i].$field;
            if slot.is_none() {
                *slot = Some(registry.$lookup(text));
            }
        }

        fn $get(&self, index: u32) -> Option<NameRef<'_, $id>> {
            let i = index as usize;
            let text = self.list.get(i)?;
            Some(
                match self.resolved.get(i).and_then(|r| r.$field).flatten() {
                    Some(id) => NameRef::Id(id),
                    None => NameRef::Text(text),
                },
            )
        }
    };
}

impl MeshNames {
    /// An empty table.
    pub fn new() -> MeshNames {
        MeshNames::default()
    }

    /// How many names the table holds.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether the table holds no name.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The name at `index`, if registered.
    pub fn get(&self, index: u32) -> Option<&str> {
        self.list.get(index as usize).map(|n| &**n)
    }

    /// The index of `name`, registering it if new (the same name always
    /// gets the same index). `None` when the table is full (`u32` indices).
    pub fn register(&mut self, name: &str) -> Option<u32> {
        if let Some(i) = self.expected(name.as_bytes()) {
            return Some(i);
        }
        let i = match self.index.get(name) {
            Some(&i) => i,
            None => {
                let i = u32::try_from(self.list.len()).ok()?;
                self.list.push(name.into());
                self.index.insert(name.into(), i);
                i
            }
        };
        self.cursor = i as usize + 1;
        Some(i)
    }

    /// The index of the name the next registration is expected to repeat,
    /// if `bytes` are that name's (and so valid UTF-8).
    fn expected(&mut self, bytes: &[u8]) -> Option<u32> {
        let n = self.list.get(self.cursor)?;
        if n.as_bytes() != bytes {
            return None;
        }
        let i = u32::try_from(self.cursor).ok()?;
        self.cursor += 1;
        Some(i)
    }

    name_kind!(prepare_chain, chain, chain, ChainId, chain_id);
    name_kind!(prepare_token, token, token, TokenId, token_id);
    name_kind!(
        prepare_protocol,
        protocol,
        protocol,
        ProtocolId,
        protocol_id
    );

    /// Forgets what names resolved to: the next run has its own world.
    fn new_run(&mut self) {
        self.cursor = 0;
        self.resolved.clear();
    }

    /// `name`, the name at `index` as some kind, or a revert of `session`
    /// for an unregistered index.
    fn arg<T>(name: Option<T>, session: &mut Session, index: u32, what: &str) -> Result<T, u32> {
        name.ok_or_else(|| invalid_index(session, index, what))
    }

    /// The name at `index`, or a revert of `session` naming what was wanted.
    fn resolve(&self, session: &mut Session, index: u32, what: &str) -> Result<&str, u32> {
        self.get(index)
            .ok_or_else(|| invalid_index(session, index, what))
    }
}

/// Reverts `session` for a name index that `mesh_name` never gave.
fn invalid_index(session: &mut Session, index: u32, what: &str) -> u32 {
    let _ = session.revert(&format!(
        "invalid {what} name index {index} (not registered with mesh_name)"
    ));
    MESH_REVERTED
}

/// A session as generated code holds it: the session, its string table,
/// its constraints, and the report once finished.
pub struct MeshSession {
    session: Session,
    names: MeshNames,
    constraints: Constraints,
    report: Option<Report>,
    internal_error: Option<String>,
}

impl MeshSession {
    /// Wraps a session (the JIT host makes one from its own world; hand
    /// generated code `Box::into_raw(MeshSession::new(s))`).
    pub fn new(session: Session) -> Box<MeshSession> {
        MeshSession::with_names(session, MeshNames::new())
    }

    /// Wraps a session with the string table of an earlier run of the same
    /// body (see [`MeshNames`]).
    pub fn with_names(session: Session, mut names: MeshNames) -> Box<MeshSession> {
        names.new_run();
        Box::new(MeshSession {
            session,
            names,
            constraints: Constraints::new(),
            report: None,
            internal_error: None,
        })
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The report, once `mesh_bundle_finish` has run.
    pub fn report(&self) -> Option<&Report> {
        self.report.as_ref()
    }

    /// The session, for the world it committed (or kept).
    pub fn into_session(self) -> Session {
        self.session
    }

    /// Finishes the bundle if `mesh_bundle_finish` has not, and takes it
    /// apart: the report, the session (for its world) and the string table
    /// (for the next run of the same body).
    pub fn into_parts(mut self) -> (Report, Session, MeshNames) {
        let report = match self.report.take() {
            Some(report) => report,
            None => conclude(
                &mut self.session,
                &mut self.constraints,
                &mut self.internal_error,
            ),
        };
        (report, self.session, self.names)
    }

    fn finish(&mut self) -> &Report {
        let MeshSession {
            session,
            constraints,
            report,
            internal_error,
            ..
        } = self;
        report.get_or_insert_with(|| conclude(session, constraints, internal_error))
    }
}

/// Finishes `session` with the constraints generated code added; an
/// internal error caught earlier reverts the bundle first.
fn conclude(
    session: &mut Session,
    constraints: &mut Constraints,
    internal_error: &mut Option<String>,
) -> Report {
    if let Some(e) = internal_error.take() {
        let _ = session.revert(&format!("internal error in the runtime: {e}"));
    }
    let constraints = std::mem::take(constraints);
    session.finish(&constraints)
}

fn status<T>(r: Result<T, crate::session::Revert>) -> u32 {
    match r {
        Ok(_) => MESH_OK,
        Err(_) => MESH_REVERTED,
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic".to_string()
    }
}

/// Binds names passed by index to what the session takes (an id resolved
/// once per run, or the text), or returns `MESH_REVERTED` from the entry
/// for an index `mesh_name` never gave:
/// `bind_names!(session, names; p = protocol(index, "protocol"), ...)`.
macro_rules! bind_names {
    ($session:ident, $names:ident; $($var:ident = $kind:ident($index:expr, $what:literal)),+ $(,)?) => {
        $( bind_names!(@prepare $names, $session, $kind, $index); )+
        $(
            let $var = match MeshNames::arg($names.$kind($index), $session, $index, $what) {
                Ok(v) => v,
                Err(st) => return st,
            };
        )+
    };
    (@prepare $names:ident, $session:ident, chain, $index:expr) => {
        $names.prepare_chain($index, &$session.world().registry)
    };
    (@prepare $names:ident, $session:ident, token, $index:expr) => {
        $names.prepare_token($index, &$session.world().registry)
    };
    (@prepare $names:ident, $session:ident, protocol, $index:expr) => {
        $names.prepare_protocol($index, &$session.world().registry)
    };
}

/// Runs `f` on the session with panics caught; a panic reverts the bundle.
fn with_session(s: *mut MeshSession, loc: u64, f: impl FnOnce(&mut MeshSession) -> u32) -> u32 {
    if s.is_null() {
        return MESH_INVALID;
    }
    // SAFETY: generated code passes the pointer it got from
    // `mesh_bundle_start*` (or the host's `Box::into_raw`), still live.
    let ms = unsafe { &mut *s };
    ms.session.at(Loc::unpack(loc));
    match catch_unwind(AssertUnwindSafe(|| f(ms))) {
        Ok(st) => st,
        Err(p) => {
            let message = panic_message(&*p);
            // SAFETY: as above; the closure's borrow has ended.
            let ms = unsafe { &mut *s };
            if ms.internal_error.is_none() {
                ms.internal_error = Some(message);
            }
            MESH_REVERTED
        }
    }
}

/// The status of a call that yields an amount, written to `out`: what the
/// call delivered, or nothing (zero) when it failed.
fn value_out(r: Result<u128, crate::session::Revert>, out: *mut MeshAmount) -> u32 {
    match r {
        Ok(v) => {
            write_out(out, v);
            MESH_OK
        }
        Err(_) => {
            write_out(out, 0);
            MESH_REVERTED
        }
    }
}

fn write_out(out: *mut MeshAmount, value: u128) {
    if !out.is_null() {
        // SAFETY: a non-null out-pointer points at a writable MeshAmount.
        unsafe { out.write(MeshAmount::new(value)) };
    }
}

/// The bytes at `ptr`, borrowed; `None` for a null pointer with a length.
///
/// # Safety
/// `ptr` points at `len` readable bytes that stay unchanged for `'a` (or
/// `len` is 0).
unsafe fn bytes_ref<'a>(ptr: *const u8, len: usize) -> Option<&'a [u8]> {
    if len == 0 {
        return Some(&[]);
    }
    if ptr.is_null() {
        return None;
    }
    // SAFETY: the caller promises `len` readable bytes at `ptr` for `'a`.
    Some(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// The UTF-8 text at `ptr`, borrowed.
///
/// # Safety
/// As [`bytes_ref`].
unsafe fn str_ref<'a>(ptr: *const u8, len: usize) -> Option<&'a str> {
    // SAFETY: forwarded from the caller.
    std::str::from_utf8(unsafe { bytes_ref(ptr, len) }?).ok()
}

/// # Safety
/// `ptr` points at `len` readable bytes (or `len` is 0).
unsafe fn str_arg(ptr: *const u8, len: usize) -> Option<String> {
    // SAFETY: forwarded from the caller; the text is copied at once.
    unsafe { str_ref(ptr, len) }.map(str::to_string)
}

fn start(name: String, world: World) -> *mut MeshSession {
    Box::into_raw(MeshSession::new(Session::new(world, &name)))
}

/// Starts a bundle named `name` on the embedded default world.
///
/// # Safety
/// `name_ptr` points at `name_len` bytes of UTF-8.
#[no_mangle]
pub unsafe extern "C" fn mesh_bundle_start(
    name_ptr: *const u8,
    name_len: usize,
) -> *mut MeshSession {
    catch_unwind(|| {
        // SAFETY: forwarded from the caller.
        let name = unsafe { str_arg(name_ptr, name_len) }.unwrap_or_else(|| "bundle".to_string());
        start(name, World::builtin())
    })
    .unwrap_or(std::ptr::null_mut())
}

/// Starts a bundle on the world file at `path` (UTF-8). Returns null, with
/// the reason on standard error, if the file cannot be read.
///
/// # Safety
/// Both pointers point at their lengths of UTF-8 bytes.
#[no_mangle]
pub unsafe extern "C" fn mesh_bundle_start_world(
    name_ptr: *const u8,
    name_len: usize,
    path_ptr: *const u8,
    path_len: usize,
) -> *mut MeshSession {
    catch_unwind(|| {
        // SAFETY: forwarded from the caller.
        let name = unsafe { str_arg(name_ptr, name_len) }.unwrap_or_else(|| "bundle".to_string());
        // SAFETY: forwarded from the caller.
        let Some(path) = (unsafe { str_arg(path_ptr, path_len) }) else {
            eprintln!("error: the world path is not UTF-8");
            return std::ptr::null_mut();
        };
        match World::load(Path::new(&path)) {
            Ok(world) => start(name, world),
            Err(e) => {
                eprintln!("error: {e}");
                std::ptr::null_mut()
            }
        }
    })
    .unwrap_or(std::ptr::null_mut())
}

/// Frees a session (null is ignored).
///
/// # Safety
/// `s` came from `mesh_bundle_start*` and is not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn mesh_bundle_free(s: *mut MeshSession) {
    if !s.is_null() {
        // SAFETY: the caller hands back ownership.
        let _ = catch_unwind(AssertUnwindSafe(|| drop(unsafe { Box::from_raw(s) })));
    }
}

/// Registers a name (UTF-8) and writes its index to `out_index`.
///
/// # Safety
/// `s` is a live session; `ptr` points at `len` bytes; `out_index` is writable.
#[no_mangle]
pub unsafe extern "C" fn mesh_name(
    s: *mut MeshSession,
    ptr: *const u8,
    len: usize,
    out_index: *mut u32,
) -> u32 {
    if out_index.is_null() {
        return MESH_INVALID;
    }
    with_session(s, 0, |ms| {
        // SAFETY: forwarded from the caller; the bytes are only read during
        // this call (the table copies a new name).
        let bytes = unsafe { bytes_ref(ptr, len) };
        // A body registers its names in the same order on every run: the
        // expected one is already in the table, known to be UTF-8.
        let known = bytes.and_then(|b| ms.names.expected(b));
        let index = match known {
            Some(i) => Some(i),
            None => match bytes.map(std::str::from_utf8) {
                Some(Ok(name)) => ms.names.register(name),
                _ => {
                    let _ = ms.session.revert("a name is not UTF-8");
                    return MESH_REVERTED;
                }
            },
        };
        let Some(index) = index else {
            let _ = ms
                .session
                .revert("too many names registered with mesh_name");
            return MESH_REVERTED;
        };
        // SAFETY: checked non-null above; the caller promises it is writable.
        unsafe { out_index.write(index) };
        MESH_OK
    })
}

/// Opens a chain transaction sent by `sender`.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_tx_begin(
    s: *mut MeshSession,
    chain: u32,
    sender: SenderCode,
    loc: u64,
) -> u32 {
    with_session(s, loc, |ms| {
        let MeshSession { session, names, .. } = ms;
        bind_names!(session, names; chain = chain(chain, "chain"));
        let Some(sender) = sender.decode() else {
            return status(session.revert(&format!(
                "invalid sender {} (0 wallet, 1 executor)",
                sender.0
            )));
        };
        status(session.begin_transaction(chain, sender))
    })
}

/// Closes the open transaction.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_tx_end(s: *mut MeshSession, loc: u64) -> u32 {
    with_session(s, loc, |ms| status(ms.session.end_transaction()))
}

/// Begins a group of parallel branches.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_parallel_begin(s: *mut MeshSession, loc: u64) -> u32 {
    with_session(s, loc, |ms| status(ms.session.begin_parallel()))
}

/// Ends a parallel branch and begins the next.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_parallel_next(s: *mut MeshSession, loc: u64) -> u32 {
    with_session(s, loc, |ms| status(ms.session.next_branch()))
}

/// Ends a group of parallel branches.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_parallel_end(s: *mut MeshSession, loc: u64) -> u32 {
    with_session(s, loc, |ms| status(ms.session.end_parallel()))
}

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
                "invalid loan kind {} (0 ordinary, 1 flash)",
                loan.0
            )));
        };
        value_out(session.borrow(protocol, token, join(lo, hi), kind), out)
    })
}

/// `repay`: principal `(lo, hi)` plus its premium.
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

    /// The parts to make: those not skipped.
    fn made(&self) -> Vec<usize> {
        (0..self.tokens.len())
            .filter(|&i| self.skip.get(i).is_none_or(|&s| s == 0))
            .collect()
    }

    /// Part `i`'s amount and location.
    fn amount_at(&self, i: usize) -> (u128, Loc) {
        let halves = &self.amounts[2 * i..2 * i + 2];
        (join(halves[0], halves[1]), Loc::unpack(self.locs[i]))
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
    // A call that fails, however early, delivers nothing.
    // SAFETY: as promised by the caller.
    unsafe { parts.deliver(&[], &[], out, failed) };
    // The transfers made: those whose input is not missing. With none, the
    // message is not sent at all.
    let made = parts.made();
    let Some(&first) = made.first() else {
        return MESH_REVERTED;
    };
    // The message is answerable at its first transfer made.
    let at = parts.locs.get(first).copied().unwrap_or(loc);
    with_session(s, at, |ms| {
        let MeshSession { session, names, .. } = ms;
        for &i in &made {
            names.prepare_token(parts.tokens[i], &session.world().registry);
        }
        bind_names!(session, names; to = chain(to, "chain"));
        let Ok(name) = names.resolve(session, via, "bridge kind") else {
            return MESH_REVERTED;
        };
        let Some(kind) = BridgeKind::from_name(name) else {
            let reason = format!("unknown bridge kind `{name}`");
            return status(session.revert(&reason));
        };
        let mut transfers = Vec::with_capacity(made.len());
        for &i in &made {
            let t = parts.tokens[i];
            let Ok(token) = MeshNames::arg(names.token(t), session, t, "token") else {
                return MESH_REVERTED;
            };
            let (amount, at) = parts.amount_at(i);
            transfers.push((token, amount, at));
        }
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
    unsafe { parts.deliver(&[], &[], out, failed) };
    let made = parts.made();
    let Some(&first) = made.first() else {
        return MESH_REVERTED;
    };
    let at = parts.locs.get(first).copied().unwrap_or(loc);
    with_session(s, at, |ms| {
        let MeshSession { session, names, .. } = ms;
        for &i in &made {
            names.prepare_token(parts.tokens[i], &session.world().registry);
        }
        bind_names!(session, names; protocol = protocol(protocol, "protocol"));
        let mut loans = Vec::with_capacity(made.len());
        for &i in &made {
            let t = parts.tokens[i];
            let Ok(token) = MeshNames::arg(names.token(t), session, t, "token") else {
                return MESH_REVERTED;
            };
            let (amount, at) = parts.amount_at(i);
            loans.push((token, amount, at));
        }
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

/// `require`: reverts unless `ok` is non-zero; `text` names the condition
/// as written (a name index, or [`MESH_NO_TEXT`]).
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_require(s: *mut MeshSession, ok: u32, text: u32, loc: u64) -> u32 {
    with_session(s, loc, |ms| {
        let what = if text == MESH_NO_TEXT {
            ""
        } else {
            match ms.names.resolve(&mut ms.session, text, "require text") {
                Ok(t) => t,
                Err(st) => return st,
            }
        };
        status(ms.session.require(ok != 0, what))
    })
}

/// Reverts the bundle with `reason` (UTF-8), e.g. an overflow that
/// generated code detected. Always returns `1`.
///
/// # Safety
/// `s` is a live session; `ptr` points at `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn mesh_revert(
    s: *mut MeshSession,
    ptr: *const u8,
    len: usize,
    loc: u64,
) -> u32 {
    with_session(s, loc, |ms| {
        // SAFETY: forwarded from the caller.
        let reason =
            unsafe { str_arg(ptr, len) }.unwrap_or_else(|| "revert (reason not UTF-8)".to_string());
        let _ = ms.session.revert(&reason);
        MESH_REVERTED
    })
}

fn arith(
    s: *mut MeshSession,
    loc: u64,
    a: u128,
    b: u128,
    out: *mut MeshAmount,
    op: fn(u128, u128) -> Option<u128>,
    what: &str,
) -> u32 {
    if out.is_null() {
        return MESH_INVALID;
    }
    with_session(s, loc, |ms| match op(a, b) {
        Some(v) => {
            write_out(out, v);
            MESH_OK
        }
        None => {
            write_out(out, 0);
            status(ms.session.revert(what))
        }
    })
}

/// Checked `a + b`; overflow reverts.
///
/// # Safety
/// `s` is a live session; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mesh_amount_add(
    s: *mut MeshSession,
    a_lo: u64,
    a_hi: u64,
    b_lo: u64,
    b_hi: u64,
    loc: u64,
    out: *mut MeshAmount,
) -> u32 {
    arith(
        s,
        loc,
        join(a_lo, a_hi),
        join(b_lo, b_hi),
        out,
        u128::checked_add,
        reason::ADD,
    )
}

/// Checked `a - b`; underflow reverts.
///
/// # Safety
/// `s` is a live session; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mesh_amount_sub(
    s: *mut MeshSession,
    a_lo: u64,
    a_hi: u64,
    b_lo: u64,
    b_hi: u64,
    loc: u64,
    out: *mut MeshAmount,
) -> u32 {
    arith(
        s,
        loc,
        join(a_lo, a_hi),
        join(b_lo, b_hi),
        out,
        u128::checked_sub,
        reason::SUB,
    )
}

/// Checked `a * b`; overflow reverts.
///
/// # Safety
/// `s` is a live session; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mesh_amount_mul(
    s: *mut MeshSession,
    a_lo: u64,
    a_hi: u64,
    b_lo: u64,
    b_hi: u64,
    loc: u64,
    out: *mut MeshAmount,
) -> u32 {
    arith(
        s,
        loc,
        join(a_lo, a_hi),
        join(b_lo, b_hi),
        out,
        u128::checked_mul,
        reason::MUL,
    )
}

/// `a / b`, rounded down; division by zero reverts.
///
/// # Safety
/// `s` is a live session; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mesh_amount_div(
    s: *mut MeshSession,
    a_lo: u64,
    a_hi: u64,
    b_lo: u64,
    b_hi: u64,
    loc: u64,
    out: *mut MeshAmount,
) -> u32 {
    arith(
        s,
        loc,
        join(a_lo, a_hi),
        join(b_lo, b_hi),
        out,
        u128::checked_div,
        reason::DIV,
    )
}

/// `p` plus its premium at `bps` basis points, rounded up
/// (`maths::with_premium`, what `repay` charges); overflow reverts.
///
/// # Safety
/// `s` is a live session; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mesh_amount_with_premium(
    s: *mut MeshSession,
    p_lo: u64,
    p_hi: u64,
    bps_lo: u64,
    bps_hi: u64,
    loc: u64,
    out: *mut MeshAmount,
) -> u32 {
    arith(
        s,
        loc,
        join(p_lo, p_hi),
        join(bps_lo, bps_hi),
        out,
        |p, bps| {
            let bps = u32::try_from(bps).ok()?;
            crate::maths::with_premium(p, bps).ok()
        },
        reason::ADD,
    )
}

fn add_constraint(
    s: *mut MeshSession,
    loc: u64,
    f: impl FnOnce(&mut MeshSession) -> Result<Constraint, u32>,
) -> u32 {
    with_session(s, loc, |ms| match f(ms) {
        Ok(c) => {
            ms.constraints.items.push((c, Loc::unpack(loc)));
            MESH_OK
        }
        Err(st) => st,
    })
}

/// Constraint `deadline: blocks`, checked at finish.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_constraint_deadline(
    s: *mut MeshSession,
    blocks: u64,
    loc: u64,
) -> u32 {
    add_constraint(s, loc, |_| Ok(Constraint::Deadline(blocks)))
}

/// Constraint `max_gas: gas`, checked at finish.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_constraint_max_gas(s: *mut MeshSession, gas: u64, loc: u64) -> u32 {
    add_constraint(s, loc, |_| Ok(Constraint::MaxGas(gas)))
}

/// Constraint `min_balance: amount token on chain`, checked at finish.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_constraint_min_balance(
    s: *mut MeshSession,
    chain: u32,
    token: u32,
    lo: u64,
    hi: u64,
    loc: u64,
) -> u32 {
    add_constraint(s, loc, |ms| {
        let chain = ms.names.resolve(&mut ms.session, chain, "chain")?;
        let token = ms.names.resolve(&mut ms.session, token, "token")?;
        if ms.session.holding(chain, token).is_err() {
            return Err(MESH_REVERTED);
        }
        Ok(Constraint::MinBalance {
            chain: chain.to_string(),
            token: token.to_string(),
            amount: join(lo, hi),
        })
    })
}

/// Constraint `min_security: kind`, checked at finish.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_constraint_min_security(
    s: *mut MeshSession,
    kind: u32,
    loc: u64,
) -> u32 {
    add_constraint(s, loc, |ms| {
        let name = ms.names.resolve(&mut ms.session, kind, "bridge kind")?;
        match BridgeKind::from_name(name) {
            Some(k) => Ok(Constraint::MinSecurity(k)),
            None => {
                let _ = ms.session.revert(&format!(
                    "unknown bridge kind `{name}`; the runtime knows `htlb`, `zk` and `threshold`"
                ));
                Err(MESH_REVERTED)
            }
        }
    })
}

/// Constraint `invariant: name` (`constant_product`), checked at finish.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_constraint_invariant(
    s: *mut MeshSession,
    name: u32,
    loc: u64,
) -> u32 {
    add_constraint(s, loc, |ms| {
        let name = ms.names.resolve(&mut ms.session, name, "invariant")?;
        match Invariant::from_name(name) {
            Some(i) => Ok(Constraint::Invariant(i)),
            None => {
                let _ = ms.session.revert(&format!(
                    "unknown invariant `{name}`; the runtime knows `constant_product`"
                ));
                Err(MESH_REVERTED)
            }
        }
    })
}

/// Ends the bundle: checks obligations and constraints, then commits or
/// reverts everything. Returns `0` committed, `1` reverted. Idempotent.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_bundle_finish(s: *mut MeshSession, loc: u64) -> u32 {
    with_session(s, loc, |ms| {
        if ms.finish().committed() {
            MESH_OK
        } else {
            MESH_REVERTED
        }
    })
}

/// Prints the report on standard output: human text, or JSON when `json`
/// is non-zero. Finishes the bundle first if needed.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_report_print(s: *mut MeshSession, json: u32) -> u32 {
    with_session(s, 0, |ms| {
        let report = ms.finish();
        if json != 0 {
            println!("{}", report.to_json());
        } else {
            print!("{}", report.render_human());
        }
        MESH_OK
    })
}

/// Writes the session's world (as committed, or unchanged after a revert)
/// to the file at `path`, atomically. `0` ok, `2` on an I/O error (reported
/// on standard error) or before the bundle has finished.
///
/// # Safety
/// `s` is a live session; `ptr` points at `len` bytes of UTF-8.
#[no_mangle]
pub unsafe extern "C" fn mesh_world_save(s: *mut MeshSession, ptr: *const u8, len: usize) -> u32 {
    with_session(s, 0, |ms| {
        if ms.report.is_none() {
            eprintln!("error: the world is saved after the bundle finishes");
            return MESH_INVALID;
        }
        // SAFETY: forwarded from the caller.
        let Some(path) = (unsafe { str_arg(ptr, len) }) else {
            eprintln!("error: the world path is not UTF-8");
            return MESH_INVALID;
        };
        match ms.session.world().save_atomic(Path::new(&path)) {
            Ok(()) => MESH_OK,
            Err(e) => {
                eprintln!("error: cannot write {path}: {e}");
                MESH_INVALID
            }
        }
    })
}

/// The body of a bundle, as generated code defines it: runs the bundle's
/// calls on the session, returns a status.
pub type MeshBundleBody = extern "C" fn(*mut MeshSession) -> u32;

/// A token declared in the bundle's source file (`token SYMBOL decimals N
/// [at ADDRESS]`), as a standalone executable passes it to
/// [`mesh_main_tokens`]: UTF-8 texts by pointer and length (`address_len`
/// 0 for none).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MeshToken {
    pub symbol: *const u8,
    pub symbol_len: usize,
    pub decimals: u32,
    pub address: *const u8,
    pub address_len: usize,
}

/// Adds the declared tokens to `world`'s registry, as `meshc run` does
/// before it runs a bundle, and returns each declaration the registry
/// refuses (other decimals, or another address, than a token it knows):
/// the bundle's amounts were compiled for the declared token, so it must
/// not run on another one.
///
/// # Safety
/// `tokens` points at `count` entries whose texts are readable.
unsafe fn declare_tokens(
    world: &mut World,
    tokens: *const MeshToken,
    count: usize,
) -> Vec<mesh_core::registry::RegistryError> {
    let mut refused = Vec::new();
    if tokens.is_null() || count == 0 {
        return refused;
    }
    // SAFETY: the caller promises `count` entries at `tokens`.
    let table = unsafe { std::slice::from_raw_parts(tokens, count) };
    for token in table {
        // SAFETY: each entry's texts are readable for their lengths.
        let symbol = unsafe { str_arg(token.symbol, token.symbol_len) };
        // SAFETY: as above.
        let address = unsafe { str_arg(token.address, token.address_len) };
        if let Some(symbol) = symbol.filter(|s| !s.is_empty()) {
            let address = address.filter(|a| !a.is_empty());
            if let Err(e) =
                world
                    .registry
                    .declare_token(&symbol, token.decimals, address.as_deref())
            {
                refused.push(e);
            }
        }
    }
    refused
}

/// The `main` of a standalone executable: parses `[--world PATH] [--json]
/// [--commit] [--lock-timeout SECONDS]`, starts the session, runs `body`,
/// finishes, and with `--commit` writes a committed world back to the world
/// file (holding its lock from before the run to after the write, as
/// `meshc run --commit` does), then prints the report. Returns the exit
/// code: 0 committed, 1 reverted, 2 usage or I/O error. The same as [`mesh_main_tokens`] with no
/// declared tokens.
///
/// # Safety
/// `argv` holds `argc` C strings; `name_ptr` points at `name_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn mesh_main(
    argc: i32,
    argv: *const *const c_char,
    name_ptr: *const u8,
    name_len: usize,
    body: MeshBundleBody,
) -> i32 {
    // SAFETY: forwarded from the caller; no token table.
    unsafe { mesh_main_tokens(argc, argv, name_ptr, name_len, body, std::ptr::null(), 0) }
}

/// [`mesh_main`] for a bundle whose source declares tokens: the
/// `token_count` entries at `tokens` are added to the world's registry
/// (the loaded world file's, or the default world's) before the session
/// starts, exactly as `meshc run` does.
///
/// # Safety
/// As [`mesh_main`]; `tokens` points at `token_count` [`MeshToken`]s (or
/// `token_count` is 0).
#[no_mangle]
pub unsafe extern "C" fn mesh_main_tokens(
    argc: i32,
    argv: *const *const c_char,
    name_ptr: *const u8,
    name_len: usize,
    body: MeshBundleBody,
    tokens: *const MeshToken,
    token_count: usize,
) -> i32 {
    let run = AssertUnwindSafe(|| {
        let mut args = Vec::new();
        for i in 1..argc.max(0) as usize {
            // SAFETY: the caller passes the process's argv.
            let arg = unsafe { *argv.add(i) };
            if arg.is_null() {
                break;
            }
            // SAFETY: each argv entry is a NUL-terminated string.
            args.push(
                unsafe { CStr::from_ptr(arg) }
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        // SAFETY: forwarded from the caller.
        let name = unsafe { str_arg(name_ptr, name_len) }.unwrap_or_else(|| "bundle".to_string());
        let usage =
            format!("usage: {name} [--world PATH] [--json] [--commit] [--lock-timeout SECONDS]");
        let (mut world_path, mut json, mut commit) = (None, false, false);
        let mut wait = DEFAULT_LOCK_WAIT;
        let mut it = args.into_iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--world" => match it.next() {
                    Some(p) => world_path = Some(p),
                    None => {
                        eprintln!("error: --world needs a path\n{usage}");
                        return 2;
                    }
                },
                "--json" => json = true,
                "--commit" => commit = true,
                "--lock-timeout" => {
                    match it.next().as_deref().and_then(seconds) {
                        Some(d) => wait = d,
                        None => {
                            eprintln!("error: --lock-timeout needs a number of seconds (0 to 86400)\n{usage}");
                            return 2;
                        }
                    }
                }
                "--help" | "-h" => {
                    println!("{usage}");
                    return 0;
                }
                other => {
                    eprintln!("error: unknown argument `{other}`\n{usage}");
                    return 2;
                }
            }
        }
        if commit && world_path.is_none() {
            eprintln!("error: --commit needs --world PATH (the file to write back)");
            return 2;
        }
        // With --commit the world file is locked from here to the end.
        let (target, mut world) =
            match RunWorld::open(world_path.as_deref().map(Path::new), commit, wait) {
                Ok(opened) => opened,
                Err(e) => {
                    eprintln!("error: {e}");
                    return 2;
                }
            };
        for notice in target.notices() {
            eprintln!("warning: {notice}");
        }
        // SAFETY: forwarded from the caller.
        let refused = unsafe { declare_tokens(&mut world, tokens, token_count) };
        if !refused.is_empty() {
            for e in &refused {
                eprintln!("error: {e}: the bundle was built with that `token` declaration, and the world it runs on disagrees");
            }
            eprintln!("bundle {name}: nothing was run");
            return 1;
        }
        let s = Box::into_raw(MeshSession::new(Session::new(world, &name)));
        let _ = catch_unwind(AssertUnwindSafe(|| body(s)));
        // SAFETY: `s` came from `Box::into_raw` above and is not used after.
        let (mut report, session, _) = unsafe { Box::from_raw(s) }.into_parts();
        let mut code = if report.committed() { 0 } else { 1 };
        // The world is written before the report says "committed".
        if let Err(e) = target.finish(&mut report, session.world()) {
            eprintln!("error: {e}");
            code = 2;
        }
        if json {
            println!("{}", report.to_json());
        } else {
            print!("{}", report.render_human());
        }
        code
    });
    catch_unwind(run).unwrap_or(2)
}

/// A number of seconds, as `--lock-timeout` takes it (at most a day).
fn seconds(text: &str) -> Option<std::time::Duration> {
    let s: f64 = text.parse().ok()?;
    (s.is_finite() && (0.0..=86_400.0).contains(&s)).then(|| std::time::Duration::from_secs_f64(s))
}

/// One exported symbol: its entry point and address.
#[derive(Clone, Copy, Debug)]
pub struct Symbol {
    pub entry: Entry,
    pub name: &'static str,
    pub address: *const u8,
}

// SAFETY: the addresses are of functions, immutable for the program's life.
unsafe impl Sync for Symbol {}
// SAFETY: as above.
unsafe impl Send for Symbol {}

/// The Rust type of each type of the entry-point list.
macro_rules! rust_type {
    (Session) => { *mut MeshSession };
    (NewSession) => { *mut MeshSession };
    (Nothing) => { () };
    (Status) => { u32 };
    (Bytes) => { *const u8 };
    (Len) => { usize };
    (IndexOut) => { *mut u32 };
    (Flags) => { *const u32 };
    (FlagsOut) => { *mut u32 };
    (Name) => { u32 };
    (Names) => { *const u32 };
    (Sender) => { SenderCode };
    (Spender) => { SpenderCode };
    (Loan) => { LoanCode };
    (Flag) => { u32 };
    (Half) => { u64 };
    (Halves) => { *const u64 };
    (Locs) => { *const u64 };
    (Loc) => { u64 };
    (Count) => { u64 };
    (AmountOut) => { *mut MeshAmount };
    (Argc) => { i32 };
    (Argv) => { *const *const c_char };
    (Body) => { MeshBundleBody };
    (Tokens) => { *const MeshToken };
    (ExitCode) => { i32 };
}

/// Expands the entry-point list (`mesh_core::for_each_entry!`): a
/// compile-time check that each function has exactly its declared
/// signature, and the symbol table.
macro_rules! symbol_table {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $symbol:ident($($param:ident: $ty:ident),* $(,)?) -> $result:ident;
    )*) => {
        $(const _: unsafe extern "C" fn($(rust_type!($ty)),*) -> rust_type!($result) = $symbol;)*
        static SYMBOLS: &[Symbol] = &[$(Symbol {
            entry: Entry::$variant,
            name: stringify!($symbol),
            address: $symbol as *const u8,
        }),*];
    };
}

mesh_core::for_each_entry!(symbol_table);

/// Every symbol of the ABI: the single table that the JIT registers and
/// that docs/runtime.md lists.
pub fn symbols() -> &'static [Symbol] {
    SYMBOLS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_name_gets_the_same_index() {
        let mut names = MeshNames::new();
        assert_eq!(names.register("polygon"), Some(0));
        assert_eq!(names.register("WETH"), Some(1));
        assert_eq!(names.register("polygon"), Some(0));
        assert_eq!(names.register("aave"), Some(2));
        assert_eq!(names.get(1), Some("WETH"));
        assert_eq!(names.get(3), None);
        assert_eq!(names.len(), 3);
    }

    #[test]
    fn a_table_handed_to_the_next_run_gives_the_same_indices() {
        let register = |s: *mut MeshSession, name: &str| {
            let mut index = u32::MAX;
            // SAFETY: `s` is live; the text and the out-pointer are valid.
            let st = unsafe { mesh_name(s, name.as_ptr(), name.len(), &mut index) };
            assert_eq!(st, MESH_OK);
            index
        };
        let order = ["polygon", "WETH", "aave", "WETH", "arbitrum"];
        let mut table = MeshNames::new();
        let mut first = Vec::new();
        for run in 0..3 {
            let session = Session::new(World::builtin(), "b");
            let s = Box::into_raw(MeshSession::with_names(session, table));
            let indices: Vec<u32> = order.iter().map(|n| register(s, n)).collect();
            // A name out of the usual order still finds its index.
            assert_eq!(register(s, "aave"), 2);
            // SAFETY: `s` came from `Box::into_raw` and is not used again.
            let (report, _, names) = unsafe { Box::from_raw(s) }.into_parts();
            assert!(report.committed());
            assert_eq!(names.len(), 4);
            if run == 0 {
                first = indices;
            } else {
                assert_eq!(indices, first);
            }
            table = names;
        }
    }

    #[test]
    fn a_name_that_is_not_utf8_reverts_even_with_a_table() {
        let mut table = MeshNames::new();
        table.register("polygon");
        let s = Box::into_raw(MeshSession::with_names(
            Session::new(World::builtin(), "b"),
            table,
        ));
        let bad = [0xffu8, 0xfe];
        let mut index = 0;
        // SAFETY: `s` is live; the bytes and the out-pointer are valid.
        let st = unsafe { mesh_name(s, bad.as_ptr(), bad.len(), &mut index) };
        assert_eq!(st, MESH_REVERTED);
        // SAFETY: `s` came from `Box::into_raw` and is not used again.
        let (report, _, _) = unsafe { Box::from_raw(s) }.into_parts();
        assert!(!report.committed());
    }
}
