//! `swap A for M T on P`: the input leaves the holding, and the output
//! holding is credited with at least the bound `M` (an unbounded swap
//! guarantees nothing, W0001).

use super::ActionOutcome;
use crate::check::amount::Site;
use crate::check::bundle::BundleChecker;
use crate::check::holdings::{Source, Spend};
use crate::check::names::ChainId;
use crate::check::resolved::StepKind;
use crate::check::symbolic::SymbolicAmount;
use crate::diagnostic::{Code, Diagnostic, Label};
use mesh_core::ProtocolKind;
use mesh_grammar::{Amount, Ident, Span, SwapOutput};

impl BundleChecker<'_, '_> {
    pub(super) fn swap(
        &mut self,
        amount: &Amount,
        output: &SwapOutput,
        exchange: &Ident,
        chain: Option<ChainId>,
        span: Span,
    ) -> ActionOutcome {
        let site = Site::Statement(chain);
        let input = self.token_amount(amount, site);
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
        let (Some(input), Some(output_token), Some(exchange_id)) =
            (input.clone(), output_token, exchange_id)
        else {
            // Which holding the output would have gone to may be unknown.
            self.holdings.poison(chain, input.map(|i| i.token));
            match output_token {
                Some(t) => self.holdings.poison(chain, Some(t)),
                None => self.holdings.poison(chain, None),
            }
            return ActionOutcome::failed();
        };
        if input.token == output_token {
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
            }),
            value: Some((output_token, received)),
        }
    }
}
