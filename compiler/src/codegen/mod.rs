//! Cranelift code generation (docs/codegen.md): one lowering of an IR
//! [`Program`] over `&mut dyn Module`, feeding both cranelift-jit (`meshc
//! run`) and cranelift-object (`meshc build`).
//!
//! The generated function is the bundle's body, `extern "C" fn(*mut
//! MeshSession) -> u32`: it registers its names, its constraints, then
//! makes the runtime's C ABI calls box by box, in the interpreter's order
//! and with the same source locations. Amounts live in 64-bit halves;
//! `+`, `-` and comparisons are computed inline with checked 128-bit
//! arithmetic (an overflow calls `mesh_revert` with the line), `*` and `/`
//! through the runtime's checked entries. Any non-zero status branches to
//! the abort path, which returns it; the host then finishes the bundle.

use crate::ir::Program;
use cranelift_codegen::ir::{
    types, AbiParam, InstBuilder, Signature, StackSlotData, StackSlotKind,
};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_module::{DataDescription, DataId, FuncId, Linkage, Module};
use mesh_core::entry::{Class, Entry};
use mesh_core::revert::reason;
use std::collections::BTreeMap;
use std::fmt;

mod function;
pub mod jit;
pub mod object;
mod scan;

use function::Function;
use scan::{max_batch, max_path, names_of};

/// Code generation failed: a Cranelift or module error (a compiler bug or
/// an unsupported host), never a property of the bundle.
#[derive(Debug)]
pub struct CodegenError(pub String);

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "code generation failed: {}", self.0)
    }
}

impl std::error::Error for CodegenError {}

fn err(e: impl fmt::Display) -> CodegenError {
    CodegenError(e.to_string())
}

/// The host's ISA: position-independent code for linked executables
/// (`pic`), absolute addresses for the JIT (which requires them).
pub fn native_isa(pic: bool) -> Result<OwnedTargetIsa, CodegenError> {
    let mut flags = settings::builder();
    flags.set("opt_level", "speed").map_err(err)?;
    flags
        .set("is_pic", if pic { "true" } else { "false" })
        .map_err(err)?;
    let isa = cranelift_native::builder().map_err(err)?;
    isa.finish(settings::Flags::new(flags)).map_err(err)
}

/// Every runtime entry a bundle's body calls (each declared, with its
/// signature, from the one entry-point list of `mesh_core::entry`).
const BODY_ENTRIES: [Entry; 24] = [
    Entry::Name,
    Entry::TxBegin,
    Entry::TxEnd,
    Entry::ParallelBegin,
    Entry::ParallelNext,
    Entry::ParallelEnd,
    Entry::Approve,
    Entry::Input,
    Entry::Borrow,
    Entry::Repay,
    Entry::SwapPath,
    Entry::Deposit,
    Entry::Withdraw,
    Entry::Bridge,
    Entry::BridgeBatch,
    Entry::Require,
    Entry::Revert,
    Entry::AmountMul,
    Entry::AmountDiv,
    Entry::AmountWithPremium,
    Entry::ConstraintDeadline,
    Entry::ConstraintMaxGas,
    Entry::ConstraintMinBalance,
    Entry::ConstraintInvariant,
];

/// The signature of a runtime entry, from its declaration.
pub fn entry_signature(module: &dyn Module, entry: Entry) -> Signature {
    let ptr = module.target_config().pointer_type();
    let machine = |class: Class| match class {
        Class::Pointer => Some(ptr),
        Class::I32 => Some(types::I32),
        Class::I64 => Some(types::I64),
        Class::Void => None,
    };
    let mut sig = module.make_signature();
    for (_, ty) in entry.params() {
        if let Some(t) = machine(ty.class()) {
            sig.params.push(AbiParam::new(t));
        }
    }
    if let Some(t) = machine(entry.result().class()) {
        sig.returns.push(AbiParam::new(t));
    }
    sig
}

/// Reused across functions: Cranelift's contexts and the module's imports.
pub struct Translator {
    ctx: Context,
    fctx: FunctionBuilderContext,
    imports: BTreeMap<Entry, FuncId>,
    strings: BTreeMap<String, DataId>,
    /// Set after the last translation, for `--emit clif`.
    pub last_clif: Option<String>,
    pub keep_clif: bool,
}

impl Translator {
    pub fn new(module: &mut dyn Module) -> Result<Translator, CodegenError> {
        let mut imports = BTreeMap::new();
        for entry in BODY_ENTRIES {
            let sig = entry_signature(module, entry);
            let id = module
                .declare_function(entry.symbol(), Linkage::Import, &sig)
                .map_err(err)?;
            imports.insert(entry, id);
        }
        Ok(Translator {
            ctx: module.make_context(),
            fctx: FunctionBuilderContext::new(),
            imports,
            strings: BTreeMap::new(),
            last_clif: None,
            keep_clif: false,
        })
    }

