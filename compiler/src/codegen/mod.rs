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

use crate::interp::reasons;
use crate::ir::{self, Constraint, Op, Program, Sender, Spender, Term, Value, Wire};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types, AbiParam, Block, InstBuilder, MemFlags, Signature, StackSlotData, StackSlotKind,
};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{DataDescription, DataId, FuncId, Linkage, Module};
use mesh_runtime::Invariant;
use std::collections::BTreeMap;
use std::fmt;

pub mod jit;
pub mod object;

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

/// Every runtime entry the generated code calls: name, parameter types
/// (`P` pointer, `W` 32-bit, `D` 64-bit), all returning a 32-bit status.
const ENTRIES: &[(&str, &str)] = &[
    ("mesh_name", "PPDP"),
    ("mesh_tx_begin", "PWWD"),
    ("mesh_tx_end", "PD"),
    ("mesh_parallel_begin", "PD"),
    ("mesh_parallel_next", "PD"),
    ("mesh_parallel_end", "PD"),
    ("mesh_approve", "PWWWD"),
    ("mesh_input", "PWWDDD"),
    ("mesh_borrow", "PWWDDWDP"),
    ("mesh_repay", "PWWDDD"),
    ("mesh_swap_path", "PWPDDDDDDP"),
    ("mesh_deposit", "PWWDDD"),
    ("mesh_withdraw", "PWWDDDP"),
    ("mesh_bridge", "PWDDWWDP"),
    ("mesh_bridge_batch", "PWWPPPDP"),
    ("mesh_require", "PWWD"),
    ("mesh_revert", "PPDD"),
    ("mesh_amount_mul", "PDDDDDP"),
    ("mesh_amount_div", "PDDDDDP"),
    ("mesh_amount_with_premium", "PDDDDDP"),
    ("mesh_constraint_deadline", "PDD"),
    ("mesh_constraint_max_gas", "PDD"),
    ("mesh_constraint_min_balance", "PWWDDD"),
    ("mesh_constraint_invariant", "PWD"),
];

/// Reused across functions: Cranelift's contexts and the module's imports.
pub struct Translator {
    ctx: Context,
    fctx: FunctionBuilderContext,
    imports: BTreeMap<&'static str, FuncId>,
    strings: BTreeMap<String, DataId>,
    /// Set after the last translation, for `--emit clif`.
    pub last_clif: Option<String>,
    pub keep_clif: bool,
}

impl Translator {
    pub fn new(module: &mut dyn Module) -> Result<Translator, CodegenError> {
        let ptr = module.target_config().pointer_type();
        let mut imports = BTreeMap::new();
        for (name, params) in ENTRIES {
            let mut sig = module.make_signature();
            for p in params.chars() {
                sig.params.push(AbiParam::new(match p {
                    'P' => ptr,
                    'W' => types::I32,
                    _ => types::I64,
                }));
            }
            sig.returns.push(AbiParam::new(types::I32));
            let id = module
                .declare_function(name, Linkage::Import, &sig)
                .map_err(err)?;
            imports.insert(*name, id);
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
                .map(|(c, loc)| Step::Constraint(c, (*loc).into())),
        );
        flatten(&program.body, &mut steps);
        let table: BTreeMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let mut texts: Vec<&str> = names.iter().map(String::as_str).collect();
        texts.extend([reasons::ADD, reasons::SUB]);
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
                u32::try_from(program.wires.len().max(1) * 16).map_err(err)?,
                3,
            ));
            // Zero every wire so that no path reads an undefined amount.
            let zero = b.ins().iconst(types::I64, 0);
            for i in 0..program.wires.len() * 2 {
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
            .chain([reasons::ADD, reasons::SUB]);
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
            };
            for step in steps {
                f.step(cx.program, step)?;
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
    /// first non-zero status, which it returns.
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
                let next = b.create_block();
                b.ins().brif(status, abort, &[status.into()], next, &[]);
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

/// The most steps (and calls) one generated function makes.
pub const STEPS_PER_FUNCTION: usize = 64;

/// What every part of one body shares.
struct Shared<'p> {
    program: &'p Program,
    /// Each name's index in the name table.
    names: &'p BTreeMap<&'p str, usize>,
    /// The data object of each text.
    data: &'p BTreeMap<String, DataId>,
}

