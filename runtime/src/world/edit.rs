//! Writing a committed world back into the user's own file: only the values
//! that changed are replaced, each keeping its place, its comments and its
//! spelling (a pair keeps its key, `"WETH/USDC"` or `"USDC/WETH"`, and its
//! reserves their order; an amount stays a string or an integer, quoted as
//! it was, grouped with `_` if it was). A value the file did not have is
//! added at the end of its table, or in order if the table is in order.
//! Nothing of the registry is written: a commit changes the state only, so
//! a bundle's own `token` declarations never reach the file.
//!
//! A file in canonical form (as `meshc world` prints it) is written in
//! canonical form again, so that it stays canonical.

use std::collections::{BTreeMap, BTreeSet};

use toml_edit::{DocumentMut, InlineTable, Item, Table, TableLike, Value};

use super::write::write;
use super::{Lender, World};
use crate::amount::{format_units, group_digits};
use crate::registry::Registry;

/// Why the new text could not be made (never expected: the caller reports
/// it as an internal error and writes nothing).
pub(super) type EditError = String;

/// The world `after` with the registry of `before`: what a commit writes.
pub(super) fn committed_state(before: &World, after: &World) -> World {
    World {
        registry: before.registry.clone(),
        lenders: after.lenders.clone(),
        exchanges: after.exchanges.clone(),
        wallets: after.wallets.clone(),
        oracle: after.oracle.clone(),
    }
}

/// The text of the world file `text` (which parses to `before`) with the
/// state of `after`.
pub(super) fn update(text: &str, before: &World, after: &World) -> Result<String, EditError> {
    if write(before) == text {
        return Ok(write(&committed_state(before, after)));
    }
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| format!("the file cannot be edited as TOML: {e}"))?;
    let registry = &before.registry;
    let root = doc.as_item_mut();
    wallets(root, before, after, registry)?;
    lenders(root, before, after, registry)?;
    exchanges(root, before, after, registry)?;
    Ok(doc.to_string())
}

fn decimals(registry: &Registry, token: &str) -> Result<u8, EditError> {
    registry
        .token(token)
        .map(|t| t.decimals)
        .ok_or_else(|| format!("token `{token}` is not in the world file"))
}

/// The keys of two maps, each once, in order.
fn keys<'m, V>(
    a: Option<&'m BTreeMap<String, V>>,
    b: Option<&'m BTreeMap<String, V>>,
) -> BTreeSet<&'m str> {
    let mut all = BTreeSet::new();
    for map in [a, b].into_iter().flatten() {
        all.extend(map.keys().map(String::as_str));
    }
    all
}

fn wallets(
    root: &mut Item,
    before: &World,
    after: &World,
    registry: &Registry,
) -> Result<(), EditError> {
    let chains: BTreeSet<&str> = keys(Some(&before.wallets), Some(&after.wallets));
    for chain in chains {
        let (old, new) = (before.wallets.get(chain), after.wallets.get(chain));
        if old == new {
            continue;
        }
        let section = child(root, "wallet", Shape::Implicit)?;
        let table = child(section, chain, Shape::Header)?;
        amounts(table, old, new, registry)?;
    }
    Ok(())
}

fn lenders(
    root: &mut Item,
    before: &World,
    after: &World,
    registry: &Registry,
) -> Result<(), EditError> {
    for chain in keys(Some(&before.lenders), Some(&after.lenders)) {
        let (old, new) = (before.lenders.get(chain), after.lenders.get(chain));
        for protocol in keys(old, new) {
            let old = old.and_then(|l| l.get(protocol));
            let new = new.and_then(|l| l.get(protocol));
            if old == new {
                continue;
            }
            let empty = Lender::default();
            let (old, new) = (old.unwrap_or(&empty), new.unwrap_or(&empty));
            let section = child(root, "lenders", Shape::Implicit)?;
            let by_chain = child(section, chain, Shape::Implicit)?;
            let lender = child(by_chain, protocol, Shape::Header)?;
            for (key, o, n) in [
                ("liquidity", &old.liquidity, &new.liquidity),
                ("deposits", &old.deposits, &new.deposits),
                ("debts", &old.debts, &new.debts),
            ] {
                if o != n {
                    let table = child(lender, key, Shape::Inline)?;
                    amounts(table, Some(o), Some(n), registry)?;
                }
            }
        }
    }
    Ok(())
}

