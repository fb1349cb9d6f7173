//! The words of the language that the registry does not describe: keywords
//! and invariant names, each with the short text that hover and completion
//! show (docs/language.md has the full story).

/// Every keyword with its form and what it does.
pub const KEYWORDS: &[(&str, &str)] = &[
    ("bundle", "`bundle NAME on CHAIN { ... }` — an atomic program: all of it happens, or none of it does. `CHAIN` is its home chain."),
    ("on", "`on CHAIN { ... }` runs a block on another chain; also `bundle NAME on CHAIN`, `swap ... on EXCHANGE` and `min_balance: AMOUNT on CHAIN`."),
    ("let", "`let NAME = ACTION` binds what the action produces: what was borrowed, withdrawn, received from a swap, delivered by a bridge, or wrapped or unwrapped. Visible from the next statement to the end of the bundle."),
    ("borrow", "`borrow AMOUNT from LENDER` adds `AMOUNT` to the holdings and opens an obligation: `AMOUNT` must be repaid on the same chain before the bundle ends, and a flash loan's premium with the repay that closes it. `borrow AMOUNT from LENDER as debt` leaves the loan open as the user's debt, backed by collateral there."),
    ("repay", "`repay AMOUNT to LENDER` pays back principal `AMOUNT` from the holdings, and the repay that closes a flash loan its premium; where the bundle holds no loan of that token from the lender, it pays the user's debt there instead, exactly `AMOUNT` (stated first with `assume debt` or opened `as debt`)."),
    ("as", "`borrow AMOUNT from LENDER as debt` leaves the loan open as the user's debt at the lender."),
    ("debt", "`borrow AMOUNT from LENDER as debt` opens the user's debt at a lender, which outlives the bundle and needs collateral there (Aave V3's loan-to-value and health factor are checked); `assume debt AMOUNT at LENDER` states that the user owes at least `AMOUNT` when the statement runs."),
    ("assume", "`assume debt AMOUNT at LENDER` or `assume collateral AMOUNT at LENDER` states what the user's position at the lender holds, at least, when the statement runs; the run checks it there and reverts on its line if the world disagrees."),
    ("collateral", "`assume collateral AMOUNT at LENDER` states that the user has at least `AMOUNT` deposited at the lender when the statement runs."),
    ("swap", "`swap AMOUNT for MIN TOKEN on EXCHANGE` sells `AMOUNT` and reverts unless at least `MIN` of `TOKEN` comes out. `swap AMOUNT for TOKEN on EXCHANGE` has no bound and guarantees nothing. `... on EXCHANGE via WETH, DAI` passes through those tokens, hop by hop on the exchange's pairs, exactly as Uniswap V2's `getAmountsOut`."),
    ("deposit", "`deposit AMOUNT into LENDER` moves `AMOUNT` from the holdings into the user's deposit at the lender."),
    ("withdraw", "`withdraw AMOUNT from LENDER` moves `AMOUNT` from the user's deposit at the lender into the holdings."),
    ("bridge", "`bridge AMOUNT to CHAIN (via KIND)?` moves funds to another chain; what arrives is `AMOUNT` less the route's fee, after the route's delay. Without `via` the compiler chooses the route."),
    ("wrap", "`wrap AMOUNT` turns `AMOUNT` of the chain's native coin (ETH) into the token that wraps it (WETH), one for one: protocols and bridges take only tokens. Its value is the wrapped amount."),
    ("unwrap", "`unwrap AMOUNT` turns `AMOUNT` of the wrapped native token (WETH) back into the chain's native coin (ETH), one for one. Its value is the unwrapped amount."),
    ("from", "`borrow AMOUNT from LENDER`, `withdraw AMOUNT from LENDER`."),
    ("to", "`repay AMOUNT to LENDER`, `bridge AMOUNT to CHAIN`."),
    ("into", "`deposit AMOUNT into LENDER`."),
    ("for", "`swap AMOUNT for MIN TOKEN on EXCHANGE`: what the swap buys, and at least how much."),
    ("via", "`bridge AMOUNT to CHAIN via KIND` pins the bridge's route: `htlb`, `zk` or `threshold`. `swap AMOUNT for MIN TOKEN on EXCHANGE via TOKEN, ...` swaps through those tokens, one hop per pair."),
    ("parallel", "`parallel { ... } and { ... }` runs independent branches side by side; no two branches may touch the same holding or obligation. The bundle takes as long as the slowest branch."),
    ("and", "Separates the branches of `parallel { ... } and { ... }`."),
    ("require", "`require AMOUNT CMP AMOUNT` asserts at run time (`>=`, `<=`, `>`, `<`, `==`, `!=`); if it fails, the whole bundle reverts."),
    ("input", "`input AMOUNT` draws `AMOUNT` from the user's wallet into the holdings on this chain."),
    ("all", "`all TOKEN` is the bundle's whole holding of `TOKEN` on this chain at that point."),
    ("token", "`token SYMBOL decimals N (at ADDRESS)?` declares a token for the whole file; it exists on every chain."),
    ("decimals", "`token SYMBOL decimals N`: base units per whole token are `10^N`."),
    ("at", "`token SYMBOL decimals N at ADDRESS`: the token's contract address; `assume debt AMOUNT at LENDER`: the lender of the position."),
    ("constraints", "`constraints { ... }` after a bundle's block: `deadline`, `max_gas`, `min_balance`, `min_security`, `min_profit`, `min_health`, `invariant`."),
    ("deadline", "`deadline: N` — the bundle must finish within `N` blocks, end to end, counted on every chain alike. `deadline: 90s` — within 90 seconds: each transaction takes a block of its own chain and each bridge its delay in blocks of the chain it leaves, at each chain's block time."),
    ("max_gas", "`max_gas: N` — the bundle may use at most `N` gas over all chains."),
    ("min_balance", "`min_balance: AMOUNT (on CHAIN)?` — the bundle must end holding at least `AMOUNT` on that chain (the home chain by default)."),
    ("min_security", "`min_security: KIND` — the least trusted bridge route the bundle accepts: `htlb` (trustless, security 3), `zk` (trusts a proof system, 2) or `threshold` (trusts a signer set, 1). Without it, `-O` never picks a route less secure than the one `-O0` takes."),
    ("min_profit", "`min_profit: AMOUNT` — the bundle must gain at least `AMOUNT` net of gas: every wallet balance and position it changed, less the gas every chain charged at its gas price in its native coin, all valued in `AMOUNT`'s token through the world's oracle; checked when the bundle ends."),
    ("min_health", "`min_health: N` — every lender position whose collateral or debt the bundle changes must end with a health factor of at least `N` (Aave V3's formula: collateral × liquidation threshold / debt, with the world's prices), or owe nothing."),
    ("invariant", "`invariant: NAME` — a property every step must keep, such as `constant_product`."),
];

