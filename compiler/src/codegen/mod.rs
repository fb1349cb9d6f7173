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
//! through the runtime's checked entries. A failed call (status 1) goes on
//! — the runtime keeps the failure first in the source, and what a failed
//! call delivers is zero —; an invalid call (status 2) branches to the
//! abort path, which returns it; the host then finishes the bundle.
//!
//! Module map:
//!
//! - here: the imports, each declared with its signature from the one
//!   entry-point list (`mesh_core::for_each_entry!`), and the
//!   [`Translator`], which defines a body as a tree of bounded functions;
//! - `steps`: the body as a list of steps, and the names the code generator
//!   reads off a program before translating it;
//! - `function`: one function of the tree, its steps made into calls (a
//!   bundle's constraints in `function/constraints`, the steps on the
//!   user's positions in `function/positions`);
//! - [`jit`]: `meshc run`, the body compiled into memory with the runtime's
//!   functions registered;
//! - [`object`]: `meshc build`, the body and a C `main` in an object file.

use crate::ir::Program;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types, AbiParam, InstBuilder, Signature, StackSlotData, StackSlotKind,
};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{DataDescription, DataId, FuncId, Linkage, Module};
use mesh_core::entry::{Class, Entry, MESH_INVALID};
use mesh_core::revert::reason;
use std::collections::BTreeMap;
use std::fmt;

mod function;
pub mod jit;
pub mod object;
mod steps;

