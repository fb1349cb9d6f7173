//! `[oracle]`: the price of each token, what positions and money are
//! valued with (see `mod.rs`).

use super::{get, in_file_order, Index, Parser, Table};
use crate::world::file::join;
use crate::world::World;
use mesh_core::health::{MAX_PRICE_USD, PRICE_DECIMALS};

impl Parser<'_> {
    /// `[oracle]`: `TOKEN = PRICE`, the price of one whole token in US
    /// dollars, with at most 8 decimals (Aave V3's base currency), positive.
    pub(super) fn oracle(&mut self, root: &Table<'_>, index: &Index, world: &mut World) {
        let Some(section) = get(root, "oracle") else {
            return;
        };
        let Some(table) = self.table(section, "oracle") else {
            return;
        };
        for (key, value) in in_file_order(table) {
            let symbol = key.get_ref().to_string();
            let path = join("oracle", &symbol);
            if self.quiet.contains(&symbol) {
                continue;
            }
            if !index.tokens.contains_key(&symbol) {
                let _: Option<()> =
                    self.fail(key.span(), &path, format!("unknown token `{symbol}`"));
                continue;
            }
            let fraction = value
                .get_ref()
                .as_str()
                .and_then(|t| t.split_once('.'))
                .map_or(0, |(_, f)| f.chars().filter(char::is_ascii_digit).count());
            if fraction > usize::from(PRICE_DECIMALS) {
                let _: Option<()> = self.fail(
                    value.span(),
                    &path,
                    format!("a price has at most {PRICE_DECIMALS} decimals (Aave V3's base currency, USD with 8)"),
                );
                continue;
            }
            let Some(price) = self.amount(value, &path, PRICE_DECIMALS) else {
                continue;
            };
            let most = MAX_PRICE_USD * 10u128.pow(u32::from(PRICE_DECIMALS));
            if price == 0 {
                let _: Option<()> = self.fail(value.span(), &path, "a price must be positive");
            } else if price > most {
                let _: Option<()> = self.fail(
                    value.span(),
                    &path,
                    format!("a price may be at most {MAX_PRICE_USD} US dollars"),
                );
            } else {
                world.oracle.insert(symbol, price);
            }
        }
    }
}
