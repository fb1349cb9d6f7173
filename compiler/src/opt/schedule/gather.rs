//! Moving single actions between the transactions of their chain where
//! they cost less there (the scheduling's last step, docs/optimiser.md).

use super::{states, Cascade, Graph, Metering, State, GATHER_TRIALS};
use crate::opt::OptError;

impl Graph {
    /// The lender (chain, protocol) action `i` calls, if it calls one.
    fn lender_of(&self, i: usize) -> Option<State> {
        let chain = self.action_chain(i)?;
        states(&self.nodes[i].op, Some(&self.chains[chain]))
            .into_iter()
            .find(|s| matches!(s, State::Lender(..)))
    }

    /// Whether every action may stand at its level in `levels`: each at or
    /// after what its predecessors need.
    fn keeps_edges(&self, levels: &[u32]) -> bool {
        let mut avail: Vec<Vec<(usize, u32)>> = vec![Vec::new(); self.nodes.len()];
        for i in 0..self.nodes.len() {
            match self.action_chain(i) {
                Some(chain) => {
                    if levels[i] < self.required(i, chain, &avail) {
                        return false;
                    }
                    avail[i] = vec![(chain, levels[i])];
                }
                None => avail[i] = self.inherited(i, &avail),
            }
        }
        true
    }

    /// Each action that another transaction of its chain could take where
    /// it costs less there: beside a call on the same pool, a lender call
    /// finds the pool (and what the earlier call read) warm (docs/gas.md,
    /// "Lender calls in one transaction"); beside calls on the same
    /// tokens, any action finds them warm ("Warm tokens and approvals").
    /// An action moves to the nearest transaction of its chain before or
    /// after its own, or to the nearest one that calls its pool, and what
    /// depends on it as late as it must, where that keeps every edge, sends
    /// no more transactions, leaves no loan open that was closed, and costs
    /// less gas without missing a deadline the levels before it met
    /// (`gas_of`, the program these levels emit). Every move kept
    /// costs less, so this ends; at most [`GATHER_TRIALS`] placements are
    /// metered, lender calls first. A loan's borrow and repays stay where
    /// the loans' own move put them.
    pub(super) fn gather(
        &self,
        levels: &mut [u32],
        registry: &mesh_core::Registry,
        gas_of: &mut Metering<'_>,
    ) -> Result<(), OptError> {
        let loans = self.loans(registry);
        let in_loan = |i: usize| loans.iter().any(|(b, rs)| *b == i || rs.contains(&i));
        let mut movable: Vec<(usize, Option<State>)> = (0..self.nodes.len())
            .filter(|&i| self.action_chain(i).is_some() && !in_loan(i))
            .map(|i| (i, self.lender_of(i)))
            .collect();
        movable.sort_by_key(|(i, pool)| (pool.is_none(), *i));
        // Only a chain with two transactions has anything to gather.
        let spread = (0..self.chains.len()).any(|c| self.used_levels(c, levels).len() > 1);
        if !spread {
            return Ok(());
        }
        let mut trials = 0usize;
        let (mut gas, misses) = gas_of(levels)?;
        loop {
            let mut moved = false;
            'actions: for (i, pool) in &movable {
                let Some(chain) = self.action_chain(*i) else {
                    continue;
                };
                let at = levels[*i];
                let chain_levels = self.used_levels(chain, levels);
                let pool_levels: Vec<u32> = movable
                    .iter()
                    .filter(|(_, other)| pool.is_some() && other == pool)
                    .map(|(j, _)| levels[*j])
                    .collect();
                let nearest = |ls: &[u32]| {
                    [
                        ls.iter().copied().filter(|&l| l < at).max(),
                        ls.iter().copied().filter(|&l| l > at).min(),
                    ]
                };
                let mut targets: Vec<u32> = nearest(&pool_levels)
                    .into_iter()
                    .chain(nearest(&chain_levels))
                    .flatten()
                    .collect();
                targets.sort_unstable();
                targets.dedup();
                for to in targets {
                    let trial = if to > at {
                        match self.cascade(&[*i], to, levels, Cascade::Alone) {
                            Some(t) => t,
                            None => continue,
                        }
                    } else {
                        let mut t = levels.to_vec();
                        t[*i] = to;
                        t
                    };
                    if !self.keeps_edges(&trial)
                        || self.transactions(&trial) > self.transactions(levels)
                        || Self::closed(&loans, &trial) < Self::closed(&loans, levels)
                    {
                        continue;
                    }
                    if trials == GATHER_TRIALS {
                        return Ok(());
                    }
                    trials += 1;
                    let (trial_gas, trial_misses) = gas_of(&trial)?;
                    if trial_gas < gas && (misses || !trial_misses) {
                        levels.copy_from_slice(&trial);
                        gas = trial_gas;
                        moved = true;
                        break 'actions;
                    }
                }
            }
            if !moved {
                return Ok(());
            }
        }
    }
}