/// One thing the body does, in order: the program flattened.
enum Step<'p> {
    /// Registers name number `.0`, whose text is `.1`.
    Name(usize, &'p str),
    Constraint(&'p Constraint, ir::Loc),
    ParallelBegin(ir::Loc),
    ParallelNext(ir::Loc),
    ParallelEnd(ir::Loc),
    TxBegin {
        chain: &'p str,
        sender: Sender,
        at: ir::Loc,
    },
    TxEnd(ir::Loc),
    Op(&'p ir::Node),
}

impl Step<'_> {
    /// How many token indices the step puts in the path slot.
    fn path_len(&self) -> usize {
        match self {
            Step::Op(node) => match &node.op {
                Op::Swap { path, .. } => path.len(),
                Op::BridgeBatch { inputs, .. } => inputs.len(),
                _ => 0,
            },
            _ => 0,
        }
    }

    /// How many transfers a bridge batch step carries.
    fn batch_len(&self) -> usize {
        match self {
            Step::Op(node) => match &node.op {
                Op::BridgeBatch { inputs, .. } => inputs.len(),
                _ => 0,
            },
            _ => 0,
        }
    }
}

/// Appends the steps of `term` to `out`, in the interpreter's order and
/// with its locations (a parallel group begins at its first box and ends at
/// its last, a branch begins at its first box, a transaction likewise);
/// returns the term's first and last locations. Each location is found
/// once, as the term is walked, not by searching the term again at every
/// level.
fn flatten<'p>(term: &'p Term, out: &mut Vec<Step<'p>>) -> (Option<ir::Loc>, Option<ir::Loc>) {
    match term {
        Term::Gen(node) => {
            out.push(Step::Op(node));
            (Some(node.loc), Some(node.loc))
        }
        Term::Seq(terms) => {
            let (mut first, mut last) = (None, None);
            for t in terms {
                let (f, l) = flatten(t, out);
                first = first.or(f);
                last = l.or(last);
            }
            (first, last)
        }
        Term::Tensor(branches) => {
            let begin = out.len();
            out.push(Step::ParallelBegin(ir::Loc::default()));
            let (mut first, mut last) = (None, None);
            for (i, branch) in branches.iter().enumerate() {
                let next = out.len();
                if i > 0 {
                    out.push(Step::ParallelNext(ir::Loc::default()));
                }
                let (f, l) = flatten(branch, out);
                if i > 0 {
                    out[next] = Step::ParallelNext(f.unwrap_or_default());
                }
                first = first.or(f);
                last = l.or(last);
            }
            out[begin] = Step::ParallelBegin(first.unwrap_or_default());
            out.push(Step::ParallelEnd(last.unwrap_or_default()));
            (first, last)
        }
        Term::Tx {
            chain,
            sender,
            body,
        } => {
            // The begin step's place; it is written once the body's first
            // location is known.
            let begin = out.len();
            out.push(Step::TxBegin {
                chain,
                sender: *sender,
                at: ir::Loc::default(),
            });
            let (mut first, mut last) = (None, None);
            for t in body {
                let (f, l) = flatten(t, out);
                first = first.or(f);
                last = l.or(last);
            }
            out[begin] = Step::TxBegin {
                chain,
                sender: *sender,
                at: first.unwrap_or_default(),
            };
            out.push(Step::TxEnd(last.unwrap_or_default()));
            (first, last)
        }
    }
}

