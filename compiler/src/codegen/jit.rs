//! The JIT driver (`meshc run`): compiles a program's body into memory,
//! with the runtime's functions registered from the ABI's single table of
//! exports.

use super::{err, native_isa, CodegenError, Translator};
use crate::ir::Program;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::Linkage;
use mesh_runtime::abi::{self, MeshBundleBody, MeshNames, MeshSession};
use mesh_runtime::{Report, Session, World};
use std::cell::Cell;

/// A bundle compiled to native code in memory, ready to run any number of
/// times (each run on a fresh session).
pub struct Compiled {
    // Owns the code `body` points into; dropped last.
    _module: JITModule,
    body: MeshBundleBody,
    program_name: String,
    /// The string table the body's last run registered, handed to the next
    /// run: the body registers the same names in the same order each time,
    /// and finds them already there. Each run still resolves every name
    /// against its own world.
    names: Cell<MeshNames>,
    /// The Cranelift IR of the body, when asked for (`--emit clif`).
    pub clif: Option<String>,
}

/// Compiles `program` with cranelift-jit.
pub fn compile(program: &Program, keep_clif: bool) -> Result<Compiled, CodegenError> {
    let isa = native_isa(false)?;
    let mut builder = JITBuilder::with_isa(isa, cranelift_module::default_libcall_names());
    for export in abi::exports() {
        builder.symbol(export.name, export.address);
    }
    let mut module = JITModule::new(builder);
    let mut translator = Translator::new(&mut module)?;
    translator.keep_clif = keep_clif;
    let id = translator.define_body(&mut module, program, "mesh_bundle_body", Linkage::Local)?;
    module.finalize_definitions().map_err(err)?;
    let code = module.get_finalized_function(id);
    // SAFETY: `code` is the function just defined with the signature of
    // `MeshBundleBody` (`Translator::body_signature`), and `module`, which
    // owns its memory, lives as long as `Compiled`.
    let body = unsafe { std::mem::transmute::<*const u8, MeshBundleBody>(code) };
    Ok(Compiled {
        _module: module,
        body,
        program_name: program.bundle.clone(),
        names: Cell::new(MeshNames::new()),
        clif: translator.last_clif,
    })
}

impl Compiled {
    /// Runs the bundle on `world`: the report and the finished session
    /// (whose world is the committed one, or the original after a revert).
    pub fn run(&self, world: World) -> (Report, Session) {
        self.run_session(Session::new(world, &self.program_name))
    }

    /// Runs the bundle in `session`, made by the caller (a quote token
    /// set, for instance).
    pub fn run_session(&self, session: Session) -> (Report, Session) {
        // The session lives on this stack for the run: the body gets a
        // pointer to it, and no allocation of it is made per run.
        let mut ms = MeshSession::for_run(session, self.names.take());
        let raw: *mut MeshSession = &mut ms;
        (self.body)(raw);
        // SAFETY: `raw` points at `ms`, live and not otherwise borrowed
        // until `into_parts` below; the body has returned and kept no copy
        // of the pointer.
        unsafe {
            abi::mesh_bundle_finish(raw, 0);
        }
        // `mesh_bundle_finish` has left the report; it is moved out, not copied.
        let (report, session, names) = ms.into_parts();
        self.names.set(names);
        (report, session)
    }
}