    /// The signature of a bundle body: `fn(*mut MeshSession) -> u32`.
    pub fn body_signature(module: &dyn Module) -> Signature {
        let mut sig = module.make_signature();
        sig.params
            .push(AbiParam::new(module.target_config().pointer_type()));
        sig.returns.push(AbiParam::new(types::I32));
        sig
    }

    /// A read-only data object holding `text`, shared by every use.
    pub fn string(&mut self, module: &mut dyn Module, text: &str) -> Result<DataId, CodegenError> {
        if let Some(id) = self.strings.get(text) {
            return Ok(*id);
        }
        let name = format!("mesh_str_{}", self.strings.len());
        let id = module
            .declare_data(&name, Linkage::Local, false, false)
            .map_err(err)?;
        let mut data = DataDescription::new();
        // Never empty: a zero-sized object may have no address.
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0);
        data.define(bytes.into_boxed_slice());
        module.define_data(id, &data).map_err(err)?;
        self.strings.insert(text.to_string(), id);
        Ok(id)
    }

    /// Defines `program`'s body as the function `name` with `linkage`.
    pub fn define_body(
        &mut self,
        module: &mut dyn Module,
        program: &Program,
        name: &str,
        linkage: Linkage,
    ) -> Result<FuncId, CodegenError> {
        let sig = Self::body_signature(module);
        let id = module.declare_function(name, linkage, &sig).map_err(err)?;
        let names = names_of(program);
        let mut texts = names.clone();
        texts.extend([reason::ADD, reason::SUB].iter().map(|s| s.to_string()));
        let mut data = BTreeMap::new();
        for t in texts {
            let id = self.string(module, &t)?;
            data.insert(t, id);
        }

        self.ctx.clear();
        self.ctx.func.signature = sig;
        let ptr = module.target_config().pointer_type();
        {
            let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
            let entry = b.create_block();
            b.append_block_params_for_function_params(entry);
            let abort = b.create_block();
            b.append_block_param(abort, types::I32);
            b.switch_to_block(entry);
            b.seal_block(entry);
            let session = b.block_params(entry)[0];
            let mut funcs = BTreeMap::new();
            for (name, id) in &self.imports {
                funcs.insert(*name, module.declare_func_in_func(*id, b.func));
            }
            let mut globals = BTreeMap::new();
            for (text, id) in &data {
                globals.insert(text.clone(), module.declare_data_in_func(*id, b.func));
            }
            let name_slot = b.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                u32::try_from(names.len().max(1) * 4).map_err(err)?,
                2,
            ));
            let out_slot =
                b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 16, 3));
            let path_slot = b.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                u32::try_from(max_path(&program.body).max(1) * 4).map_err(err)?,
                2,
            ));
            let batch_slot = b.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                u32::try_from(max_batch(&program.body).max(1) * 32).map_err(err)?,
                3,
            ));
            let wires = program.wires.len();
            for i in 0..wires * 2 {
                b.declare_var(
                    Variable::from_u32(u32::try_from(i).map_err(err)?),
                    types::I64,
                );
            }
            let mut f = Function {
                b,
                ptr,
                session,
                abort,
                funcs,
                globals,
                names: names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.clone(), i))
                    .collect(),
                name_slot,
                out_slot,
                path_slot,
                batch_slot,
                undeclared: None,
            };
            // Zero every wire so that no path reads an undefined variable.
            let zero = f.b.ins().iconst(types::I64, 0);
            for i in 0..wires * 2 {
                f.b.def_var(Variable::from_u32(i as u32), zero);
            }
            for (i, n) in names.iter().enumerate() {
                let text = f.text(n);
                let len = f.b.ins().iconst(ptr, n.len() as i64);
                let out = f.b.ins().stack_addr(ptr, f.name_slot, (i * 4) as i32);
                f.call(Entry::Name, &[f.session, text, len, out]);
            }
            f.constraints(&program.constraints)?;
            f.term(program, &program.body)?;
            let ok = f.b.ins().iconst(types::I32, 0);
            f.b.ins().return_(&[ok]);
            f.b.switch_to_block(f.abort);
            f.b.seal_block(f.abort);
            let status = f.b.block_params(f.abort)[0];
            f.b.ins().return_(&[status]);
            f.b.finalize();
            if let Some(entry) = f.undeclared {
                return Err(CodegenError(format!(
                    "the runtime entry `{}` is called but not declared",
                    entry.symbol()
                )));
            }
        }
        if self.keep_clif {
            self.last_clif = Some(self.ctx.func.display().to_string());
        }
        module
            .define_function(id, &mut self.ctx)
            .map_err(|e| CodegenError(format!("{e:?}")))?;
        module.clear_context(&mut self.ctx);
        Ok(id)
    }
}
