//! Name resolution with diagnostics: chains, tokens and protocols as a
//! statement names them, and whether they exist on the statement's chain
//! (rules 1 and 4). The registry's indexes and the "did you mean"
//! suggestions are in [`super::names`].

use super::bundle::BundleChecker;
use super::names::{self, ChainId, ProtocolId, TokenId};
use crate::diagnostic::{Code, Diagnostic, Label};
use mesh_core::ProtocolKind;
use mesh_grammar::{Ident, Span};

impl BundleChecker<'_, '_> {
    /// The chain of that name, or E0101 with a suggestion.
    pub(crate) fn resolve_chain(&mut self, name: &str, span: Span) -> Option<ChainId> {
        let chain = self.names.chain(name);
        if chain.is_none() {
            let names = self.names;
            self.report(names::unknown(
                Code::UnknownChain,
                "chain",
                name,
                span,
                names.chain_names(),
            ));
        }
        chain
    }

    /// E0403 unless `token` exists on `chain`.
    pub(crate) fn token_available(&mut self, token: TokenId, chain: ChainId, span: Span) -> bool {
        if self.names.token_on_chain(token, chain) {
            return true;
        }
        let symbol = self.names.symbol(token);
        let chain_name = self.names.chain_name(chain);
        let exists: Vec<&str> = self
            .names
            .token_info(token)
            .map(|t| t.chains.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let mut hint = format!("{symbol} exists on {}", names::list(exists));
        if symbol == "ETH"
            && self
                .names
                .token("WETH")
                .is_some_and(|w| self.names.token_on_chain(w, chain))
        {
            hint.push_str(&format!("; on {chain_name}, use WETH"));
        }
        self.report(
            Diagnostic::error(
                Code::TokenNotOnChain,
                format!("{symbol} does not exist on {chain_name}"),
                Label::new(span, format!("{symbol} on {chain_name}")),
            )
            .with_hint(hint),
        );
        false
    }

    /// Resolves a protocol that must be able to do `verb` on `chain`.
    pub(crate) fn resolve_protocol(
        &mut self,
        ident: &Ident,
        kind: ProtocolKind,
        verb: &str,
        chain: Option<ChainId>,
    ) -> Option<ProtocolId> {
        let names = self.names;
        let Some(protocol) = names.protocol(&ident.name) else {
            self.report(names::unknown(
                Code::UnknownProtocol,
                "protocol",
                &ident.name,
                ident.span,
                names.protocol_names(),
            ));
            return None;
        };
        let info = names.protocol_info(protocol)?;
        if info.kind != kind {
            let able: Vec<&str> = names
                .registry
                .protocols
                .iter()
                .filter(|p| p.kind == kind)
                .filter(|p| chain.is_none_or(|c| p.chains.iter().any(|n| n == names.chain_name(c))))
                .map(|p| p.name.as_str())
                .collect();
            let article = |k: ProtocolKind| match k {
                ProtocolKind::Exchange => "an exchange",
                ProtocolKind::Lender => "a lender",
            };
            self.report(
                Diagnostic::error(
                    Code::NotCapable,
                    format!(
                        "`{}` cannot {verb}: it is {}",
                        ident.name,
                        article(info.kind)
                    ),
                    Label::new(
                        ident.span,
                        format!("{}, not {}", article(info.kind), article(kind)),
                    ),
                )
                .with_hint(format!(
                    "protocols that can {verb} here: {}",
                    names::list(able)
                )),
            );
            return None;
        }
        if let Some(chain) = chain {
            if !names.protocol_on_chain(protocol, chain) {
                self.report(
                    Diagnostic::error(
                        Code::ProtocolNotOnChain,
                        format!(
                            "`{}` is not deployed on {}",
                            ident.name,
                            names.chain_name(chain)
                        ),
                        Label::new(ident.span, format!("not on {}", names.chain_name(chain))),
                    )
                    .with_hint(format!(
                        "`{}` is deployed on {}",
                        ident.name,
                        names::list(info.chains.iter().map(String::as_str))
                    )),
                );
                return None;
            }
        }
        Some(protocol)
    }

    pub(crate) fn resolve_token(&mut self, symbol: &str, span: Span) -> Option<TokenId> {
        match self.names.token(symbol) {
            Some(token) => {
                if let Some(&def) = self.names.declared.get(symbol) {
                    self.facts.definitions.push(super::Definition {
                        use_span: span,
                        def_span: def,
                    });
                }
                Some(token)
            }
            None => {
                let names = self.names;
                let mut d = names::unknown(
                    Code::UnknownToken,
                    "token",
                    symbol,
                    span,
                    names.token_symbols(),
                );
                let known = d
                    .hint
                    .as_deref()
                    .filter(|h| h.starts_with("the known"))
                    .map(str::to_string);
                if let Some(known) = known {
                    d = d.with_hint(format!(
                        "{known}; declare others with `token {symbol} decimals N`"
                    ));
                }
                self.report(d);
                None
            }
        }
    }
}
