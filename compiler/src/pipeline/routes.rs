//! Why each unpinned bridge takes its route at `-O`: the notes `meshc gas`
//! and `meshc run` print. A route the optimiser changed is named with what
//! it saves and what trust it takes (and which `min_security` allows it);
//! a route kept although a cheaper one exists that only trust rules out is
//! named too, with the constraint that would allow it. Pinned bridges
//! (`via`) never change and get no note.

use crate::ir::{Constraint, Loc, Op, Program};
use crate::lower::Lowered;
use crate::opt::walk::for_each_node;
use mesh_core::registry::{BridgeKind, RouteInfo};
use mesh_core::Registry;

/// What route choice did with one unpinned bridge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteNote {
    /// The bridge statement.
    pub loc: Loc,
    pub from: String,
    pub to: String,
    /// The route at `-O0`: the most trusted of the pair.
    pub o0: BridgeKind,
    /// The route at `-O`.
    pub o: BridgeKind,
    /// Where the routes differ: gas saved per transfer by the `-O` route
    /// (negative if it costs more) and blocks sooner.
    pub gas_saved: i64,
    pub blocks_sooner: i64,
    /// The security of the `-O` route.
    pub security: u8,
    /// The bundle's `min_security`, which allowed a less secure route.
    pub allowed_by: Option<(BridgeKind, Loc)>,
    /// Where the route was kept: the best route that only trust ruled out
    /// (less gas, or as much gas and sooner).
    pub refused: Option<Refused>,
}

/// A route trust alone ruled out, and what it would have given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    pub kind: BridgeKind,
    /// Gas saved per transfer.
    pub gas_saved: u64,
    /// Blocks sooner.
    pub blocks_sooner: u64,
    pub security: u8,
}

impl RouteNote {
    /// One line, as `meshc gas` and `meshc run` print it.
    pub fn text(&self) -> String {
        let at = format!(
            "the bridge at {}:{} ({} to {})",
            self.loc.line, self.loc.column, self.from, self.to
        );
        if self.o != self.o0 {
            let mut parts = Vec::new();
            if self.gas_saved != 0 {
                parts.push(format!(
                    "{} gas {}",
                    mesh_core::amount::display_count(self.gas_saved.unsigned_abs()),
                    if self.gas_saved > 0 { "less" } else { "more" },
                ));
            }
            if self.blocks_sooner != 0 {
                parts.push(format!(
                    "{} {}",
                    counted_blocks(self.blocks_sooner.unsigned_abs()),
                    if self.blocks_sooner > 0 {
                        "sooner"
                    } else {
                        "later"
                    },
                ));
            }
            if parts.is_empty() {
                parts.push("the same gas and time".to_string());
            }
            let mut text = format!(
                "{at} takes `{}` instead of `{}`: {}",
                self.o,
                self.o0,
                parts.join(", ")
            );
            text.push_str(&format!("; security {}", self.security));
            if let Some((kind, loc)) = self.allowed_by {
                text.push_str(&format!(
                    " ({}), as `min_security: {kind}` at {}:{} allows",
                    trust(self.security),
                    loc.line,
                    loc.column
                ));
            }
            return text;
        }
        match self.refused {
            Some(refused) => {
                let mut gains = Vec::new();
                if refused.gas_saved > 0 {
                    gains.push(format!(
                        "save {} gas",
                        mesh_core::amount::display_count(refused.gas_saved)
                    ));
                }
                if refused.blocks_sooner > 0 {
                    gains.push(format!(
                        "arrive {} sooner",
                        counted_blocks(refused.blocks_sooner)
                    ));
                }
                format!(
                    "{at} keeps `{}`: `{kind}` would {} but {} (security {}); allow it with `min_security: {kind}`",
                    self.o,
                    gains.join(" and "),
                    trust(refused.security),
                    refused.security,
                    kind = refused.kind,
                )
            }
            None => format!("{at} keeps `{}`", self.o),
        }
    }

    /// Whether the note says something a user can act on or should know:
    /// a changed route, or a cheaper one refused for trust.
    pub fn is_worth_printing(&self) -> bool {
        self.o != self.o0 || self.refused.is_some()
    }
}

fn counted_blocks(n: u64) -> String {
    if n == 1 {
        "1 block".to_string()
    } else {
        format!("{n} blocks")
    }
}

/// What a route of this security trusts, in words.
fn trust(security: u8) -> &'static str {
    match security {
        0 | 1 => "trusts a signer set",
        2 => "trusts a proof system",
        _ => "trusts no one",
    }
}