fn exchanges(
    root: &mut Item,
    before: &World,
    after: &World,
    registry: &Registry,
) -> Result<(), EditError> {
    for chain in keys(Some(&before.exchanges), Some(&after.exchanges)) {
        let (old, new) = (before.exchanges.get(chain), after.exchanges.get(chain));
        for protocol in keys(old, new) {
            let old = old.and_then(|e| e.get(protocol));
            let new = new.and_then(|e| e.get(protocol));
            if old == new {
                continue;
            }
            let (Some(old), Some(new)) = (old, new) else {
                return Err(format!(
                    "the exchange {protocol} on {chain} appeared or vanished"
                ));
            };
            let section = child(root, "exchanges", Shape::Implicit)?;
            let by_chain = child(section, chain, Shape::Implicit)?;
            let pairs = child(by_chain, protocol, Shape::Header)?;
            let pairs = pairs
                .as_table_like_mut()
                .ok_or_else(|| format!("{protocol} on {chain} is not a table"))?;
            for ((t0, t1), pair) in &new.pairs {
                if old.pairs.get(&(t0.clone(), t1.clone())) == Some(pair) {
                    continue;
                }
                // The file's key for this pair, in either order.
                let spelled = pairs.iter().map(|(k, _)| k.to_string()).find(|k| {
                    k.split_once('/')
                        .is_some_and(|(a, b)| (a, b) == (t0, t1) || (b, a) == (t0, t1))
                });
                let Some(spelled) = spelled else {
                    return Err(format!(
                        "the pair {t0}/{t1} of {protocol} on {chain} is not in the file"
                    ));
                };
                let (first, second) = if spelled.starts_with(&format!("{t0}/")) {
                    ((t0, pair.reserve0), (t1, pair.reserve1))
                } else {
                    ((t1, pair.reserve1), (t0, pair.reserve0))
                };
                let array = pairs
                    .get_mut(&spelled)
                    .and_then(Item::as_array_mut)
                    .filter(|a| a.len() == 2)
                    .ok_or_else(|| format!("the pair {spelled} is not two reserves"))?;
                for (i, (token, reserve)) in [first, second].into_iter().enumerate() {
                    let d = decimals(registry, token)?;
                    if let Some(slot) = array.get_mut(i) {
                        let value = amount_value(Some(slot), reserve, d)?;
                        *slot = value;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Sets the amounts of `table` that differ between `old` and `new`.
fn amounts(
    table: &mut Item,
    old: Option<&BTreeMap<String, u128>>,
    new: Option<&BTreeMap<String, u128>>,
    registry: &Registry,
) -> Result<(), EditError> {
    let table = table
        .as_table_like_mut()
        .ok_or_else(|| "amounts are not a table".to_string())?;
    let was_sorted = values_sorted(table);
    let mut added = false;
    for token in keys(old, new) {
        let (o, n) = (
            old.and_then(|m| m.get(token)),
            new.and_then(|m| m.get(token)),
        );
        if o == n {
            continue;
        }
        match n {
            None => {
                table.remove(token);
            }
            Some(&amount) => {
                let d = decimals(registry, token)?;
                match table.get_mut(token).and_then(Item::as_value_mut) {
                    Some(slot) => {
                        let value = amount_value(Some(slot), amount, d)?;
                        *slot = value;
                    }
                    None => {
                        table.insert(token, Item::Value(amount_value(None, amount, d)?));
                        added = true;
                    }
                }
            }
        }
    }
    if added && was_sorted {
        table.sort_values();
    }
    Ok(())
}

/// Whether the plain values of a table are in order of their keys.
fn values_sorted(table: &dyn TableLike) -> bool {
    let names: Vec<&str> = table
        .iter()
        .filter(|(_, item)| item.is_value())
        .map(|(k, _)| k)
        .collect();
    names.windows(2).all(|w| w[0] <= w[1])
}

/// How a table the file lacks is added.
#[derive(Clone, Copy)]
enum Shape {
    /// A parent only named in its children's headers (`wallet` of `[wallet.base]`).
    Implicit,
    /// A table with its own `[header]`.
    Header,
    /// An inline table, `{ … }`.
    Inline,
}

/// The table under `key` in `parent`, added at the end of `parent` if the
/// file lacks it: in `shape`, or in the parent's own form when that is an
/// inline table or dotted keys (`wallet.base.USDC = …`).
fn child<'t>(parent: &'t mut Item, key: &str, shape: Shape) -> Result<&'t mut Item, EditError> {
    let inline = parent.is_inline_table();
    let dotted = parent.as_table().is_some_and(Table::is_dotted);
    let table = parent
        .as_table_like_mut()
        .ok_or_else(|| format!("the parent of `{key}` is not a table"))?;
    if table.get(key).is_none() {
        let item = match shape {
            _ if inline => Item::Value(Value::InlineTable(InlineTable::new())),
            _ if dotted => {
                let mut t = Table::new();
                t.set_dotted(true);
                Item::Table(t)
            }
            Shape::Inline => Item::Value(Value::InlineTable(InlineTable::new())),
            Shape::Implicit => {
                let mut t = Table::new();
                t.set_implicit(true);
                Item::Table(t)
            }
            Shape::Header => Item::Table(Table::new()),
        };
        table.insert(key, item);
    }
    match table.get_mut(key) {
        Some(item) if item.is_table_like() => Ok(item),
        _ => Err(format!("`{key}` is not a table")),
    }
}

/// An amount as a TOML value, written like `old` (a string or an integer,
/// quoted as it was, grouped with `_` if it was), keeping `old`'s decor.
fn amount_value(old: Option<&Value>, amount: u128, decimals: u8) -> Result<Value, EditError> {
    let text = format_units(amount, decimals);
    let (was_integer, literal, grouped) = match old {
        Some(Value::Integer(i)) => (true, false, i.display_repr().contains('_')),
        Some(Value::String(s)) => {
            let repr = s.display_repr();
            (false, repr.starts_with('\''), s.value().contains('_'))
        }
        _ => (false, false, false),
    };
    let text = if grouped {
        match text.split_once('.') {
            Some((whole, fraction)) => format!("{}.{fraction}", group_digits(whole, '_')),
            None => group_digits(&text, '_'),
        }
    } else {
        text
    };
    let whole_number = !text.contains('.')
        && text
            .chars()
            .filter(|c| *c != '_')
            .collect::<String>()
            .parse::<i64>()
            .is_ok();
    let literal_text = if was_integer && whole_number {
        text
    } else if literal {
        format!("'{text}'")
    } else {
        format!("\"{text}\"")
    };
    let mut value: Value = literal_text
        .parse()
        .map_err(|e| format!("the amount {literal_text} is not a TOML value: {e}"))?;
    if let Some(old) = old {
        *value.decor_mut() = old.decor().clone();
    }
    Ok(value)
}