/// The invariants a `constraints` block may name.
pub const INVARIANTS: &[(&str, &str)] = &[(
    "constant_product",
    "Every swap leaves its pool's `reserve_in * reserve_out` no smaller.",
)];

pub fn keyword_doc(word: &str) -> Option<&'static str> {
    KEYWORDS
        .iter()
        .find(|(k, _)| *k == word)
        .map(|(_, doc)| *doc)
}

pub fn invariant_doc(word: &str) -> Option<&'static str> {
    INVARIANTS
        .iter()
        .find(|(k, _)| *k == word)
        .map(|(_, doc)| *doc)
}

/// The bridge kinds' nature, in the words of the mathematical model.
pub fn bridge_kind_doc(kind: mesh_core::BridgeKind) -> &'static str {
    match kind {
        mesh_core::BridgeKind::Htlb => "hash time-locked: slow, trustless",
        mesh_core::BridgeKind::Zk => "zk-SNARK proof: fast, dear",
        mesh_core::BridgeKind::Threshold => "threshold signatures: trusts a signer set",
    }
}

/// The word of `text` that `offset` is in or just after, with its start.
pub fn word_at(text: &str, offset: usize) -> Option<(usize, &str)> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let offset = offset.min(text.len());
    let before = text.get(..offset)?;
    let after = text.get(offset..)?;
    let start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_word(c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = offset + after.find(|c: char| !is_word(c)).unwrap_or(after.len());
    let word = text.get(start..end)?;
    (!word.is_empty()).then_some((start, word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_at_an_offset_is_found_inside_and_just_after_it() {
        let text = "borrow 100 WETH from aave";
        assert_eq!(word_at(text, 0), Some((0, "borrow")));
        assert_eq!(word_at(text, 3), Some((0, "borrow")));
        assert_eq!(word_at(text, 6), Some((0, "borrow")));
        assert_eq!(word_at(text, 12), Some((11, "WETH")));
        assert_eq!(word_at(text, text.len()), Some((21, "aave")));
        assert_eq!(word_at("a  b", 2), None);
        assert_eq!(word_at("é", 1), None);
    }

    #[test]
    fn the_docs_cover_exactly_the_grammars_keywords() {
        let documented: Vec<&str> = KEYWORDS.iter().map(|(k, _)| *k).collect();
        assert_eq!(documented, mesh_grammar::KEYWORDS);
    }

    #[test]
    fn every_keyword_has_one_doc() {
        let mut seen = std::collections::HashSet::new();
        for (keyword, doc) in KEYWORDS {
            assert!(seen.insert(keyword), "{keyword} twice");
            assert!(doc.contains(keyword), "the doc of {keyword} must show it");
        }
    }
}