use function::Function;
use steps::{flatten, names_of, Shared, Step};

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
const BODY_ENTRIES: [Entry; 35] = [
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
    Entry::RepayDebt,
    Entry::AssumeDebt,
    Entry::AssumeCollateral,
    Entry::AssumeHealthy,
    Entry::SwapPath,
    Entry::Deposit,
    Entry::Withdraw,
    Entry::Wrap,
    Entry::Unwrap,
    Entry::Bridge,
    Entry::BridgeBatch,
    Entry::FlashLoan,
    Entry::Require,
    Entry::Revert,
    Entry::AmountMul,
    Entry::AmountDiv,
    Entry::FlashPremium,
    Entry::ConstraintDeadline,
    Entry::ConstraintDeadlineSeconds,
    Entry::ConstraintMaxGas,
    Entry::ConstraintMinBalance,
    Entry::ConstraintInvariant,
    Entry::ConstraintMinSecurity,
    Entry::ConstraintMinProfit,
    Entry::ConstraintMinHealth,
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
    ///
    /// The body's work is a list of steps (see [`Step`]), split into
    /// functions of at most [`STEPS_PER_FUNCTION`] steps, which functions of
    /// at most as many calls call in turn, as a tree; the body allocates
    /// the wires and the name table and calls its root. Cranelift's work on
    /// one function grows faster than its size (every call's status check
    /// adds a block, and dominance, register allocation and the verifier
    /// walk the chain of blocks), so one function per bundle made compiling
    /// a long bundle quadratic; bounded functions keep it linear. Wires live
    /// in memory, which every function of the tree reaches.
    pub fn define_body(
        &mut self,
        module: &mut dyn Module,
        program: &Program,
        name: &str,
        linkage: Linkage,
    ) -> Result<FuncId, CodegenError> {
        let names = names_of(program);
        let mut steps: Vec<Step<'_>> = Vec::new();
        steps.extend(names.iter().enumerate().map(|(i, n)| Step::Name(i, n)));
        steps.extend(
            program
                .constraints
                .items
                .iter()
                .map(|(c, loc)| Step::Constraint(c, *loc)),
        );
        flatten(&program.body, &mut steps);
        let table: BTreeMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let mut texts: Vec<&str> = names.iter().map(String::as_str).collect();
        texts.extend([reason::ADD, reason::SUB]);
        let mut data = BTreeMap::new();
        for t in texts {
            let id = self.string(module, t)?;
            data.insert(t.to_string(), id);
        }
        let cx = Shared {
            program,
            names: &table,
            data: &data,
        };
        self.last_clif = None;

        let mut level: Vec<FuncId> = Vec::new();
        for chunk in steps.chunks(STEPS_PER_FUNCTION) {
            level.push(self.define_part(module, &cx, chunk)?);
        }
        while level.len() > 1 {
            let mut callers = Vec::new();
            for callees in level.chunks(STEPS_PER_FUNCTION) {
                callers.push(self.define_caller(module, callees)?);
            }
            level = callers;
        }

        let sig = Self::body_signature(module);
        let id = module.declare_function(name, linkage, &sig).map_err(err)?;
        self.ctx.clear();
        self.ctx.func.signature = sig;
        let root = level
            .first()
            .map(|root| module.declare_func_in_func(*root, &mut self.ctx.func));
        let ptr = module.target_config().pointer_type();
        {
            let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
            let entry = b.create_block();
            b.append_block_params_for_function_params(entry);
            b.switch_to_block(entry);
            b.seal_block(entry);
            let session = b.block_params(entry)[0];
            let name_slot = b.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                u32::try_from(names.len().max(1) * 4).map_err(err)?,
                2,
            ));
            let wire_slot = b.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                u32::try_from(program.wires.len().max(1) * WIRE_BYTES).map_err(err)?,
                3,
            ));
            // Zero every wire so that no path reads an undefined amount.
            let zero = b.ins().iconst(types::I64, 0);
            for i in 0..program.wires.len() * (WIRE_BYTES / 8) {
                let offset = i32::try_from(i * 8).map_err(err)?;
                b.ins().stack_store(zero, wire_slot, offset);
            }
            let status = match root {
                Some(root) => {
                    let wires = b.ins().stack_addr(ptr, wire_slot, 0);
                    let names = b.ins().stack_addr(ptr, name_slot, 0);
                    let inst = b.ins().call(root, &[session, wires, names]);
                    b.inst_results(inst)[0]
                }
                None => b.ins().iconst(types::I32, 0),
            };
            b.ins().return_(&[status]);
            b.finalize();
        }
        self.finish_function(module, id)?;
        Ok(id)
    }

    /// The signature of every function under the body: `fn(session,
    /// wires, names) -> u32`.
    fn part_signature(module: &dyn Module) -> Signature {
        let ptr = module.target_config().pointer_type();
        let mut sig = module.make_signature();
        for _ in 0..3 {
            sig.params.push(AbiParam::new(ptr));
        }
        sig.returns.push(AbiParam::new(types::I32));
        sig
    }

    /// Defines the function that makes `steps`.
    fn define_part(
        &mut self,
        module: &mut dyn Module,
        cx: &Shared<'_>,
        steps: &[Step<'_>],
    ) -> Result<FuncId, CodegenError> {
        let sig = Self::part_signature(module);
        let id = module.declare_anonymous_function(&sig).map_err(err)?;
        self.ctx.clear();
        self.ctx.func.signature = sig;
        let ptr = module.target_config().pointer_type();
        let mut funcs = BTreeMap::new();
        for (name, import) in &self.imports {
            funcs.insert(
                *name,
                module.declare_func_in_func(*import, &mut self.ctx.func),
            );
        }
        // The texts this part passes: the names it registers and the
        // reasons of an arithmetic revert.
        let mut globals = BTreeMap::new();
        let texts = steps
            .iter()
            .filter_map(|step| match step {
                Step::Name(_, text) => Some(*text),
                _ => None,
            })
            .chain([reason::ADD, reason::SUB]);
        for text in texts {
            if let Some(data) = cx.data.get(text) {
                globals.insert(
                    text.to_string(),
                    module.declare_data_in_func(*data, &mut self.ctx.func),
                );
            }
        }
        {
            let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
            let entry = b.create_block();
            b.append_block_params_for_function_params(entry);
            let abort = b.create_block();
            b.append_block_param(abort, types::I32);
            b.switch_to_block(entry);
            b.seal_block(entry);
            let params = b.block_params(entry).to_vec();
            let (session, wires, names) = (params[0], params[1], params[2]);
            let out_slot =
                b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 16, 3));
            let path_slot = b.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                u32::try_from(steps.iter().map(Step::path_len).max().unwrap_or(0).max(1) * 4)
                    .map_err(err)?,
                2,
            ));
            let batch_slot = b.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                u32::try_from(steps.iter().map(Step::batch_len).max().unwrap_or(0).max(1) * 32)
                    .map_err(err)?,
                3,
            ));
            // A swap's exchanges, one per hop, or a batch's failure flags,
            // one per transfer; the locations of a swap's hops or of a
            // batch's transfers; whether the box being made failed.
            let exchange_slot = b.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                u32::try_from(
                    steps
                        .iter()
                        .map(|s| s.path_len().max(s.batch_len()))
                        .max()
                        .unwrap_or(0)
                        .max(1)
                        * 4,
                )
                .map_err(err)?,
                2,
            ));
            let failed_slot =
                b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 8, 3));
            let skip_slot = b.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                u32::try_from(steps.iter().map(Step::batch_len).max().unwrap_or(0).max(1) * 4)
                    .map_err(err)?,
                2,
            ));
            let loc_slot = b.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                u32::try_from(
                    steps
                        .iter()
                        .map(|s| s.path_len().max(s.batch_len()))
                        .max()
                        .unwrap_or(0)
                        .max(1)
                        * 8,
                )
                .map_err(err)?,
                3,
            ));
            let mut f = Function {
                b,
                ptr,
                session,
                wires,
                names_ptr: names,
                abort,
                funcs,
                globals,
                names: cx.names,
                out_slot,
                path_slot,
                batch_slot,
                exchange_slot,
                loc_slot,
                failed_slot,
                skip_slot,
                undeclared: None,
            };
            for step in steps {
                f.step(cx.program, step)?;
            }
            if let Some(entry) = f.undeclared {
                return Err(CodegenError(format!(
                    "the runtime entry `{}` is called but not declared",
                    entry.symbol()
                )));
            }
            let ok = f.b.ins().iconst(types::I32, 0);
            f.b.ins().return_(&[ok]);
            f.b.switch_to_block(f.abort);
            f.b.seal_block(f.abort);
            let status = f.b.block_params(f.abort)[0];
            f.b.ins().return_(&[status]);
            f.b.finalize();
        }
        self.finish_function(module, id)?;
        Ok(id)
    }

    /// Defines a function that calls `callees` in turn, stopping at the
    /// first status of an invalid call, which it returns (a failed call's
    /// status, 1, goes on: the runtime keeps the failure).
    fn define_caller(
        &mut self,
        module: &mut dyn Module,
        callees: &[FuncId],
    ) -> Result<FuncId, CodegenError> {
        let sig = Self::part_signature(module);
        let id = module.declare_anonymous_function(&sig).map_err(err)?;
        self.ctx.clear();
        self.ctx.func.signature = sig;
        let refs: Vec<_> = callees
            .iter()
            .map(|callee| module.declare_func_in_func(*callee, &mut self.ctx.func))
            .collect();
        {
            let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
            let entry = b.create_block();
            b.append_block_params_for_function_params(entry);
            let abort = b.create_block();
            b.append_block_param(abort, types::I32);
            b.switch_to_block(entry);
            b.seal_block(entry);
            let params = b.block_params(entry).to_vec();
            for callee in refs {
                let inst = b.ins().call(callee, &params);
                let status = b.inst_results(inst)[0];
                let invalid = b.ins().icmp_imm(
                    IntCC::UnsignedGreaterThanOrEqual,
                    status,
                    i64::from(MESH_INVALID),
                );
                let next = b.create_block();
                b.ins().brif(invalid, abort, &[status.into()], next, &[]);
                b.switch_to_block(next);
                b.seal_block(next);
            }
            let ok = b.ins().iconst(types::I32, 0);
            b.ins().return_(&[ok]);
            b.switch_to_block(abort);
            b.seal_block(abort);
            let status = b.block_params(abort)[0];
            b.ins().return_(&[status]);
            b.finalize();
        }
        self.finish_function(module, id)?;
        Ok(id)
    }

    /// Defines the function built in the context as `id`, keeping its text
    /// for `--emit clif` when asked.
    fn finish_function(&mut self, module: &mut dyn Module, id: FuncId) -> Result<(), CodegenError> {
        if self.keep_clif {
            let text = self.ctx.func.display().to_string();
            self.last_clif
                .get_or_insert_with(String::new)
                .push_str(&text);
        }
        module
            .define_function(id, &mut self.ctx)
            .map_err(|e| CodegenError(format!("{e:?}")))?;
        module.clear_context(&mut self.ctx);
        Ok(())
    }
}

/// The bytes of one wire in memory: its amount's low and high halves, and
/// whether it is missing (what a failed box did not deliver).
const WIRE_BYTES: usize = 24;

/// The most steps (and calls) one generated function makes.
pub const STEPS_PER_FUNCTION: usize = 64;
