//! `swap A for M T on P (via V, ...)?`: the input leaves the holding, and
//! the output holding is credited with at least the bound `M` (an unbounded
//! swap guarantees nothing, W0001). A swap `via` other tokens passes through
//! them hop by hop on one exchange: each hop sells one token for another
//! (E0304), no pair twice (E0413), and, where the world's pairs are known,
//! through a pair the exchange has (E0414).

use super::ActionOutcome;
use crate::check::amount::Site;
use crate::check::bundle::BundleChecker;
use crate::check::holdings::{Source, Spend};
use crate::check::names::{self, TokenId};
use crate::check::names::{ChainId, ProtocolId};
use crate::check::resolved::StepKind;
use crate::check::symbolic::SymbolicAmount;
use crate::diagnostic::{Code, Diagnostic, Label};
use mesh_core::registry::pair_tokens;
use mesh_core::ProtocolKind;
use mesh_grammar::{Amount, Ident, Span, SwapOutput, Symbol};

impl BundleChecker<'_, '_> {
    pub(super) fn swap(
        &mut self,
        amount: &Amount,
        output: &SwapOutput,
        exchange: &Ident,
        via: &[Symbol],
        chain: Option<ChainId>,
        span: Span,
    ) -> ActionOutcome {
        let site = Site::Statement(chain);
        let input = self.token_amount(amount, site);
        let mut through: Vec<(TokenId, Span)> = Vec::with_capacity(via.len());
        let mut via_known = true;
        for symbol in via {
            match self.resolve_token(&symbol.name, symbol.span) {
                Some(token) => through.push((token, symbol.span)),
                None => via_known = false,
            }
        }
        let (output_token, bound, output_span) = match output {
            SwapOutput::AtLeast(m) => {
                let bound = self.token_amount(m, site);
                if let Some(b) = bound.as_ref().filter(|b| b.value.exact() == Some(0)) {
                    let symbol = self.names.symbol(b.token);
                    self.diagnostics.push(
                        Diagnostic::warning(
                            Code::UnboundedSwap,
                            format!("unbounded swap into {symbol}"),
                            Label::new(m.span, format!("a minimum output of 0 {symbol} bounds nothing")),
                        )
                        .with_hint(format!(
                            "a bound of zero accepts any output, however small, and the checker can guarantee none of it; write `for M {symbol}` with M above zero to revert below M"
                        )),
                    );
                }
                (bound.as_ref().map(|b| b.token), bound, m.span)
            }
            SwapOutput::Token(symbol) => {
                self.diagnostics.push(
                    Diagnostic::warning(
                        Code::UnboundedSwap,
                        format!("unbounded swap into {}", symbol.name),
                        Label::new(symbol.span, "no minimum output"),
                    )
                    .with_hint(format!(
                        "without a bound the swap may return almost nothing, and the checker can guarantee none of its output; write `for M {}` to revert below M",
                        symbol.name
                    )),
                );
                (
                    self.resolve_token(&symbol.name, symbol.span),
                    None,
                    symbol.span,
                )
            }
        };
        let exchange_id = self.resolve_protocol(exchange, ProtocolKind::Exchange, "swap", chain);
        let Some(chain) = chain else {
            return ActionOutcome::failed();
        };
        let (Some(input), Some(output_token), Some(exchange_id), true) =
            (input.clone(), output_token, exchange_id, via_known)
        else {
            // Which holding the output would have gone to may be unknown.
            self.holdings.poison(chain, input.map(|i| i.token));
            match output_token {
                Some(t) => self.holdings.poison(chain, Some(t)),
                None => self.holdings.poison(chain, None),
            }
            return ActionOutcome::failed();
        };
        // A path may end in the token it starts with (a triangular
        // arbitrage); one hop cannot.
        if input.token == output_token && through.is_empty() {
            let symbol = self.names.symbol(output_token);
            self.report(
                Diagnostic::error(
                    Code::SwapToSameToken,
                    format!("swap of {symbol} for {symbol}"),
                    Label::new(output_span, format!("this is {symbol} too")),
                )
                .with_label(Label::new(input.span, format!("this sells {symbol}")))
                .with_hint("a swap sells one token for another; name the token to buy"),
            );
            self.holdings.poison(chain, Some(output_token));
            return ActionOutcome::failed();
        }
        let input_ok = self.token_available(input.token, chain, input.span);
        let output_ok = self.token_available(output_token, chain, output_span);
        if !(input_ok && output_ok) {
            self.holdings.poison(chain, Some(input.token));
            self.holdings.poison(chain, Some(output_token));
            return ActionOutcome::failed();
        }
        let what = format!("the exchange `{}`", self.names.protocol_name(exchange_id));
        let sells_token = self.only_tokens(input.token, chain, input.span, &what, false);
        let buys_token = self.only_tokens(output_token, chain, output_span, &what, true);
        let mut path = Vec::with_capacity(through.len() + 2);
        path.push((input.token, input.span));
        path.extend(through.iter().copied());
        path.push((output_token, output_span));
        if !(sells_token && buys_token && self.path_ok(&path, exchange_id, chain)) {
            self.holdings.poison(chain, Some(input.token));
            self.holdings.poison(chain, Some(output_token));
            return ActionOutcome::failed();
        }
        if self.of_nothing("swap", &input, chain) {
            self.holdings.poison(chain, Some(output_token));
            return ActionOutcome::failed();
        }
        self.touch_holding(chain, input.token, span);
        self.touch_holding(chain, output_token, span);
        let spend = Spend {
            total: &input.value,
            premium: None,
            span,
        };
        if let Some(d) =
            self.holdings
                .spend(chain, input.token, &spend, &mut self.unknowns, self.names)
        {
            self.report(d);
        }
        // What comes out is the bound plus a slack that is at least zero.
        let slack = SymbolicAmount::unknown(self.unknowns.fresh(0, None));
        let received = match &bound {
            Some(b) => b.value.add(&slack).unwrap_or_else(|| {
                let lower = self.unknowns.lower_bound(&b.value);
                SymbolicAmount::unknown(self.unknowns.fresh(lower, None))
            }),
            None => slack,
        };
        self.holdings.credit(
            chain,
            output_token,
            &received,
            Source::Swap {
                bounded: bound.as_ref().is_some_and(|b| b.value.exact() != Some(0)),
            },
            span,
            &mut self.unknowns,
        );
        ActionOutcome {
            kind: Some(StepKind::Swap {
                amount: self.resolved(input),
                output_token: self.names.symbol(output_token).to_string(),
                min_output: bound.map(|b| self.resolved(b)),
                exchange: self.names.protocol_name(exchange_id).to_string(),
                via: through
                    .iter()
                    .map(|(t, _)| self.names.symbol(*t).to_string())
                    .collect(),
            }),
            value: Some((output_token, received)),
        }
    }

