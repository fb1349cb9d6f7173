//! `bridge A to C via K`: the amount leaves this chain's holding and what
//! arrives, less the route's fee, is credited on the destination (rule 7:
//! another chain, a route that serves the pair).

use super::ActionOutcome;
use crate::check::amount::Site;
use crate::check::bundle::BundleChecker;
use crate::check::holdings::{Source, Spend};
use crate::check::names::{self, ChainId, TokenId};
use crate::check::resolved::{BridgeRoute, RouteChoice, StepKind};
use crate::check::symbolic::SymbolicAmount;
use crate::diagnostic::{Code, Diagnostic, Label};
use mesh_core::registry::RouteInfo;
use mesh_core::BridgeKind;
use mesh_grammar::{Amount, Ident, Span};

impl BundleChecker<'_, '_> {
    pub(super) fn bridge(
        &mut self,
        amount: &Amount,
        destination: &Ident,
        route: Option<&Ident>,
        chain: Option<ChainId>,
        span: Span,
    ) -> ActionOutcome {
        let amt = self.token_amount(amount, Site::Statement(chain));
        let to = self.resolve_chain(&destination.name, destination.span);
        let kind = match route {
            Some(ident) => match BridgeKind::from_name(&ident.name) {
                Some(kind) => Some(Some(kind)),
                None => {
                    self.report(names::unknown(
                        Code::UnknownRoute,
                        "bridge kind",
                        &ident.name,
                        ident.span,
                        BridgeKind::ALL.iter().map(|k| k.as_str()),
                    ));
                    None
                }
            },
            None => Some(None),
        };
        let poison = |c: &mut Self, from: Option<ChainId>, token: Option<TokenId>| {
            for chain in [from, to].into_iter().flatten() {
                c.holdings.poison(chain, token);
            }
        };
        let (Some(from), Some(to), Some(kind)) = (chain, to, kind) else {
            poison(self, chain, amt.map(|a| a.token));
            return ActionOutcome::failed();
        };
        if from == to {
            let name = self.names.chain_name(to);
            self.report(
                Diagnostic::error(
                    Code::BridgeToSameChain,
                    format!("bridge from {name} to {name}"),
                    Label::new(
                        destination.span,
                        format!("this statement already runs on {name}"),
                    ),
                )
                .with_hint("a bridge moves funds to another chain; drop it, or name another chain"),
            );
            poison(self, chain, amt.map(|a| a.token));
            return ActionOutcome::failed();
        }
        let floor = self.min_security.map(|(k, _)| k.trust_level());
        let routes = match kind {
            Some(kind) => self.names.route(from, to, kind).map(|r| (r, r)),
            None => self.names.most_trusted_route(from, to).map(|o0| {
                // Without an admissible cheaper one, -O keeps the -O0 route.
                (o0, self.names.cheapest_route(from, to, floor).unwrap_or(o0))
            }),
        };
        let Some((o0, o)) = routes else {
            self.no_route(from, to, kind, route.map_or(destination.span, |r| r.span));
            poison(self, chain, amt.map(|a| a.token));
            return ActionOutcome::failed();
        };
        if let Some((required, at)) = self.min_security {
            if o0.security < required.trust_level() {
                let here = route.map_or(destination.span, |r| r.span);
                self.below_min_security(o0, kind.is_some(), here, required, at);
            }
        }
        let Some(amt) = amt else {
            poison(self, chain, None);
            return ActionOutcome::failed();
        };
        let here = self.token_available(amt.token, from, amt.span);
        let there = here && self.token_available(amt.token, to, destination.span);
        if !there {
            poison(self, chain, Some(amt.token));
            return ActionOutcome::failed();
        }
        self.of_nothing("bridge", &amt, from);
        self.touch_holding(from, amt.token, span);
        self.touch_holding(to, amt.token, span);
        let spend = Spend {
            total: &amt.value,
            premium: None,
            span,
        };
        if let Some(d) =
            self.holdings
                .spend(from, amt.token, &spend, &mut self.unknowns, self.names)
        {
            self.report(d);
        }
        let Some(arrived) = self.arrival(&amt.value, o0) else {
            self.report(
                Diagnostic::error(
                    Code::OutOfRange,
                    "the bridge fee on this amount is out of range",
                    Label::new(amt.span, "too large"),
                )
                .with_hint("amounts are exact integers in base units up to 2^127 - 1"),
            );
            self.holdings.poison(to, Some(amt.token));
            return ActionOutcome::failed();
        };
        self.holdings.credit(
            to,
            amt.token,
            &arrived,
            Source::Bridge,
            span,
            &mut self.unknowns,
        );
        let choice = |r: &RouteInfo| RouteChoice {
            kind: r.kind,
            delay_blocks: r.delay_blocks,
            gas: r.gas,
            fee_bps: r.fee_bps,
        };
        let token = amt.token;
        ActionOutcome {
            kind: Some(StepKind::Bridge {
                amount: self.resolved(amt),
                destination: self.names.chain_name(to).to_string(),
                route: BridgeRoute {
                    pinned: kind.is_some(),
                    o0: choice(o0),
                    o: choice(o),
                },
            }),
            value: Some((token, arrived)),
        }
    }

