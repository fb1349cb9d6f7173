//! The builder as the interpreter's observer: each transaction begun and
//! ended, and each node before and after it runs, become the plan's calls.

use super::*;

impl Observer for Builder<'_> {
    fn begin_transaction(&mut self, chain: &str, sender: Sender, session: &Session) {
        if self.error.is_some() {
            return;
        }
        let Ok(contracts) = self.evm.contracts(chain) else {
            self.fail(
                Loc::UNKNOWN,
                format!("the deployed world has no chain {chain}"),
            );
            return;
        };
        let chain_id = self.evm.chain(chain).map_or(0, |c| c.chain_id());
        self.open = Some(PlannedTx {
            chain: chain.to_string(),
            chain_id,
            sender,
            block: session.blocks(),
            from: self.evm.accounts.wallet,
            executor: contracts.executor,
            body: Vec::new(),
            model_gas: 0,
            gas_limit: 0,
            transfers: Vec::new(),
        });
        self.frames.clear();
    }

    fn end_transaction(&mut self, session: &Session) {
        let Some(mut tx) = self.open.take() else {
            return;
        };
        while let Some(frame) = self.frames.pop() {
            match self.frames.last_mut() {
                Some(parent) => parent.body.push(Step::Flash(frame)),
                None => tx.body.push(Step::Flash(frame)),
            }
        }
        let gas = session.gas_total();
        tx.model_gas = gas.saturating_sub(self.gas_so_far);
        self.gas_so_far = gas;
        if tx.sender == Sender::Wallet && tx.body.len() > 1 {
            self.fail(
                tx.first_loc(),
                "a wallet transaction makes one call".to_string(),
            );
        }
        self.plan.transactions.push(tx);
    }

    fn before(&mut self, node: &Node, session: &Session) {
        self.hops.clear();
        if let Op::Swap {
            exchanges,
            path,
            input,
            ..
        } = &node.op
        {
            let chain = self.chain_of(*input);
            let world = session.world();
            // Each hop's reserves, those of a pair met twice as the first
            // hop leaves them.
            let mut seen: BTreeMap<(String, String, String), (u128, u128)> = BTreeMap::new();
            for (i, exchange) in exchanges.iter().enumerate() {
                let (Some(a), Some(b)) = (path.get(i), path.get(i + 1)) else {
                    break;
                };
                let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                let key = (exchange.clone(), lo.clone(), hi.clone());
                let (r_lo, r_hi) = match seen.get(&key) {
                    Some(r) => *r,
                    None => world
                        .exchange(&chain, exchange)
                        .and_then(|e| e.pair(a, b))
                        .map_or((0, 0), |p| (p.reserve0, p.reserve1)),
                };
                let (r_in, r_out) = if a == lo { (r_lo, r_hi) } else { (r_hi, r_lo) };
                self.hops.push((r_in, r_out));
                seen.insert(key, (r_lo, r_hi));
            }
        }
    }

    fn after(
        &mut self,
        node: &Node,
        outcome: Outcome,
        amounts: &[Option<u128>],
        session: &Session,
    ) {
        if self.error.is_some() || outcome == Outcome::NotMade {
            return;
        }
        // A computation that fails is judged before anything is sent.
        if !matches!(node.op, Op::Split { .. } | Op::Merge { .. }) {
            for v in node.op.values() {
                if let Err(reason) = evaluate(v, amounts) {
                    self.plan.checks.push(Check {
                        reason: reason.to_string(),
                        loc: node.loc,
                    });
                    return;
                }
            }
        }
        if let Op::Merge { inputs, out } = &node.op {
            if inputs.iter().any(|w| self.flash_debts.contains(w)) {
                self.flash_debts.insert(*out);
            }
        }
        self.model_failure = session
            .reverted()
            .filter(|r| r.loc == node.loc)
            .map(|r| r.reason.clone());
        if let Err(e) = self.op(node, outcome, amounts) {
            self.fail(e.loc, e.message);
        }
    }
}
