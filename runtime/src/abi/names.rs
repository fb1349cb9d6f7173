//! Names across the boundary: the string table ([`MeshNames`]) that
//! `mesh_name` fills, how an index resolves to an id once per run, and the
//! `bind_names!` helper every entry uses to turn indices into names.

use std::collections::HashMap;

use super::ffi::bytes_ref;
use super::handle::{with_session, MeshSession};
use super::{MESH_INVALID, MESH_OK, MESH_REVERTED};
use crate::registry::{ChainId, ProtocolId, Registry, TokenId};
use crate::session::{NameRef, Session};

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
pub(super) struct Resolved {
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
        pub(super) fn $prepare(&mut self, index: u32, registry: &Registry) {
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

        pub(super) fn $get(&self, index: u32) -> Option<NameRef<'_, $id>> {
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
    pub(super) fn expected(&mut self, bytes: &[u8]) -> Option<u32> {
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
    pub(super) fn new_run(&mut self) {
        self.cursor = 0;
        self.resolved.clear();
    }

    /// `name`, the name at `index` as some kind, or a revert of `session`
    /// for an unregistered index.
    pub(super) fn arg<T>(
        name: Option<T>,
        session: &mut Session,
        index: u32,
        what: &str,
    ) -> Result<T, u32> {
        name.ok_or_else(|| invalid_index(session, index, what))
    }

    /// The name at `index`, or a revert of `session` naming what was wanted.
    pub(super) fn resolve(
        &self,
        session: &mut Session,
        index: u32,
        what: &str,
    ) -> Result<&str, u32> {
        self.get(index)
            .ok_or_else(|| invalid_index(session, index, what))
    }
}

/// Reverts `session` for a name index that `mesh_name` never gave.
pub(super) fn invalid_index(session: &mut Session, index: u32, what: &str) -> u32 {
    let _ = session.revert(&format!(
        "invalid {what} name index {index} (not registered with mesh_name)"
    ));
    MESH_REVERTED
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
pub(super) use bind_names;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::World;

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
            let session = Session::new(World::default_world(), "b");
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
            Session::new(World::default_world(), "b"),
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