    /// What a bridge delivers: the amount less the fee of the `-O0` route
    /// (the optimiser only picks routes with no higher fee).
    fn arrival(&mut self, amount: &SymbolicAmount, route: &RouteInfo) -> Option<SymbolicAmount> {
        if let Some(exact) = amount.exact() {
            let fee = route.fee_on(exact)?;
            return SymbolicAmount::constant(exact.checked_sub(fee)?);
        }
        let lower = self.unknowns.lower_bound(amount);
        // a − fee(a) grows with a, so its bound is taken at a's bound.
        let lower = route
            .fee_on(lower)
            .and_then(|fee| lower.checked_sub(fee))
            .unwrap_or(0);
        Some(SymbolicAmount::unknown(
            self.unknowns.fresh(lower, Some((amount.clone(), 1))),
        ))
    }

    /// E0703: the route a bridge takes at `-O0` (its pinned one, or the
    /// most trusted of the pair) is less secure than `min_security` allows.
    fn below_min_security(
        &mut self,
        route: &RouteInfo,
        pinned: bool,
        span: Span,
        required: BridgeKind,
        at: Span,
    ) {
        let (a, b, kind) = (&route.from, &route.to, route.kind);
        let (message, label, hint) = if pinned {
            (
                format!(
                    "the `{kind}` route from {a} to {b} is less secure than `min_security: {required}` allows"
                ),
                format!("security {}", route.security),
                format!(
                    "pin a route of security {} or more, drop `via` to let the compiler choose, or lower `min_security`",
                    required.trust_level()
                ),
            )
        } else {
            (
                format!(
                    "no route from {a} to {b} is as secure as `min_security: {required}` demands"
                ),
                format!(
                    "the most trusted route is `{kind}`, security {}",
                    route.security
                ),
                "bridge through a chain with a more secure route, or lower `min_security`"
                    .to_string(),
            )
        };
        self.report(
            Diagnostic::error(
                Code::RouteBelowMinSecurity,
                message,
                Label::new(span, label),
            )
            .with_label(Label::new(
                at,
                format!("demands security {} or more", required.trust_level()),
            ))
            .with_hint(hint),
        );
    }

    fn no_route(&mut self, from: ChainId, to: ChainId, kind: Option<BridgeKind>, span: Span) {
        let (a, b) = (self.names.chain_name(from), self.names.chain_name(to));
        let serving: Vec<&str> = self
            .names
            .routes(from, to)
            .map(|r| r.kind.as_str())
            .collect();
        let d = match kind {
            Some(kind) if !serving.is_empty() => Diagnostic::error(
                Code::NoRoute,
                format!("no `{kind}` route from {a} to {b}"),
                Label::new(span, format!("`{kind}` does not serve {a} to {b}")),
            )
            .with_hint(format!(
                "from {a} to {b}, the routes are {}; or drop `via` to let the compiler choose",
                names::list(serving)
            )),
            _ => Diagnostic::error(
                Code::NoRoute,
                format!("no bridge serves {a} to {b}"),
                Label::new(span, "no route"),
            )
            .with_hint("bridge through a chain that has routes to both"),
        };
        self.report(d);
    }
}
