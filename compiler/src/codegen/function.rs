//! The translator of one bundle body: the IR's terms and boxes become
//! calls of the runtime's entry points, in the interpreter's order and with
//! the same source locations; amounts live in 64-bit halves.

use super::CodegenError;
use crate::ir::{self, Constraint, Op, Program, Spender, Term, Value, Wire};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, InstBuilder};
use cranelift_frontend::{FunctionBuilder, Variable};
use mesh_core::entry::{Entry, LoanCode, SenderCode, SpenderCode, SpenderKind};
use mesh_core::revert::reason;
use mesh_core::LoanKind;
use std::collections::BTreeMap;

/// The translator of one function.
pub(super) struct Function<'a> {
    pub(super) b: FunctionBuilder<'a>,
    pub(super) ptr: types::Type,
    pub(super) session: cranelift_codegen::ir::Value,
    pub(super) abort: Block,
    pub(super) funcs: BTreeMap<Entry, cranelift_codegen::ir::FuncRef>,
    pub(super) globals: BTreeMap<String, cranelift_codegen::ir::GlobalValue>,
    pub(super) names: BTreeMap<String, usize>,
    pub(super) name_slot: cranelift_codegen::ir::StackSlot,
    pub(super) out_slot: cranelift_codegen::ir::StackSlot,
    pub(super) path_slot: cranelift_codegen::ir::StackSlot,
    /// A bridge batch's amounts (16 bytes each), then what arrives of each.
    pub(super) batch_slot: cranelift_codegen::ir::StackSlot,
    /// The first entry called that was not declared, if any.
    pub(super) undeclared: Option<Entry>,
}

type Val = cranelift_codegen::ir::Value;

impl Function<'_> {
    pub(super) fn text(&mut self, text: &str) -> Val {
        match self.globals.get(text) {
            Some(gv) => self.b.ins().symbol_value(self.ptr, *gv),
            None => self.b.ins().iconst(self.ptr, 0),
        }
    }

    /// A call whose status is checked: non-zero goes to the abort path. An
    /// entry that was not declared is a compiler bug, reported when the
    /// body is finished.
    pub(super) fn call(&mut self, entry: Entry, args: &[Val]) {
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

    fn const_i64(&mut self, v: u64) -> Val {
        self.b.ins().iconst(types::I64, v as i64)
    }

    fn const_i32(&mut self, v: u32) -> Val {
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
            let one = self.const_i32(1);
            self.b.ins().jump(self.abort, &[one.into()]);
        }
        self.b.switch_to_block(next);
        self.b.seal_block(next);
    }

    /// Checked `a + b` in 64-bit halves.
    fn add(&mut self, a: (Val, Val), b: (Val, Val), loc: ir::Loc) -> (Val, Val) {
        let (sum, overflow) = self.wrapping_add(a, b);
        self.revert_if(overflow, reason::ADD, loc);
        sum
    }

    /// Checked `a - b` in 64-bit halves.
    fn sub(&mut self, a: (Val, Val), b: (Val, Val), loc: ir::Loc) -> (Val, Val) {
        let (difference, underflow) = self.wrapping_sub(a, b);
        self.revert_if(underflow, reason::SUB, loc);
        difference
    }

    /// `a + b` in 64-bit halves, wrapped, and whether it overflowed.
    fn wrapping_add(&mut self, a: (Val, Val), b: (Val, Val)) -> ((Val, Val), Val) {
        let lo = self.b.ins().iadd(a.0, b.0);
        let carry = self.b.ins().icmp(IntCC::UnsignedLessThan, lo, a.0);
        let carry = self.b.ins().uextend(types::I64, carry);
        let hi1 = self.b.ins().iadd(a.1, b.1);
        let o1 = self.b.ins().icmp(IntCC::UnsignedLessThan, hi1, a.1);
        let hi = self.b.ins().iadd(hi1, carry);
        let o2 = self.b.ins().icmp(IntCC::UnsignedLessThan, hi, hi1);
        let overflow = self.b.ins().bor(o1, o2);
        ((lo, hi), overflow)
    }

    /// `a - b` in 64-bit halves, wrapped, and whether it underflowed.
    fn wrapping_sub(&mut self, a: (Val, Val), b: (Val, Val)) -> ((Val, Val), Val) {
        let lo = self.b.ins().isub(a.0, b.0);
        let borrow = self.b.ins().icmp(IntCC::UnsignedLessThan, a.0, b.0);
        let borrow64 = self.b.ins().uextend(types::I64, borrow);
        let hi1 = self.b.ins().isub(a.1, b.1);
        let u1 = self.b.ins().icmp(IntCC::UnsignedLessThan, a.1, b.1);
        let u2 = self.b.ins().icmp(IntCC::UnsignedLessThan, hi1, borrow64);
        let hi = self.b.ins().isub(hi1, borrow64);
        let underflow = self.b.ins().bor(u1, u2);
        ((lo, hi), underflow)
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

    fn constant(&mut self, n: u128) -> (Val, Val) {
        (self.const_i64(n as u64), self.const_i64((n >> 64) as u64))
    }

    fn value(&mut self, value: &Value, loc: ir::Loc) -> (Val, Val) {
        match value {
            Value::Const(n) => self.constant(*n),
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
                let n = self.constant(*numerator);
                let product = self.runtime_arith(Entry::AmountMul, v, n, loc);
                let d = self.constant(*denominator);
                self.runtime_arith(Entry::AmountDiv, product, d, loc)
            }
            // What `repay` charges, computed by the runtime's own formula.
            Value::WithPremium { principal, bps } => {
                let p = self.value(principal, loc);
                let bps = self.constant(u128::from(*bps));
                self.runtime_arith(Entry::AmountWithPremium, p, bps, loc)
            }
        }
    }

    pub(super) fn constraints(
        &mut self,
        constraints: &ir::Constraints,
    ) -> Result<(), CodegenError> {
        for (c, loc) in &constraints.items {
            let at = self.loc(*loc);
            match c {
                Constraint::Deadline(blocks) => {
                    let v = self.const_i64(*blocks);
                    self.call(Entry::ConstraintDeadline, &[self.session, v, at]);
                }
                Constraint::MaxGas(gas) => {
                    let v = self.const_i64(*gas);
                    self.call(Entry::ConstraintMaxGas, &[self.session, v, at]);
                }
                Constraint::MinBalance {
                    chain,
                    token,
                    amount,
                } => {
                    let (c, t) = (self.name(chain), self.name(token));
                    let (lo, hi) = self.constant(*amount);
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

    pub(super) fn term(&mut self, program: &Program, term: &Term) -> Result<(), CodegenError> {
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
                let s = self.const_i32(SenderCode::from(*sender).0);
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
                let f = self.const_i32(LoanCode::from(kind).0);
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
                let ((lo, hi), under) = self.wrapping_sub(whole, part);
                let zero = self.const_i64(0);
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
                let ((lo, hi), over) = self.wrapping_add(a, b);
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
                let kind = self.const_i32(SpenderCode::from(kind).0);
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
