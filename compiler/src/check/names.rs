//! Name resolution against the registry: interned ids for chains, tokens and
//! protocols (so that the analyses key their maps by small integers), route
//! lookup by chain pair, and "did you mean" suggestions.

use crate::diagnostic::{Applicability, Code, Diagnostic, Label};
use mesh_core::registry::{ProtocolInfo, RouteInfo, TokenInfo};
use mesh_core::{BridgeKind, Registry};
use mesh_grammar::Span;
use std::collections::{HashMap, HashSet};

pub(crate) use mesh_core::registry::{ChainId, ProtocolId, TokenId};

/// The registry, indexed for the checker.
pub(crate) struct Names<'r> {
    pub registry: &'r Registry,
    chains: HashMap<&'r str, ChainId>,
    tokens: HashMap<&'r str, TokenId>,
    protocols: HashMap<&'r str, ProtocolId>,
    token_chains: HashSet<(TokenId, ChainId)>,
    protocol_chains: HashSet<(ProtocolId, ChainId)>,
    routes: HashMap<(ChainId, ChainId), Vec<usize>>,
    /// Where the file declares each token it declares.
    pub declared: HashMap<String, Span>,
    /// The exchange pairs of the world checked against, when known.
    pub pairs: Option<&'r super::Pairs>,
}

impl<'r> Names<'r> {
    pub fn new(registry: &'r Registry, declared: HashMap<String, Span>) -> Names<'r> {
        let chains: HashMap<&str, ChainId> = registry
            .chains_with_ids()
            .map(|(id, c)| (c.name.as_str(), id))
            .collect();
        let tokens: HashMap<&str, TokenId> = registry
            .tokens_with_ids()
            .map(|(id, t)| (t.symbol.as_str(), id))
            .collect();
        let protocols: HashMap<&str, ProtocolId> = registry
            .protocols_with_ids()
            .map(|(id, p)| (p.name.as_str(), id))
            .collect();
        let mut token_chains = HashSet::new();
        for (id, t) in registry.tokens_with_ids() {
            for c in &t.chains {
                if let Some(&chain) = chains.get(c.as_str()) {
                    token_chains.insert((id, chain));
                }
            }
        }
        let mut protocol_chains = HashSet::new();
        for (id, p) in registry.protocols_with_ids() {
            for c in &p.chains {
                if let Some(&chain) = chains.get(c.as_str()) {
                    protocol_chains.insert((id, chain));
                }
            }
        }
        let mut routes: HashMap<(ChainId, ChainId), Vec<usize>> = HashMap::new();
        for (i, r) in registry.routes.iter().enumerate() {
            if let (Some(&from), Some(&to)) =
                (chains.get(r.from.as_str()), chains.get(r.to.as_str()))
            {
                routes.entry((from, to)).or_default().push(i);
            }
        }
        Names {
            registry,
            chains,
            tokens,
            protocols,
            token_chains,
            protocol_chains,
            routes,
            declared,
            pairs: None,
        }
    }

    pub fn chain(&self, name: &str) -> Option<ChainId> {
        self.chains.get(name).copied()
    }

    pub fn token(&self, symbol: &str) -> Option<TokenId> {
        self.tokens.get(symbol).copied()
    }

    pub fn protocol(&self, name: &str) -> Option<ProtocolId> {
        self.protocols.get(name).copied()
    }

    pub fn chain_name(&self, chain: ChainId) -> &'r str {
        self.registry
            .chain_at(chain)
            .map_or("?", |c| c.name.as_str())
    }