/// The notes of every unpinned bridge of the `-O0` lowering, comparing
/// its route with the one its transfer takes in `optimised`.
pub fn route_notes(lowered: &Lowered, optimised: &Program, registry: &Registry) -> Vec<RouteNote> {
    let floor = optimised
        .constraints
        .items
        .iter()
        .find_map(|(c, loc)| match c {
            Constraint::MinSecurity(kind) => Some((*kind, *loc)),
            _ => None,
        });
    let mut routes_o: Vec<(Loc, BridgeKind)> = Vec::new();
    for_each_node(&optimised.body, &mut |node| match &node.op {
        Op::Bridge { route, .. } => routes_o.push((node.loc, *route)),
        Op::BridgeBatch { route, locs, .. } => {
            routes_o.extend(locs.iter().map(|l| (*l, *route)));
        }
        _ => {}
    });
    let program = &lowered.program;
    let mut notes = Vec::new();
    for_each_node(&program.body, &mut |node| {
        let Op::Bridge { route, input, out } = &node.op else {
            return;
        };
        let loc = node.loc;
        if lowered.pinned.contains(out) {
            return;
        }
        let (Some(from), Some(to)) = (program.wire_type(*input), program.wire_type(*out)) else {
            return;
        };
        let (from, to) = (from.chain(), to.chain());
        let Some(&(_, o)) = routes_o.iter().find(|(l, _)| *l == loc) else {
            return;
        };
        let (Some(r0), Some(r)) = (
            registry.route(from, to, *route),
            registry.route(from, to, o),
        ) else {
            return;
        };
        let saving = |cheaper: &RouteInfo, than: &RouteInfo| {
            i64::try_from(than.gas).unwrap_or(i64::MAX)
                - i64::try_from(cheaper.gas).unwrap_or(i64::MAX)
        };
        let refused = (o == *route)
            .then(|| {
                // Same fee rule, no trust floor: what trust alone rules out.
                // Better means less gas and no later, or as much gas and
                // sooner.
                registry
                    .admissible_routes(from, to, Some(0))
                    .into_iter()
                    .filter(|c| {
                        c.security < r.security
                            && c.gas <= r.gas
                            && c.delay_blocks <= r.delay_blocks
                            && (c.gas < r.gas || c.delay_blocks < r.delay_blocks)
                    })
                    .min_by_key(|c| c.preference())
                    .map(|c| Refused {
                        kind: c.kind,
                        gas_saved: r.gas - c.gas,
                        blocks_sooner: r.delay_blocks - c.delay_blocks,
                        security: c.security,
                    })
            })
            .flatten();
        notes.push(RouteNote {
            loc,
            from: from.to_string(),
            to: to.to_string(),
            o0: *route,
            o,
            gas_saved: saving(r, r0),
            blocks_sooner: i64::try_from(r0.delay_blocks).unwrap_or(i64::MAX)
                - i64::try_from(r.delay_blocks).unwrap_or(i64::MAX),
            security: r.security,
            allowed_by: floor.filter(|_| r.security < r0.security),
            refused,
        });
    });
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(o: BridgeKind, gas_saved: i64, blocks_sooner: i64) -> RouteNote {
        RouteNote {
            loc: Loc::new(3, 5),
            from: "polygon".to_string(),
            to: "arbitrum".to_string(),
            o0: BridgeKind::Htlb,
            o,
            gas_saved,
            blocks_sooner,
            security: o.trust_level(),
            allowed_by: None,
            refused: None,
        }
    }

    #[test]
    fn a_changed_route_names_only_what_differs() {
        let at = "the bridge at 3:5 (polygon to arbitrum) takes `threshold` instead of `htlb`";
        let t = BridgeKind::Threshold;
        assert_eq!(
            note(t, 0, 2).text(),
            format!("{at}: 2 blocks sooner; security 1")
        );
        assert_eq!(
            note(t, 10_000, 0).text(),
            format!("{at}: 10_000 gas less; security 1")
        );
        assert_eq!(
            note(t, -100, -1).text(),
            format!("{at}: 100 gas more, 1 block later; security 1")
        );
        assert_eq!(
            note(t, 0, 0).text(),
            format!("{at}: the same gas and time; security 1")
        );
    }

    #[test]
    fn a_kept_route_names_what_trust_alone_refused() {
        let refused = |gas_saved, blocks_sooner| RouteNote {
            refused: Some(Refused {
                kind: BridgeKind::Threshold,
                gas_saved,
                blocks_sooner,
                security: 1,
            }),
            ..note(BridgeKind::Htlb, 0, 0)
        };
        let at = "the bridge at 3:5 (polygon to arbitrum) keeps `htlb`: `threshold` would";
        let end = "but trusts a signer set (security 1); allow it with `min_security: threshold`";
        assert_eq!(
            refused(0, 2).text(),
            format!("{at} arrive 2 blocks sooner {end}")
        );
        assert_eq!(
            refused(5_000, 2).text(),
            format!("{at} save 5_000 gas and arrive 2 blocks sooner {end}")
        );
        assert_eq!(
            refused(5_000, 0).text(),
            format!("{at} save 5_000 gas {end}")
        );
    }
}
