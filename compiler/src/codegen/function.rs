//! The translator of one function under a bundle's body: the body's steps
//! become calls of the runtime's entry points, in the interpreter's order
//! and with the same source locations; amounts live in 64-bit halves.
//!
//! Here the actions and the arithmetic; `constraints` holds a bundle's
//! constraints, `positions` the steps on the user's positions.

use super::steps::Step;
use super::CodegenError;
use crate::ir::{self, Op, Program, Spender, Value, Wire};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, InstBuilder, MemFlags};
use cranelift_frontend::FunctionBuilder;
use mesh_core::entry::{
    ComparisonCode, Entry, LoanCode, SenderCode, SpenderCode, SpenderKind, MESH_INVALID,
};
use mesh_core::revert::reason;
use mesh_core::LoanKind;
use std::collections::BTreeMap;

mod constraints;
mod positions;

/// The translator of one function under the body.
pub(super) struct Function<'a> {
    pub(super) b: FunctionBuilder<'a>,
    pub(super) ptr: types::Type,
    pub(super) session: Val,
    /// The wires: two 64-bit halves each, in the body's stack frame.
    pub(super) wires: Val,
    /// The name table: each name's 32-bit index as the runtime gave it.
    pub(super) names_ptr: Val,
    pub(super) abort: Block,
    pub(super) funcs: BTreeMap<Entry, cranelift_codegen::ir::FuncRef>,
    pub(super) globals: BTreeMap<String, cranelift_codegen::ir::GlobalValue>,
    pub(super) names: &'a BTreeMap<&'a str, usize>,
    pub(super) out_slot: cranelift_codegen::ir::StackSlot,
    pub(super) path_slot: cranelift_codegen::ir::StackSlot,
    /// A bridge batch's amounts (16 bytes each), then what arrives of each.
    pub(super) batch_slot: cranelift_codegen::ir::StackSlot,
    /// A swap's exchange names, one per hop, or a batch's failure flags,
    /// one per transfer (4 bytes each).
    pub(super) exchange_slot: cranelift_codegen::ir::StackSlot,
    /// The source locations of a swap's hops or a batch's transfers (8
    /// bytes each).
    pub(super) loc_slot: cranelift_codegen::ir::StackSlot,
    /// Whether a call or a computation of the box being made failed.
    pub(super) failed_slot: cranelift_codegen::ir::StackSlot,
    /// Which of a batch's transfers are not made (4 bytes each).
    pub(super) skip_slot: cranelift_codegen::ir::StackSlot,
    /// The first entry called that was not declared, if any.
    pub(super) undeclared: Option<Entry>,
}

pub(super) type Val = cranelift_codegen::ir::Value;

