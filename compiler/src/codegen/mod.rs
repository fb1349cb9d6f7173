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

use crate::ir::{self, Constraint, Op, Program, Spender, Term, Value, Wire};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types, AbiParam, Block, InstBuilder, Signature, StackSlotData, StackSlotKind,
};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_module::{DataDescription, DataId, FuncId, Linkage, Module};
use mesh_core::entry::{Class, Entry, LoanCode, SenderCode, SpenderCode, SpenderKind};
use mesh_core::revert::reason;
use mesh_core::LoanKind;
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

/// Every name the program passes to the runtime, in first-use order.
fn names_of(program: &Program) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut add = |n: &str| {
        if !names.iter().any(|x| x == n) {
            names.push(n.to_string());
        }
    };
    for (c, _) in &program.constraints.items {
        match c {
            Constraint::MinBalance { chain, token, .. } => {
                add(chain);
                add(token);
            }
            Constraint::Invariant(invariant) => add(invariant.as_str()),
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

fn max_path(term: &Term) -> usize {
    match term {
        Term::Gen(node) => match &node.op {
            Op::Swap { path, .. } => path.len(),
            Op::BridgeBatch { inputs, .. } => inputs.len(),
            _ => 0,
        },
        Term::Seq(ts) | Term::Tensor(ts) | Term::Tx { body: ts, .. } => {
            ts.iter().map(max_path).max().unwrap_or(0)
        }
    }
}

/// The most transfers a bridge batch of `term` carries.
fn max_batch(term: &Term) -> usize {
    match term {
        Term::Gen(node) => match &node.op {
            Op::BridgeBatch { inputs, .. } => inputs.len(),
            _ => 0,
        },
        Term::Seq(ts) | Term::Tensor(ts) | Term::Tx { body: ts, .. } => {
            ts.iter().map(max_batch).max().unwrap_or(0)
        }
    }
}

/// The translator of one function.
struct Function<'a> {
    b: FunctionBuilder<'a>,
    ptr: types::Type,
    session: cranelift_codegen::ir::Value,
    abort: Block,
    funcs: BTreeMap<Entry, cranelift_codegen::ir::FuncRef>,
    globals: BTreeMap<String, cranelift_codegen::ir::GlobalValue>,
    names: BTreeMap<String, usize>,
    name_slot: cranelift_codegen::ir::StackSlot,
    out_slot: cranelift_codegen::ir::StackSlot,
    path_slot: cranelift_codegen::ir::StackSlot,
    /// A bridge batch's amounts (16 bytes each), then what arrives of each.
    batch_slot: cranelift_codegen::ir::StackSlot,
    /// The first entry called that was not declared, if any.
    undeclared: Option<Entry>,
}

type Val = cranelift_codegen::ir::Value;

impl Function<'_> {
    fn text(&mut self, text: &str) -> Val {
        match self.globals.get(text) {
            Some(gv) => self.b.ins().symbol_value(self.ptr, *gv),
            None => self.b.ins().iconst(self.ptr, 0),
        }
    }

    /// A call whose status is checked: non-zero goes to the abort path. An
    /// entry that was not declared is a compiler bug, reported when the
    /// body is finished.
    fn call(&mut self, entry: Entry, args: &[Val]) {
        let Some(func) = self.funcs.get(&entry).copied() else {
            self.undeclared.get_or_insert(entry);
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
        self.b
            .ins()
            .stack_load(types::I32, self.name_slot, (index * 4) as i32)
    }

    fn loc(&mut self, loc: ir::Loc) -> Val {
        self.b.ins().iconst(types::I64, loc.pack() as i64)
    }

    fn i64c(&mut self, v: u64) -> Val {
        self.b.ins().iconst(types::I64, v as i64)
    }

    fn i32c(&mut self, v: u32) -> Val {
        self.b.ins().iconst(types::I32, i64::from(v))
    }

    fn get(&mut self, wire: Wire) -> (Val, Val) {
        let lo = self.b.use_var(Variable::from_u32(wire.0 * 2));
        let hi = self.b.use_var(Variable::from_u32(wire.0 * 2 + 1));
        (lo, hi)
    }

    fn set(&mut self, wire: Wire, (lo, hi): (Val, Val)) {
        self.b.def_var(Variable::from_u32(wire.0 * 2), lo);
        self.b.def_var(Variable::from_u32(wire.0 * 2 + 1), hi);
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
        if let Some(func) = self.funcs.get(&Entry::Revert).copied() {
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
        self.revert_if(overflow, reason::ADD, loc);
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
        self.revert_if(underflow, reason::SUB, loc);
        (lo, hi)
    }

    /// `a * b` or `a / b` through the runtime's checked entries.
    fn runtime_arith(
        &mut self,
        entry: Entry,
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
                let product = self.runtime_arith(Entry::AmountMul, v, n, loc);
                let d = self.konst(*denominator);
                self.runtime_arith(Entry::AmountDiv, product, d, loc)
            }
            // What `repay` charges, computed by the runtime's own formula.
            Value::WithPremium { principal, bps } => {
                let p = self.value(principal, loc);
                let bps = self.konst(u128::from(*bps));
                self.runtime_arith(Entry::AmountWithPremium, p, bps, loc)
            }
        }
    }

    fn constraints(&mut self, constraints: &ir::Constraints) -> Result<(), CodegenError> {
        for (c, loc) in &constraints.items {
            let at = self.loc(*loc);
            match c {
                Constraint::Deadline(blocks) => {
                    let v = self.i64c(*blocks);
                    self.call(Entry::ConstraintDeadline, &[self.session, v, at]);
                }
                Constraint::MaxGas(gas) => {
                    let v = self.i64c(*gas);
                    self.call(Entry::ConstraintMaxGas, &[self.session, v, at]);
                }
                Constraint::MinBalance {
                    chain,
                    token,
                    amount,
                } => {
                    let (c, t) = (self.name(chain), self.name(token));
                    let (lo, hi) = self.konst(*amount);
                    self.call(
                        Entry::ConstraintMinBalance,
                        &[self.session, c, t, lo, hi, at],
                    );
                }
                Constraint::Invariant(invariant) => {
                    let n = self.name(invariant.as_str());
                    self.call(Entry::ConstraintInvariant, &[self.session, n, at]);
                }
            }
        }
        Ok(())
    }

    fn term(&mut self, program: &Program, term: &Term) -> Result<(), CodegenError> {
        match term {
            Term::Gen(node) => self.op(program, &node.op, node.loc),
            Term::Seq(terms) => terms.iter().try_for_each(|t| self.term(program, t)),
            Term::Tensor(branches) => {
                let at = self.loc(ir::first_loc(branches));
                self.call(Entry::ParallelBegin, &[self.session, at]);
                for (i, branch) in branches.iter().enumerate() {
                    if i > 0 {
                        let at = self.loc(branch.first_loc().unwrap_or_default());
                        self.call(Entry::ParallelNext, &[self.session, at]);
                    }
                    self.term(program, branch)?;
                }
                let at = self.loc(ir::last_loc(branches));
                self.call(Entry::ParallelEnd, &[self.session, at]);
                Ok(())
            }
            Term::Tx {
                chain,
                sender,
                body,
            } => {
                let c = self.name(chain);
                let s = self.i32c(SenderCode::from(*sender).0);
                let at = self.loc(ir::first_loc(body));
                self.call(Entry::TxBegin, &[self.session, c, s, at]);
                for t in body {
                    self.term(program, t)?;
                }
                let at = self.loc(ir::last_loc(body));
                self.call(Entry::TxEnd, &[self.session, at]);
                Ok(())
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
                self.call(Entry::Input, &[s, c, t, v.0, v.1, at]);
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
                let kind = if *flash {
                    LoanKind::Flash
                } else {
                    LoanKind::Ordinary
                };
                let f = self.i32c(LoanCode::from(kind).0);
                let at = self.loc(loc);
                let out = self.out_ptr();
                self.call(Entry::Borrow, &[s, p, t, v.0, v.1, f, at, out]);
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
                self.call(Entry::Repay, &[s, p, t, v.0, v.1, at]);
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
                    Entry::SwapPath,
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
                self.call(Entry::Deposit, &[s, p, t, v.0, v.1, at]);
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
                self.call(Entry::Withdraw, &[s, p, t, v.0, v.1, at, o]);
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
                self.call(Entry::Bridge, &[s, t, v.0, v.1, to, via, at, o]);
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
                    Entry::BridgeBatch,
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
                self.call(Entry::Require, &[s, ok, t, at]);
            }
            Op::Approve { token, spender, .. } => {
                let t = self.name(token);
                let (kind, who) = match spender {
                    Spender::Protocol(p) => (SpenderKind::Protocol, self.name(p)),
                    Spender::Bridge(k) => (SpenderKind::Bridge, self.name(k.as_str())),
                };
                let kind = self.i32c(SpenderCode::from(kind).0);
                let at = self.loc(loc);
                self.call(Entry::Approve, &[s, t, kind, who, at]);
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
