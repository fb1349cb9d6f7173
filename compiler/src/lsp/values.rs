//! The let-bound values of a document and where each is visible, for
//! completion: built once per analysis, then asked in time that depends on
//! the answer's size, not on the document's.
//!
//! A value is visible from the end of its `let` statement to the end of
//! its bundle, inside later `on` blocks too; a value bound in a branch of a
//! `parallel` is visible in the rest of that branch and after the whole
//! `parallel`, never in a sibling branch (docs/language.md, Values).

use crate::check::Checked;
use mesh_grammar::{Block, File, Item, Span, StmtKind};
use std::collections::{BTreeMap, HashMap, HashSet};

/// One `let`.
#[derive(Clone, Debug)]
pub struct Binding {
    pub name: String,
    /// The token of its value, as the checker found it.
    pub token: Option<String>,
    /// Where its `let` statement ends: visible from there on.
    pub visible_from: usize,
    /// The bundle it belongs to.
    pub bundle: Span,
    /// For each `parallel` around it: where that statement ends, and the
    /// branch it is in.
    branches: Vec<(usize, Span)>,
}

impl Binding {
    pub fn visible_at(&self, offset: usize) -> bool {
        self.visible_from <= offset
            && self.bundle.start <= offset
            && offset <= self.bundle.end
            && self
                .branches
                .iter()
                .all(|&(end, branch)| end <= offset || branch.contains(offset))
    }
}

/// Every binding of a document, in the order of the text, and by name.
#[derive(Debug, Default)]
pub struct Values {
    bindings: Vec<Binding>,
    by_name: BTreeMap<String, Vec<usize>>,
}

impl Values {
    pub fn new(file: &File, checked: Option<&Checked>) -> Values {
        let tokens: HashMap<Span, &str> = checked
            .into_iter()
            .flat_map(|c| &c.bundles)
            .flat_map(|b| &b.variables)
            .filter_map(|v| Some((v.span, v.token.as_deref()?)))
            .collect();
        let mut values = Values::default();
        let mut branches = Vec::new();
        for item in &file.items {
            if let Item::Bundle(bundle) = item {
                values.block(&bundle.body, bundle.span, &tokens, &mut branches);
            }
        }
        // `let` statements never nest, so the order of the text is also
        // the order of `visible_from`.
        values.bindings.sort_by_key(|b| b.visible_from);
        for (i, binding) in values.bindings.iter().enumerate() {
            values
                .by_name
                .entry(binding.name.clone())
                .or_default()
                .push(i);
        }
        values
    }

    fn block(
        &mut self,
        block: &Block,
        bundle: Span,
        tokens: &HashMap<Span, &str>,
        branches: &mut Vec<(usize, Span)>,
    ) {
        for stmt in &block.stmts {
            match &stmt.kind {
                StmtKind::Let { name, .. } => self.bindings.push(Binding {
                    name: name.name.clone(),
                    token: tokens.get(&name.span).map(|t| (*t).to_string()),
                    visible_from: stmt.span.end,
                    bundle,
                    branches: branches.clone(),
                }),
                StmtKind::On { block, .. } => self.block(block, bundle, tokens, branches),
                StmtKind::Parallel { branches: inner } => {
                    for branch in inner {
                        branches.push((stmt.span.end, branch.span));
                        self.block(branch, bundle, tokens, branches);
                        branches.pop();
                    }
                }
                StmtKind::Action(_)
                | StmtKind::Input(_)
                | StmtKind::Require { .. }
                | StmtKind::Assume { .. }
                | StmtKind::Error => {}
            }
        }
    }

    /// Up to `limit` values visible at `offset` whose name starts with
    /// `prefix`, the most recently bound first, and whether there were more.
    pub fn visible(&self, offset: usize, prefix: &str, limit: usize) -> (Vec<&Binding>, bool) {
        let mut found: Vec<&Binding> = Vec::new();
        let mut seen = HashSet::new();
        let mut more = false;
        if prefix.is_empty() {
            // Back from the cursor, and only through its own bundle.
            let end = self.bindings.partition_point(|b| b.visible_from <= offset);
            let mut bundle = None;
            for binding in self.bindings[..end].iter().rev() {
                let here = *bundle.get_or_insert(binding.bundle);
                let in_bundle = here.start <= offset && offset <= here.end;
                if binding.bundle != here || !in_bundle {
                    break;
                }
                if !binding.visible_at(offset) || !seen.insert(binding.name.as_str()) {
                    continue;
                }
                if found.len() == limit {
                    more = true;
                    break;
                }
                found.push(binding);
            }
        } else {
            // The names that start with `prefix`, from the index.
            for (name, indices) in self.by_name.range(prefix.to_string()..) {
                if !name.starts_with(prefix) {
                    break;
                }
                let visible = indices
                    .iter()
                    .filter_map(|&i| self.bindings.get(i))
                    .find(|b| b.visible_at(offset));
                if let Some(binding) = visible {
                    if found.len() == limit {
                        more = true;
                        break;
                    }
                    found.push(binding);
                }
            }
            found.sort_by_key(|b| std::cmp::Reverse(b.visible_from));
        }
        (found, more)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str, marker: &str, prefix: &str, limit: usize) -> (Vec<String>, bool) {
        let parsed = mesh_grammar::parse(text);
        let values = Values::new(&parsed.file, None);
        let offset = text.find(marker).unwrap_or(usize::MAX);
        let (found, more) = values.visible(offset, prefix, limit);
        (found.iter().map(|b| b.name.clone()).collect(), more)
    }

    const TEXT: &str = "bundle a on polygon {\n    let early = borrow 1 WETH from aave\n    repay 1 WETH to aave\n}\nbundle b on polygon {\n    let loan = borrow 100 WETH from aave\n    parallel {\n        let left = bridge 50 WETH to arbitrum\n        // in left\n    } and {\n        let right = bridge 50 WETH to base\n        // in right\n    }\n    // after\n    let last = borrow 1 WETH from aave\n}\n";

    #[test]
    fn values_are_visible_after_their_let_in_their_bundle() {
        let all = |marker| names(TEXT, marker, "", 10).0;
        assert_eq!(all("// in left"), ["left", "loan"]);
        assert_eq!(all("// in right"), ["right", "loan"]);
        assert_eq!(all("// after"), ["right", "left", "loan"]);
        assert_eq!(all("    let last"), ["right", "left", "loan"]);
        assert_eq!(all("    repay"), ["early"]);
        assert_eq!(all("bundle b"), Vec::<String>::new());
    }

    #[test]
    fn a_prefix_and_a_limit_bound_the_answer() {
        assert_eq!(
            names(TEXT, "// after", "l", 10),
            (vec!["left".into(), "loan".into()], false)
        );
        assert_eq!(
            names(TEXT, "// after", "", 2),
            (vec!["right".into(), "left".into()], true)
        );
        assert_eq!(names(TEXT, "// in left", "r", 10).0, Vec::<String>::new());
    }
}