/// Every name the program passes to the runtime, in first-use order.
fn names_of(program: &Program) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut add = |n: &str| {
        if !seen.contains(n) {
            seen.insert(n.to_string());
            names.push(n.to_string());
        }
    };
    for (c, _) in &program.constraints.items {
        match c {
            Constraint::MinBalance { chain, token, .. } => {
                add(chain);
                add(token);
            }
            Constraint::Invariant(Invariant::ConstantProduct) => add("constant_product"),
            _ => {}
        }
    }
    fn walk(program: &Program, t: &Term, add: &mut dyn FnMut(&str)) {
        match t {
            Term::Gen(node) => {
                let token = |w: &Wire| program.wire_type(*w).map_or("", |t| t.token());
                let chain = |w: &Wire| program.wire_type(*w).map_or("", |t| t.chain());
                match &node.op {
                    Op::Input { chain, token, .. } => {
                        add(chain);
                        add(token);
                    }
                    Op::Borrow {
                        protocol, funds, ..
                    } => {
                        add(protocol);
                        add(token(funds));
                    }
                    Op::Repay {
                        protocol, funds, ..
                    }
                    | Op::Deposit { protocol, funds } => {
                        add(protocol);
                        add(token(funds));
                    }
                    Op::Withdraw {
                        protocol, token, ..
                    } => {
                        add(protocol);
                        add(token);
                    }
                    Op::Swap { exchange, path, .. } => {
                        add(exchange);
                        for p in path {
                            add(p);
                        }
                    }
                    Op::Bridge { route, input, out } => {
                        add(token(input));
                        add(chain(out));
                        add(route.as_str());
                    }
                    Op::BridgeBatch {
                        route,
                        inputs,
                        outs,
                    } => {
                        for input in inputs {
                            add(token(input));
                        }
                        for out in outs {
                            add(chain(out));
                        }
                        add(route.as_str());
                    }
                    Op::Require { text, .. } => add(text),
                    Op::Approve { token, spender, .. } => {
                        add(token);
                        match spender {
                            Spender::Protocol(p) => add(p),
                            Spender::Bridge(k) => add(k.as_str()),
                        }
                    }
                    Op::Split { .. } | Op::Merge { .. } => {}
                }
            }
            Term::Tx { chain, body, .. } => {
                add(chain);
                for t in body {
                    walk(program, t, add);
                }
            }
            Term::Seq(ts) | Term::Tensor(ts) => {
                for t in ts {
                    walk(program, t, add);
                }
            }
        }
    }
    walk(program, &program.body, &mut add);
    names
}

/// The translator of one function under the body.
struct Function<'a> {
    b: FunctionBuilder<'a>,
    ptr: types::Type,
    session: Val,
    /// The wires: two 64-bit halves each, in the body's stack frame.
    wires: Val,
    /// The name table: each name's 32-bit index as the runtime gave it.
    names_ptr: Val,
    abort: Block,
    funcs: BTreeMap<&'static str, cranelift_codegen::ir::FuncRef>,
    globals: BTreeMap<String, cranelift_codegen::ir::GlobalValue>,
    names: &'a BTreeMap<&'a str, usize>,
    out_slot: cranelift_codegen::ir::StackSlot,
    path_slot: cranelift_codegen::ir::StackSlot,
    /// A bridge batch's amounts (16 bytes each), then what arrives of each.
    batch_slot: cranelift_codegen::ir::StackSlot,
}

type Val = cranelift_codegen::ir::Value;