impl Function<'_> {
    fn text(&mut self, text: &str) -> Val {
        match self.globals.get(text) {
            Some(gv) => self.b.ins().symbol_value(self.ptr, *gv),
            None => self.b.ins().iconst(self.ptr, 0),
        }
    }

    /// A call whose status is checked: `2`, an invalid call, goes to the
    /// abort path; `1`, a failed call, goes on (the runtime keeps the
    /// failure, and what the call delivers is zero). An entry that was not
    /// declared is a compiler bug, reported when the function is finished.
    fn call(&mut self, entry: Entry, args: &[Val]) {
        let Some(func) = self.funcs.get(&entry).copied() else {
            self.undeclared.get_or_insert(entry);
            return;
        };
        let inst = self.b.ins().call(func, args);
        let status = self.b.inst_results(inst)[0];
        // A failed call: the box being made failed.
        let failed = self.b.ins().icmp_imm(IntCC::NotEqual, status, 0);
        self.mark_failed(failed);
        let invalid = self.b.ins().icmp_imm(
            IntCC::UnsignedGreaterThanOrEqual,
            status,
            i64::from(MESH_INVALID),
        );
        let next = self.b.create_block();
        self.b
            .ins()
            .brif(invalid, self.abort, &[status.into()], next, &[]);
        self.b.switch_to_block(next);
        self.b.seal_block(next);
    }

    /// Notes that the box being made failed where `failed` is non-zero.
    fn mark_failed(&mut self, failed: Val) {
        let before = self.b.ins().stack_load(types::I64, self.failed_slot, 0);
        let now = self.b.ins().uextend(types::I64, failed);
        let both = self.b.ins().bor(before, now);
        self.b.ins().stack_store(both, self.failed_slot, 0);
    }

    /// Whether wire `wire` is missing: a non-zero `i8`.
    fn is_missing(&mut self, wire: Wire) -> Val {
        let at = Self::wire_offset(wire).saturating_add(16);
        let flag = self
            .b
            .ins()
            .load(types::I64, MemFlags::trusted(), self.wires, at);
        self.b.ins().icmp_imm(IntCC::NotEqual, flag, 0)
    }

    /// Marks wire `wire` missing, with no amount.
    fn set_missing(&mut self, wire: Wire) {
        let zero = self.const_i64(0);
        self.set(wire, (zero, zero));
        let one = self.const_i64(1);
        let at = Self::wire_offset(wire).saturating_add(16);
        self.b.ins().store(MemFlags::trusted(), one, self.wires, at);
    }

    /// Makes one box, by the rules the interpreter follows: a box that
    /// would consume or read a missing wire is not made, and a box whose
    /// call or computation fails delivers nothing; either way what it
    /// produces is missing.
    fn made(&mut self, program: &Program, node: &ir::Node) -> Result<(), CodegenError> {
        let mut inputs = node.op.domain();
        for value in node.op.values() {
            value.wires(&mut inputs);
        }
        // A batch's transfers and a multi-asset flash loan's loans are
        // made one by one: only those whose input is missing are not made
        // (the runtime is told which).
        if matches!(node.op, Op::BridgeBatch { .. } | Op::FlashLoan { .. }) {
            inputs.clear();
        }
        let make = self.b.create_block();
        let skip = self.b.create_block();
        let join = self.b.create_block();
        let mut missing = None;
        for wire in inputs {
            let m = self.is_missing(wire);
            missing = Some(match missing {
                Some(before) => self.b.ins().bor(before, m),
                None => m,
            });
        }
        match missing {
            Some(m) => {
                self.b.ins().brif(m, skip, &[], make, &[]);
            }
            None => {
                self.b.ins().jump(make, &[]);
            }
        }
        self.b.switch_to_block(make);
        self.b.seal_block(make);
        let zero = self.const_i64(0);
        self.b.ins().stack_store(zero, self.failed_slot, 0);
        self.op(program, &node.op, node.loc)?;
        let failed = self.b.ins().stack_load(types::I64, self.failed_slot, 0);
        self.b.ins().brif(failed, skip, &[], join, &[]);
        self.b.switch_to_block(skip);
        self.b.seal_block(skip);
        for wire in node.op.codomain() {
            self.set_missing(wire);
        }
        self.b.ins().jump(join, &[]);
        self.b.switch_to_block(join);
        self.b.seal_block(join);
        Ok(())
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
        self.b.ins().iconst(types::I64, loc.pack() as i64)
    }

    fn const_i64(&mut self, v: u64) -> Val {
        self.b.ins().iconst(types::I64, v as i64)
    }

    fn const_i32(&mut self, v: u32) -> Val {
        self.b.ins().iconst(types::I32, i64::from(v))
    }

    /// Where a wire's low half is, from the wires' base.
    fn wire_offset(wire: Wire) -> i32 {
        i32::try_from(u64::from(wire.0) * 24).unwrap_or(i32::MAX)
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

    /// Fails with `reason` at `loc` when `failed` is non-zero, and goes on.
    fn revert_if(&mut self, failed: Val, reason: &str, loc: ir::Loc) {
        let fail = self.b.create_block();
        let next = self.b.create_block();
        self.b.ins().brif(failed, fail, &[], next, &[]);
        self.b.switch_to_block(fail);
        self.b.seal_block(fail);
        let text = self.text(reason);
        let len = self.b.ins().iconst(self.ptr, reason.len() as i64);
        let at = self.loc(loc);
        self.call(Entry::Revert, &[self.session, text, len, at]);
        let one = self.const_i64(1);
        self.b.ins().stack_store(one, self.failed_slot, 0);
        self.b.ins().jump(next, &[]);
        self.b.switch_to_block(next);
        self.b.seal_block(next);
    }

    /// `value`, or zero where `failed` is non-zero.
    fn zero_if(&mut self, failed: Val, value: (Val, Val)) -> (Val, Val) {
        self.fill_if(failed, 0, value)
    }

    /// `value`, or both halves `fill` where `flag` is non-zero.
    fn fill_if(&mut self, flag: Val, fill: i64, value: (Val, Val)) -> (Val, Val) {
        let fill = self.b.ins().iconst(types::I64, fill);
        let lo = self.b.ins().select(flag, fill, value.0);
        let hi = self.b.ins().select(flag, fill, value.1);
        (lo, hi)
    }

    /// Checked `a + b` in 64-bit halves: zero, and a failure, on overflow.
    fn add(&mut self, a: (Val, Val), b: (Val, Val), loc: ir::Loc) -> (Val, Val) {
        let (sum, overflow) = self.wrapping_add(a, b);
        self.revert_if(overflow, reason::ADD, loc);
        self.zero_if(overflow, sum)
    }

    /// Checked `a - b` in 64-bit halves: zero, and a failure, on underflow.
    fn sub(&mut self, a: (Val, Val), b: (Val, Val), loc: ir::Loc) -> (Val, Val) {
        let (difference, underflow) = self.wrapping_sub(a, b);
        self.revert_if(underflow, reason::SUB, loc);
        self.zero_if(underflow, difference)
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

    /// The premium `protocol` charges on a flash loan of `amount`: the
    /// runtime's own figure.
    fn premium(&mut self, protocol: &str, amount: (Val, Val), loc: ir::Loc) -> (Val, Val) {
        let p = self.name(protocol);
        let at = self.loc(loc);
        let out = self.out_ptr();
        self.call(
            Entry::FlashPremium,
            &[self.session, p, amount.0, amount.1, at, out],
        );
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
        }
    }

    pub(super) fn step(&mut self, program: &Program, step: &Step<'_>) -> Result<(), CodegenError> {
        match step {
            Step::Name(i, text) => {
                let t = self.text(text);
                let len = self.b.ins().iconst(self.ptr, text.len() as i64);
                let out = self.b.ins().iadd_imm(self.names_ptr, (i * 4) as i64);
                self.call(Entry::Name, &[self.session, t, len, out]);
            }
            Step::Constraint(c, loc) => self.constraint(c, *loc),
            Step::ParallelBegin(loc) => {
                let at = self.loc(*loc);
                self.call(Entry::ParallelBegin, &[self.session, at]);
            }
            Step::ParallelNext(loc) => {
                let at = self.loc(*loc);
                self.call(Entry::ParallelNext, &[self.session, at]);
            }
            Step::ParallelEnd(loc) => {
                let at = self.loc(*loc);
                self.call(Entry::ParallelEnd, &[self.session, at]);
            }
            Step::TxBegin { chain, sender, at } => {
                let c = self.name(chain);
                let s = self.const_i32(SenderCode::from(*sender).0);
                let at = self.loc(*at);
                self.call(Entry::TxBegin, &[self.session, c, s, at]);
            }
            Step::TxEnd(loc) => {
                let at = self.loc(*loc);
                self.call(Entry::TxEnd, &[self.session, at]);
            }
            Step::Op(node) => self.made(program, node)?,
        }
        Ok(())
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
                debt,
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
                // The obligation carries the premium a flash loan owes.
                let premium = if *flash {
                    self.premium(protocol, got, loc)
                } else {
                    self.constant(0)
                };
                self.set(*debt, premium);
            }
            Op::Repay {
                protocol,
                principal,
                funds,
                debt,
                rest,
            } => {
                let v = self.value(principal, loc);
                let (p, t, at) = (
                    self.name(protocol),
                    self.name(&token_of(funds)),
                    self.loc(loc),
                );
                self.call(Entry::Repay, &[s, p, t, v.0, v.1, at]);
                // What is still owed keeps the premium for its last repay.
                if let Some(rest) = rest {
                    let premium = self.get(*debt);
                    self.set(*rest, premium);
                }
            }
            Op::Swap {
                exchanges,
                path,
                locs,
                input,
                min_out,
                out,
            } => {
                let amount = self.get(*input);
                let min = self.value(min_out, loc);
                for (i, token) in path.iter().enumerate() {
                    let n = self.name(token);
                    self.b.ins().stack_store(n, self.path_slot, (i * 4) as i32);
                }
                for (i, (exchange, hop)) in exchanges.iter().zip(locs).enumerate() {
                    let x = self.name(exchange);
                    self.b
                        .ins()
                        .stack_store(x, self.exchange_slot, (i * 4) as i32);
                    let at = self.loc(*hop);
                    self.b.ins().stack_store(at, self.loc_slot, (i * 8) as i32);
                }
                let path_ptr = self.b.ins().stack_addr(self.ptr, self.path_slot, 0);
                let exchanges_ptr = self.b.ins().stack_addr(self.ptr, self.exchange_slot, 0);
                let locs_ptr = self.b.ins().stack_addr(self.ptr, self.loc_slot, 0);
                let len = self.b.ins().iconst(self.ptr, path.len() as i64);
                let at = self.loc(loc);
                let o = self.out_ptr();
                self.call(
                    Entry::SwapPath,
                    &[
                        s,
                        exchanges_ptr,
                        path_ptr,
                        locs_ptr,
                        len,
                        amount.0,
                        amount.1,
                        min.0,
                        min.1,
                        at,
                        o,
                    ],
                );
                let got = self.load_out();
                self.set(*out, got);
            }
            Op::Wrap { input, out } | Op::Unwrap { input, out } => {
                let amount = self.get(*input);
                let (from, to) = (self.name(&token_of(input)), self.name(&token_of(out)));
                let entry = match op {
                    Op::Wrap { .. } => Entry::Wrap,
                    _ => Entry::Unwrap,
                };
                let at = self.loc(loc);
                let o = self.out_ptr();
                self.call(entry, &[s, from, to, amount.0, amount.1, at, o]);
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
            Op::BorrowDebt {
                protocol,
                token,
                amount,
                out,
                ..
            } => self.borrow_debt(protocol, token, amount, *out, loc),
            Op::RepayDebt { protocol, funds } => {
                self.repay_debt(protocol, &token_of(funds), *funds, loc);
            }
            Op::Assume {
                chain,
                protocol,
                assumption,
            } => self.assume(chain, protocol, assumption, loc),
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
                locs,
            } => {
                // Token indices in the path slot; amount halves, then what
                // arrives, in the batch slot; each transfer's location in
                // the location slot.
                let n = inputs.len();
                for (i, at) in locs.iter().enumerate() {
                    let at = self.loc(*at);
                    self.b.ins().stack_store(at, self.loc_slot, (i * 8) as i32);
                }
                for (i, input) in inputs.iter().enumerate() {
                    let m = self.is_missing(*input);
                    let m = self.b.ins().uextend(types::I32, m);
                    self.b.ins().stack_store(m, self.skip_slot, (i * 4) as i32);
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
                let locs_ptr = self.b.ins().stack_addr(self.ptr, self.loc_slot, 0);
                let len = self.b.ins().iconst(self.ptr, n as i64);
                let at = self.loc(loc);
                let o = self
                    .b
                    .ins()
                    .stack_addr(self.ptr, self.batch_slot, (n * 16) as i32);
                let failed = self.b.ins().stack_addr(self.ptr, self.exchange_slot, 0);
                let skip = self.b.ins().stack_addr(self.ptr, self.skip_slot, 0);
                self.call(
                    Entry::BridgeBatch,
                    &[
                        s, via, to, tokens, amounts, locs_ptr, skip, len, at, o, failed,
                    ],
                );
                // Each transfer is all or nothing on its own: only those
                // that failed are missing.
                let zero = self.const_i64(0);
                self.b.ins().stack_store(zero, self.failed_slot, 0);
                for (i, out) in outs.iter().enumerate() {
                    let at = ((n + i) * 16) as i32;
                    let lo = self.b.ins().stack_load(types::I64, self.batch_slot, at);
                    let hi = self.b.ins().stack_load(types::I64, self.batch_slot, at + 8);
                    self.set(*out, (lo, hi));
                    let flag =
                        self.b
                            .ins()
                            .stack_load(types::I32, self.exchange_slot, (i * 4) as i32);
                    let flag = self.b.ins().uextend(types::I64, flag);
                    let offset = Self::wire_offset(*out).saturating_add(16);
                    self.b
                        .ins()
                        .store(MemFlags::trusted(), flag, self.wires, offset);
                }
            }
            Op::FlashLoan {
                protocol,
                amounts,
                funds,
                locs,
                ..
            } => {
                // Token indices in the path slot; amount halves, then what
                // each loan lends, in the batch slot; each loan's location
                // in the location slot. A loan whose amount reads a missing
                // wire is skipped, its amount not even computed.
                let n = amounts.len();
                for (i, ((amount, wire), at)) in amounts.iter().zip(funds).zip(locs).enumerate() {
                    let at_val = self.loc(*at);
                    self.b
                        .ins()
                        .stack_store(at_val, self.loc_slot, (i * 8) as i32);
                    let t = self.name(&token_of(wire));
                    self.b.ins().stack_store(t, self.path_slot, (i * 4) as i32);
                    let mut read = Vec::new();
                    amount.wires(&mut read);
                    let mut missing = self.b.ins().iconst(types::I8, 0);
                    for w in read {
                        let m = self.is_missing(w);
                        missing = self.b.ins().bor(missing, m);
                    }
                    let flag = self.b.ins().uextend(types::I32, missing);
                    self.b
                        .ins()
                        .stack_store(flag, self.skip_slot, (i * 4) as i32);
                    let compute = self.b.create_block();
                    let after = self.b.create_block();
                    self.b.ins().brif(missing, after, &[], compute, &[]);
                    self.b.switch_to_block(compute);
                    self.b.seal_block(compute);
                    let v = self.value(amount, *at);
                    self.b
                        .ins()
                        .stack_store(v.0, self.batch_slot, (i * 16) as i32);
                    self.b
                        .ins()
                        .stack_store(v.1, self.batch_slot, (i * 16 + 8) as i32);
                    self.b.ins().jump(after, &[]);
                    self.b.switch_to_block(after);
                    self.b.seal_block(after);
                }
                let p = self.name(protocol);
                let tokens = self.b.ins().stack_addr(self.ptr, self.path_slot, 0);
                let amounts_ptr = self.b.ins().stack_addr(self.ptr, self.batch_slot, 0);
                let locs_ptr = self.b.ins().stack_addr(self.ptr, self.loc_slot, 0);
                let len = self.b.ins().iconst(self.ptr, n as i64);
                let at = self.loc(loc);
                let o = self
                    .b
                    .ins()
                    .stack_addr(self.ptr, self.batch_slot, (n * 16) as i32);
                let failed = self.b.ins().stack_addr(self.ptr, self.exchange_slot, 0);
                let skip = self.b.ins().stack_addr(self.ptr, self.skip_slot, 0);
                self.call(
                    Entry::FlashLoan,
                    &[
                        s,
                        p,
                        tokens,
                        amounts_ptr,
                        locs_ptr,
                        skip,
                        len,
                        at,
                        o,
                        failed,
                    ],
                );
                // Each loan is all or nothing on its own: only those that
                // failed are missing, funds and obligation alike.
                let zero = self.const_i64(0);
                self.b.ins().stack_store(zero, self.failed_slot, 0);
                if let Op::FlashLoan { funds, debts, .. } = op {
                    for (i, (f, d)) in funds.iter().zip(debts).enumerate() {
                        let at = ((n + i) * 16) as i32;
                        let lo = self.b.ins().stack_load(types::I64, self.batch_slot, at);
                        let hi = self.b.ins().stack_load(types::I64, self.batch_slot, at + 8);
                        let flag =
                            self.b
                                .ins()
                                .stack_load(types::I32, self.exchange_slot, (i * 4) as i32);
                        let flag = self.b.ins().uextend(types::I64, flag);
                        for wire in [*f, *d] {
                            self.set(wire, (lo, hi));
                            let offset = Self::wire_offset(wire).saturating_add(16);
                            self.b
                                .ins()
                                .store(MemFlags::trusted(), flag, self.wires, offset);
                        }
                    }
                    // Each obligation carries its loan's premium.
                    for d in debts {
                        let lent = self.get(*d);
                        let premium = self.premium(protocol, lent, loc);
                        self.set(*d, premium);
                    }
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
                // nothing, and the spending action then fails.
                let (rest_value, under) = self.wrapping_sub(whole, part);
                let rest_value = self.zero_if(under, rest_value);
                self.set(*taken, part);
                self.set(*rest, rest_value);
            }
            Op::Merge { inputs, out } => {
                let a = self.get(inputs[0]);
                let b = self.get(inputs[1]);
                // Saturating, as the interpreter: the runtime's holding
                // overflowed (and failed) first.
                let (sum, over) = self.wrapping_add(a, b);
                let sum = self.fill_if(over, -1, sum);
                self.set(*out, sum);
            }
            Op::Require {
                left,
                op,
                right,
                token,
                text,
                left_text,
                ..
            } => {
                let l = self.value(left, loc);
                let r = self.value(right, loc);
                let comparison = self.const_i32(ComparisonCode::from(*op).0);
                let token = self.name(token);
                let left_text = self.name(left_text);
                let text = self.name(text);
                let at = self.loc(loc);
                self.call(
                    Entry::Require,
                    &[
                        s, comparison, l.0, l.1, r.0, r.1, token, left_text, text, at,
                    ],
                );
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
}