    /// Judges a swap's path, `(token, where it is written)` from the input
    /// to the output: every token between them exists on the chain and is
    /// a token, every hop sells one token for another, no pair is used
    /// twice, and, where the world's pairs are known, every hop's pair
    /// exists on the exchange. Reports each problem; whether there was none.
    fn path_ok(&mut self, path: &[(TokenId, Span)], exchange: ProtocolId, chain: ChainId) -> bool {
        let what = format!("the exchange `{}`", self.names.protocol_name(exchange));
        let last = path.len().saturating_sub(1);
        let mut ok = true;
        for &(token, span) in path.iter().take(last).skip(1) {
            ok &= self.token_available(token, chain, span)
                && self.only_tokens(token, chain, span, &what, false);
        }
        if !ok {
            return false;
        }
        let mut seen: Vec<((TokenId, TokenId), Span)> = Vec::new();
        for hop in path.windows(2) {
            let ((from, from_span), (to, to_span)) = (hop[0], hop[1]);
            let symbol = self.names.symbol(to);
            if from == to {
                self.report(
                    Diagnostic::error(
                        Code::SwapToSameToken,
                        format!("a hop of the swap sells {symbol} for {symbol}"),
                        Label::new(to_span, format!("{symbol} again")),
                    )
                    .with_label(Label::new(
                        from_span,
                        format!("the path is at {symbol} here"),
                    ))
                    .with_hint(format!(
                        "each hop sells one token for another; drop the repeated {symbol}"
                    )),
                );
                ok = false;
                continue;
            }
            let key = if from <= to { (from, to) } else { (to, from) };
            if let Some(&(_, first)) = seen.iter().find(|(k, _)| *k == key) {
                let (a, b) = pair_tokens(self.names.symbol(from), symbol);
                self.report(
                    Diagnostic::error(
                        Code::PairUsedTwice,
                        format!("the swap's path uses the {a}/{b} pair twice"),
                        Label::new(to_span, format!("the {a}/{b} pair again")),
                    )
                    .with_label(Label::new(first, format!("the {a}/{b} pair first")))
                    .with_hint(
                        "a swap prices every hop on its pair's reserves as they are before it, so a path through one pair twice is refused, as the runtime refuses it: split the swap into two statements",
                    ),
                );
                ok = false;
                continue;
            }
            seen.push((key, to_span));
        }
        if !ok {
            return false;
        }
        let Some(pairs) = self.names.pairs else {
            return true;
        };
        let (chain_name, exchange_name) = (
            self.names.chain_name(chain),
            self.names.protocol_name(exchange),
        );
        for hop in path.windows(2) {
            let ((from, from_span), (to, to_span)) = (hop[0], hop[1]);
            let (from_symbol, to_symbol) = (self.names.symbol(from), self.names.symbol(to));
            if pairs.has(chain_name, exchange_name, from_symbol, to_symbol) {
                continue;
            }
            let (a, b) = pair_tokens(from_symbol, to_symbol);
            let partners = pairs.partners(chain_name, exchange_name, from_symbol);
            // Tokens that join the two in two hops on this exchange.
            let joining: Vec<&str> = partners
                .iter()
                .copied()
                .filter(|x| pairs.has(chain_name, exchange_name, x, to_symbol))
                .collect();
            let hint = if let Some(first) = joining.first() {
                format!(
                    "`{exchange_name}` on {chain_name} joins {from_symbol} to {to_symbol} through {}: pass through one with `via`, as in `via {first}`",
                    names::list(joining.iter().copied()),
                )
            } else if partners.is_empty() {
                format!(
                    "`{exchange_name}` on {chain_name} has no pair of {from_symbol} in this world"
                )
            } else {
                format!(
                    "`{exchange_name}` on {chain_name} pairs {from_symbol} only with {}, and none of them with {to_symbol}",
                    names::list(partners.iter().copied())
                )
            };
            self.report(
                Diagnostic::error(
                    Code::NoSuchPair,
                    format!("`{exchange_name}` on {chain_name} has no {a}/{b} pair"),
                    Label::new(to_span, format!("this hop needs the {a}/{b} pair")),
                )
                .with_label(Label::new(from_span, format!("it sells {from_symbol}")))
                .with_hint(hint),
            );
            ok = false;
        }
        ok
    }
}