impl Function<'_> {
    fn text(&mut self, text: &str) -> Val {
        match self.globals.get(text) {
            Some(gv) => self.b.ins().symbol_value(self.ptr, *gv),
            None => self.b.ins().iconst(self.ptr, 0),
        }
    }

    /// A call whose status is checked: non-zero goes to the abort path.
    fn call(&mut self, name: &str, args: &[Val]) {
        let Some(func) = self.funcs.get(name).copied() else {
            return;
        };
        let inst = self.b.ins().call(func, args);
        let status = self.b.inst_results(inst)[0];
        let next = self.b.create_block();
        self.b
            .ins()
            .brif(status, self.abort, &[status.into()], next, &[]);
        self.b.switch_to_block(next);
        self.b.seal_block(next);
    }

    fn name(&mut self, name: &str) -> Val {
        let index = self.names.get(name).copied().unwrap_or(0);
        self.b.ins().load(
            types::I32,
            MemFlags::trusted(),
            self.names_ptr,
            (index * 4) as i32,
        )
    }

    fn loc(&mut self, loc: ir::Loc) -> Val {
        self.b.ins().iconst(types::I64, loc.packed() as i64)
    }

    fn i64c(&mut self, v: u64) -> Val {
        self.b.ins().iconst(types::I64, v as i64)
    }

    fn i32c(&mut self, v: u32) -> Val {
        self.b.ins().iconst(types::I32, i64::from(v))
    }

    /// Where a wire's low half is, from the wires' base.
    fn wire_offset(wire: Wire) -> i32 {
        i32::try_from(u64::from(wire.0) * 16).unwrap_or(i32::MAX)
    }

    fn get(&mut self, wire: Wire) -> (Val, Val) {
        let at = Self::wire_offset(wire);
        let flags = MemFlags::trusted();
        let lo = self.b.ins().load(types::I64, flags, self.wires, at);
        let hi = self
            .b
            .ins()
            .load(types::I64, flags, self.wires, at.saturating_add(8));
        (lo, hi)
    }

    fn set(&mut self, wire: Wire, (lo, hi): (Val, Val)) {
        let at = Self::wire_offset(wire);
        let flags = MemFlags::trusted();
        self.b.ins().store(flags, lo, self.wires, at);
        self.b
            .ins()
            .store(flags, hi, self.wires, at.saturating_add(8));
    }

    fn out_ptr(&mut self) -> Val {
        self.b.ins().stack_addr(self.ptr, self.out_slot, 0)
    }

    fn load_out(&mut self) -> (Val, Val) {
        let lo = self.b.ins().stack_load(types::I64, self.out_slot, 0);
        let hi = self.b.ins().stack_load(types::I64, self.out_slot, 8);
        (lo, hi)
    }

    /// Reverts with `reason` at `loc` when `failed` is non-zero.
    fn revert_if(&mut self, failed: Val, reason: &str, loc: ir::Loc) {
        let fail = self.b.create_block();
        let next = self.b.create_block();
        self.b.ins().brif(failed, fail, &[], next, &[]);
        self.b.switch_to_block(fail);
        self.b.seal_block(fail);
        let text = self.text(reason);
        let len = self.b.ins().iconst(self.ptr, reason.len() as i64);
        let at = self.loc(loc);
        if let Some(func) = self.funcs.get("mesh_revert").copied() {
            let inst = self.b.ins().call(func, &[self.session, text, len, at]);
            let status = self.b.inst_results(inst)[0];
            self.b.ins().jump(self.abort, &[status.into()]);
        } else {
            let one = self.i32c(1);
            self.b.ins().jump(self.abort, &[one.into()]);
        }
        self.b.switch_to_block(next);
        self.b.seal_block(next);
    }

    /// Checked `a + b` in 64-bit halves.
    fn add(&mut self, a: (Val, Val), b: (Val, Val), loc: ir::Loc) -> (Val, Val) {
        let lo = self.b.ins().iadd(a.0, b.0);
        let carry = self.b.ins().icmp(IntCC::UnsignedLessThan, lo, a.0);
        let carry = self.b.ins().uextend(types::I64, carry);
        let hi1 = self.b.ins().iadd(a.1, b.1);
        let o1 = self.b.ins().icmp(IntCC::UnsignedLessThan, hi1, a.1);
        let hi = self.b.ins().iadd(hi1, carry);
        let o2 = self.b.ins().icmp(IntCC::UnsignedLessThan, hi, hi1);
        let overflow = self.b.ins().bor(o1, o2);
        self.revert_if(overflow, reasons::ADD, loc);
        (lo, hi)
    }

    /// Checked `a - b` in 64-bit halves.
    fn sub(&mut self, a: (Val, Val), b: (Val, Val), loc: ir::Loc) -> (Val, Val) {
        let lo = self.b.ins().isub(a.0, b.0);
        let borrow = self.b.ins().icmp(IntCC::UnsignedLessThan, a.0, b.0);
        let borrow64 = self.b.ins().uextend(types::I64, borrow);
        let hi1 = self.b.ins().isub(a.1, b.1);
        let u1 = self.b.ins().icmp(IntCC::UnsignedLessThan, a.1, b.1);
        let u2 = self.b.ins().icmp(IntCC::UnsignedLessThan, hi1, borrow64);
        let hi = self.b.ins().isub(hi1, borrow64);
        let underflow = self.b.ins().bor(u1, u2);
        self.revert_if(underflow, reasons::SUB, loc);
        (lo, hi)
    }

    /// `a * b` or `a / b` through the runtime's checked entries.
    fn runtime_arith(
        &mut self,
        entry: &str,
        a: (Val, Val),
        b: (Val, Val),
        loc: ir::Loc,
    ) -> (Val, Val) {
        let at = self.loc(loc);
        let out = self.out_ptr();
        self.call(entry, &[self.session, a.0, a.1, b.0, b.1, at, out]);
        self.load_out()
    }

    fn konst(&mut self, n: u128) -> (Val, Val) {
        (self.i64c(n as u64), self.i64c((n >> 64) as u64))
    }

    fn value(&mut self, value: &Value, loc: ir::Loc) -> (Val, Val) {
        match value {
            Value::Const(n) => self.konst(*n),
            Value::AmountOf(wire) => self.get(*wire),
            Value::Add(a, b) => {
                let (a, b) = (self.value(a, loc), self.value(b, loc));
                self.add(a, b, loc)
            }
            Value::Sub(a, b) => {
                let (a, b) = (self.value(a, loc), self.value(b, loc));
                self.sub(a, b, loc)
            }
            Value::Scale {
                value,
                numerator,
                denominator,
            } => {
                let v = self.value(value, loc);
                let n = self.konst(*numerator);
                let product = self.runtime_arith("mesh_amount_mul", v, n, loc);
                let d = self.konst(*denominator);
                self.runtime_arith("mesh_amount_div", product, d, loc)
            }
            // What `repay` charges, computed by the runtime's own formula.
            Value::WithPremium { principal, bps } => {
                let p = self.value(principal, loc);
                let bps = self.konst(u128::from(*bps));
                self.runtime_arith("mesh_amount_with_premium", p, bps, loc)
            }
        }
    }

    fn step(&mut self, program: &Program, step: &Step<'_>) -> Result<(), CodegenError> {
        match step {
            Step::Name(i, text) => {
                let t = self.text(text);
                let len = self.b.ins().iconst(self.ptr, text.len() as i64);
                let out = self.b.ins().iadd_imm(self.names_ptr, (i * 4) as i64);
                self.call("mesh_name", &[self.session, t, len, out]);
            }
            Step::Constraint(c, loc) => self.constraint(c, *loc),
            Step::ParallelBegin(loc) => {
                let at = self.loc(*loc);
                self.call("mesh_parallel_begin", &[self.session, at]);
            }
            Step::ParallelNext(loc) => {
                let at = self.loc(*loc);
                self.call("mesh_parallel_next", &[self.session, at]);
            }
            Step::ParallelEnd(loc) => {
                let at = self.loc(*loc);
                self.call("mesh_parallel_end", &[self.session, at]);
            }
            Step::TxBegin { chain, sender, at } => {
                let c = self.name(chain);
                let s = self.i32c(match sender {
                    Sender::Wallet => 0,
                    Sender::Executor => 1,
                });
                let at = self.loc(*at);
                self.call("mesh_tx_begin", &[self.session, c, s, at]);
            }
            Step::TxEnd(loc) => {
                let at = self.loc(*loc);
                self.call("mesh_tx_end", &[self.session, at]);
            }
            Step::Op(node) => self.op(program, &node.op, node.loc)?,
        }
        Ok(())
    }

    fn constraint(&mut self, c: &Constraint, loc: ir::Loc) {
        let at = self.loc(loc);
        match c {
            Constraint::Deadline(blocks) => {
                let v = self.i64c(*blocks);
                self.call("mesh_constraint_deadline", &[self.session, v, at]);
            }
            Constraint::MaxGas(gas) => {
                let v = self.i64c(*gas);
                self.call("mesh_constraint_max_gas", &[self.session, v, at]);
            }
            Constraint::MinBalance {
                chain,
                token,
                amount,
            } => {
                let (c, t) = (self.name(chain), self.name(token));
                let (lo, hi) = self.konst(*amount);
                self.call(
                    "mesh_constraint_min_balance",
                    &[self.session, c, t, lo, hi, at],
                );
            }
            Constraint::Invariant(Invariant::ConstantProduct) => {
                let n = self.name("constant_product");
                self.call("mesh_constraint_invariant", &[self.session, n, at]);
            }
        }
    }

    fn op(&mut self, program: &Program, op: &Op, loc: ir::Loc) -> Result<(), CodegenError> {
        let token_of = |w: &Wire| program.wire_type(*w).map_or("", |t| t.token()).to_string();
        let chain_of = |w: &Wire| program.wire_type(*w).map_or("", |t| t.chain()).to_string();
        let s = self.session;
        match op {
            Op::Input {
                chain,
                token,
                amount,
                out,
            } => {
                let v = self.value(amount, loc);
                let (c, t, at) = (self.name(chain), self.name(token), self.loc(loc));
                self.call("mesh_input", &[s, c, t, v.0, v.1, at]);
                self.set(*out, v);
            }
            Op::Borrow {
                protocol,
                amount,
                flash,
                funds,
                ..
            } => {
                let v = self.value(amount, loc);
                let (p, t) = (self.name(protocol), self.name(&token_of(funds)));
                let f = self.i32c(u32::from(*flash));
                let at = self.loc(loc);
                let out = self.out_ptr();
                self.call("mesh_borrow", &[s, p, t, v.0, v.1, f, at, out]);
                let got = self.load_out();
                self.set(*funds, got);
            }
            Op::Repay {
                protocol,
                principal,
                funds,
                ..
            } => {
                let v = self.value(principal, loc);
                let (p, t, at) = (
                    self.name(protocol),
                    self.name(&token_of(funds)),
                    self.loc(loc),
                );
                self.call("mesh_repay", &[s, p, t, v.0, v.1, at]);
            }
            Op::Swap {
                exchange,
                path,
                input,
                min_out,
                out,
            } => {
                let amount = self.get(*input);
                let min = self.value(min_out, loc);
                let x = self.name(exchange);
                for (i, token) in path.iter().enumerate() {
                    let n = self.name(token);
                    self.b.ins().stack_store(n, self.path_slot, (i * 4) as i32);
                }
                let path_ptr = self.b.ins().stack_addr(self.ptr, self.path_slot, 0);
                let len = self.b.ins().iconst(self.ptr, path.len() as i64);
                let at = self.loc(loc);
                let o = self.out_ptr();
                self.call(
                    "mesh_swap_path",
                    &[s, x, path_ptr, len, amount.0, amount.1, min.0, min.1, at, o],
                );
                let got = self.load_out();
                self.set(*out, got);
            }
            Op::Deposit { protocol, funds } => {
                let v = self.get(*funds);
                let (p, t, at) = (
                    self.name(protocol),
                    self.name(&token_of(funds)),
                    self.loc(loc),
                );
                self.call("mesh_deposit", &[s, p, t, v.0, v.1, at]);
            }
            Op::Withdraw {
                protocol,
                token,
                amount,
                out,
                ..
            } => {
                let v = self.value(amount, loc);
                let (p, t, at) = (self.name(protocol), self.name(token), self.loc(loc));
                let o = self.out_ptr();
                self.call("mesh_withdraw", &[s, p, t, v.0, v.1, at, o]);
                let got = self.load_out();
                self.set(*out, got);
            }
            Op::Bridge { route, input, out } => {
                let v = self.get(*input);
                let t = self.name(&token_of(input));
                let to = self.name(&chain_of(out));
                let via = self.name(route.as_str());
                let at = self.loc(loc);
                let o = self.out_ptr();
                self.call("mesh_bridge", &[s, t, v.0, v.1, to, via, at, o]);
                let got = self.load_out();
                self.set(*out, got);
            }
            Op::BridgeBatch {
                route,
                inputs,
                outs,
            } => {
                // Token indices in the path slot; amount halves, then what
                // arrives, in the batch slot.
                let n = inputs.len();
                for (i, input) in inputs.iter().enumerate() {
                    let t = self.name(&token_of(input));
                    self.b.ins().stack_store(t, self.path_slot, (i * 4) as i32);
                    let v = self.get(*input);
                    self.b
                        .ins()
                        .stack_store(v.0, self.batch_slot, (i * 16) as i32);
                    self.b
                        .ins()
                        .stack_store(v.1, self.batch_slot, (i * 16 + 8) as i32);
                }
                let to = self.name(&outs.first().map(chain_of).unwrap_or_default());
                let via = self.name(route.as_str());
                let tokens = self.b.ins().stack_addr(self.ptr, self.path_slot, 0);
                let amounts = self.b.ins().stack_addr(self.ptr, self.batch_slot, 0);
                let len = self.b.ins().iconst(self.ptr, n as i64);
                let at = self.loc(loc);
                let o = self
                    .b
                    .ins()
                    .stack_addr(self.ptr, self.batch_slot, (n * 16) as i32);
                self.call(
                    "mesh_bridge_batch",
                    &[s, via, to, tokens, amounts, len, at, o],
                );
                for (i, out) in outs.iter().enumerate() {
                    let at = ((n + i) * 16) as i32;
                    let lo = self.b.ins().stack_load(types::I64, self.batch_slot, at);
                    let hi = self.b.ins().stack_load(types::I64, self.batch_slot, at + 8);
                    self.set(*out, (lo, hi));
                }
            }
            Op::Split {
                input,
                amount,
                taken,
                rest,
            } => {
                let whole = self.get(*input);
                let part = self.value(amount, loc);
                // As the interpreter: taking more than is held leaves
                // nothing, and the spending action then reverts.
                let lo = self.b.ins().isub(whole.0, part.0);
                let borrow = self.b.ins().icmp(IntCC::UnsignedLessThan, whole.0, part.0);
                let borrow64 = self.b.ins().uextend(types::I64, borrow);
                let hi1 = self.b.ins().isub(whole.1, part.1);
                let hi = self.b.ins().isub(hi1, borrow64);
                let u1 = self.b.ins().icmp(IntCC::UnsignedLessThan, whole.1, part.1);
                let u2 = self.b.ins().icmp(IntCC::UnsignedLessThan, hi1, borrow64);
                let under = self.b.ins().bor(u1, u2);
                let zero = self.i64c(0);
                let lo = self.b.ins().select(under, zero, lo);
                let hi = self.b.ins().select(under, zero, hi);
                self.set(*taken, part);
                self.set(*rest, (lo, hi));
            }
            Op::Merge { inputs, out } => {
                if program.wire_type(*out).is_some_and(|t| t.is_debt()) {
                    return Ok(());
                }
                let a = self.get(inputs[0]);
                let b = self.get(inputs[1]);
                // Saturating, as the interpreter: the runtime's holding
                // overflowed (and reverted) first.
                let lo = self.b.ins().iadd(a.0, b.0);
                let carry = self.b.ins().icmp(IntCC::UnsignedLessThan, lo, a.0);
                let carry = self.b.ins().uextend(types::I64, carry);
                let hi1 = self.b.ins().iadd(a.1, b.1);
                let o1 = self.b.ins().icmp(IntCC::UnsignedLessThan, hi1, a.1);
                let hi = self.b.ins().iadd(hi1, carry);
                let o2 = self.b.ins().icmp(IntCC::UnsignedLessThan, hi, hi1);
                let over = self.b.ins().bor(o1, o2);
                let max = self.b.ins().iconst(types::I64, -1);
                let lo = self.b.ins().select(over, max, lo);
                let hi = self.b.ins().select(over, max, hi);
                self.set(*out, (lo, hi));
            }
            Op::Require {
                left,
                op,
                right,
                text,
                ..
            } => {
                let l = self.value(left, loc);
                let r = self.value(right, loc);
                let ok = self.compare(l, *op, r);
                let ok = self.b.ins().uextend(types::I32, ok);
                let t = self.name(text);
                let at = self.loc(loc);
                self.call("mesh_require", &[s, ok, t, at]);
            }
            Op::Approve { token, spender, .. } => {
                let t = self.name(token);
                let (kind, who) = match spender {
                    Spender::Protocol(p) => (0, self.name(p)),
                    Spender::Bridge(k) => (1, self.name(k.as_str())),
                };
                let kind = self.i32c(kind);
                let at = self.loc(loc);
                self.call("mesh_approve", &[s, t, kind, who, at]);
            }
        }
        Ok(())
    }

    /// `l op r` on 128-bit amounts, as an `i8` truth value.
    fn compare(&mut self, l: (Val, Val), op: mesh_grammar::ast::Comparison, r: (Val, Val)) -> Val {
        use mesh_grammar::ast::Comparison;
        let hi_lt = self.b.ins().icmp(IntCC::UnsignedLessThan, l.1, r.1);
        let hi_eq = self.b.ins().icmp(IntCC::Equal, l.1, r.1);
        let lo_lt = self.b.ins().icmp(IntCC::UnsignedLessThan, l.0, r.0);
        let lo_eq = self.b.ins().icmp(IntCC::Equal, l.0, r.0);
        let both = self.b.ins().band(hi_eq, lo_lt);
        let lt = self.b.ins().bor(hi_lt, both);
        let eq = self.b.ins().band(hi_eq, lo_eq);
        match op {
            Comparison::Lt => lt,
            Comparison::Eq => eq,
            Comparison::Ne => self.b.ins().bxor_imm(eq, 1),
            Comparison::Ge => self.b.ins().bxor_imm(lt, 1),
            Comparison::Le => self.b.ins().bor(lt, eq),
            Comparison::Gt => {
                let le = self.b.ins().bor(lt, eq);
                self.b.ins().bxor_imm(le, 1)
            }
        }
    }
}