    pub fn token_info(&self, token: TokenId) -> Option<&'r TokenInfo> {
        self.registry.token_at(token)
    }

    pub fn symbol(&self, token: TokenId) -> &'r str {
        self.token_info(token).map_or("?", |t| t.symbol.as_str())
    }

    pub fn decimals(&self, token: TokenId) -> u8 {
        self.token_info(token).map_or(0, |t| t.decimals)
    }

    pub fn protocol_info(&self, protocol: ProtocolId) -> Option<&'r ProtocolInfo> {
        self.registry.protocol_at(protocol)
    }

    pub fn protocol_name(&self, protocol: ProtocolId) -> &'r str {
        self.protocol_info(protocol)
            .map_or("?", |p| p.name.as_str())
    }

    /// The native coin of `chain`, if the registry names one.
    pub fn native(&self, chain: ChainId) -> Option<TokenId> {
        let info = self.registry.chain_at(chain)?;
        self.token(info.native.as_deref()?)
    }

    /// The token that wraps `chain`'s native coin, if the registry names one.
    pub fn wrapped_native(&self, chain: ChainId) -> Option<TokenId> {
        let info = self.registry.chain_at(chain)?;
        self.token(info.wrapped_native.as_deref()?)
    }

    pub fn token_on_chain(&self, token: TokenId, chain: ChainId) -> bool {
        self.token_chains.contains(&(token, chain))
    }

    pub fn protocol_on_chain(&self, protocol: ProtocolId, chain: ChainId) -> bool {
        self.protocol_chains.contains(&(protocol, chain))
    }

    /// Every route from `from` to `to`.
    pub fn routes(&self, from: ChainId, to: ChainId) -> impl Iterator<Item = &'r RouteInfo> + '_ {
        self.routes
            .get(&(from, to))
            .into_iter()
            .flatten()
            .filter_map(|&i| self.registry.routes.get(i))
    }

    /// The route an unpinned bridge takes at `-O0`:
    /// `Registry::most_trusted_route`.
    pub fn most_trusted_route(&self, from: ChainId, to: ChainId) -> Option<&'r RouteInfo> {
        self.registry
            .most_trusted_route(self.chain_name(from), self.chain_name(to))
    }

    /// The route an unpinned bridge takes at `-O`, judged on its own, with
    /// the bundle's `min_security` as `floor`: `Registry::cheapest_route`.
    pub fn cheapest_route(
        &self,
        from: ChainId,
        to: ChainId,
        floor: Option<u8>,
    ) -> Option<&'r RouteInfo> {
        self.registry
            .cheapest_route(self.chain_name(from), self.chain_name(to), floor)
    }

    pub fn route(&self, from: ChainId, to: ChainId, kind: BridgeKind) -> Option<&'r RouteInfo> {
        self.routes(from, to).find(|r| r.kind == kind)
    }

    pub fn chain_names(&self) -> impl Iterator<Item = &'r str> {
        self.registry.chains.iter().map(|c| c.name.as_str())
    }

    pub fn token_symbols(&self) -> impl Iterator<Item = &'r str> {
        self.registry.tokens.iter().map(|t| t.symbol.as_str())
    }

    pub fn protocol_names(&self) -> impl Iterator<Item = &'r str> {
        self.registry.protocols.iter().map(|p| p.name.as_str())
    }
}

pub use crate::diagnostic::suggest::{edit_distance, suggest};

/// "a, b and c", each in backticks.
pub fn list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| format!("`{i}`")).collect();
    match items.as_slice() {
        [] => "none".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// An "unknown name" error with a suggestion or, failing one, the list of
/// names that exist.
pub fn unknown<'a>(
    code: Code,
    what: &str,
    name: &str,
    span: Span,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Diagnostic {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let diagnostic = Diagnostic::error(
        code,
        format!("unknown {what} `{name}`"),
        Label::new(span, format!("no {what} of this name")),
    );
    match suggest(name, candidates.iter().copied()) {
        Some(close) => diagnostic
            .with_hint(format!("did you mean `{close}`?"))
            // Another name is another asset, protocol or chain: offered,
            // never applied unasked.
            .with_fix(span, close, Applicability::MaybeIncorrect),
        None if candidates.is_empty() => diagnostic,
        None => diagnostic.with_hint(format!("the known {what}s are {}", list(candidates))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("polygon", "polygon"), 0);
        assert_eq!(edit_distance("polygn", "polygon"), 1);
        assert_eq!(edit_distance("aaev", "aave"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggestions_stay_close() {
        let chains = ["ethereum", "polygon", "arbitrum"];
        assert_eq!(suggest("polgon", chains), Some("polygon"));
        assert_eq!(suggest("arbtirum", chains), Some("arbitrum"));
        assert_eq!(suggest("solana", chains), None);
        assert_eq!(suggest("zk", ["htlb", "zk", "threshold"]), None);
        assert_eq!(suggest("zx", ["htlb", "zk", "threshold"]), Some("zk"));
    }

    #[test]
    fn lists_read_as_prose() {
        assert_eq!(list(["a"]), "`a`");
        assert_eq!(list(["a", "b", "c"]), "`a`, `b` and `c`");
        assert_eq!(list(Vec::<&str>::new()), "none");
    }
}
