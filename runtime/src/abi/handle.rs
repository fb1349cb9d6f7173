//! [`MeshSession`]: a session as generated code holds it — the session, its
//! string table, its constraints and, once finished, its report — and
//! [`with_session`], which runs an entry on it with panics caught.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::names::MeshNames;
use super::MESH_INVALID;
use super::MESH_REVERTED;
use crate::report::Report;
use crate::session::{Constraints, Loc, Session};

/// A session as generated code holds it: the session, its string table,
/// its constraints, and the report once finished.
pub struct MeshSession {
    pub(super) session: Session,
    pub(super) names: MeshNames,
    pub(super) constraints: Constraints,
    pub(super) report: Option<Report>,
    pub(super) internal_error: Option<String>,
}

impl MeshSession {
    /// Wraps a session (the JIT host makes one from its own world; hand
    /// generated code `Box::into_raw(MeshSession::new(s))`).
    pub fn new(session: Session) -> Box<MeshSession> {
        MeshSession::with_names(session, MeshNames::new())
    }

    /// Wraps a session with the string table of an earlier run of the same
    /// body (see [`MeshNames`]).
    pub fn with_names(session: Session, names: MeshNames) -> Box<MeshSession> {
        Box::new(MeshSession::for_run(session, names))
    }

    /// As [`MeshSession::with_names`], not boxed: a host that runs a body
    /// in process may keep the session where it likes (on its stack) and
    /// hand the body a pointer to it, saving an allocation of the whole
    /// session per run.
    pub fn for_run(session: Session, mut names: MeshNames) -> MeshSession {
        names.new_run();
        MeshSession {
            session,
            names,
            constraints: Constraints::new(),
            report: None,
            internal_error: None,
        }
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

    pub(super) fn finish(&mut self) -> &Report {
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
pub(super) fn conclude(
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

pub(super) fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic".to_string()
    }
}

/// Runs `f` on the session with panics caught; a panic reverts the bundle.
pub(super) fn with_session(
    s: *mut MeshSession,
    loc: u64,
    f: impl FnOnce(&mut MeshSession) -> u32,
) -> u32 {
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
