//! The bytecode the engine deploys, embedded at build time from the
//! committed files under `runtime/evm/artifacts/` (derived from the pinned
//! npm packages and the pinned solc by `runtime/evm/artifacts.js`; see
//! docs/evm.md). Nothing is read from disk or the network at run time.
//!
//! Libraries are linked here: a placeholder `__$…$__` in the creation code
//! is replaced by the deployed library's address at each offset the
//! artifact's `linkReferences` gives.

use std::collections::BTreeMap;

use revm::primitives::Address;
use serde_json::Value;

use crate::abi::parse_hex;
use crate::error::EvmError;

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        /// Every embedded artifact file: (file name, contents).
        pub const FILES: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../artifacts/", $name))),)*
        ];
    };
}

embedded!(
    "ACLManager.json",
    "AToken.json",
    "AaveOracle.json",
    "BorrowLogic.json",
    "BridgeLogic.json",
    "ConfiguratorLogic.json",
    "DefaultReserveInterestRateStrategy.json",
    "EModeLogic.json",
    "FlashLoanLogic.json",
    "LiquidationLogic.json",
    "MeshBridge.json",
    "MeshExecutor.json",
    "MintableERC20.json",
    "MockAggregator.json",
    "Pool.json",
    "PoolAddressesProvider.json",
    "PoolConfigurator.json",
    "PoolLogic.json",
    "SHA256SUMS",
    "StableDebtToken.json",
    "SupplyLogic.json",
    "UniswapV2Factory.json",
    "UniswapV2Router02.json",
    "VariableDebtToken.json",
    "WETH9.json",
    "ZeroReserveInterestRateStrategy.json",
);

/// One contract's creation code and the libraries it must be linked with.
#[derive(Clone, Debug)]
pub struct Artifact {
    pub name: String,
    /// Where it comes from: `package@version path`, or the project's source.
    pub origin: String,
    /// Creation code, with zeroes where library addresses go.
    code: Vec<u8>,
    /// Library name → byte offsets of its address in `code`.
    links: BTreeMap<String, Vec<usize>>,
}

impl Artifact {
    /// The embedded artifact `name` (the file `name.json`).
    pub fn load(name: &str) -> Result<Artifact, EvmError> {
        let file = format!("{name}.json");
        let text = FILES
            .iter()
            .find(|(f, _)| *f == file)
            .map(|(_, t)| *t)
            .ok_or_else(|| EvmError::Artifact(format!("{name}: no such artifact")))?;
        let bad = |what: &str| EvmError::Artifact(format!("{file}: {what}"));
        let json: Value = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
        let origin = match (json["package"].as_str(), json["version"].as_str()) {
            (Some(p), Some(v)) => format!("{p}@{v} {}", json["path"].as_str().unwrap_or("")),
            _ => json["path"].as_str().unwrap_or(name).to_string(),
        };
        let text = json["bytecode"]
            .as_str()
            .ok_or_else(|| bad("no bytecode"))?;
        // Placeholders (`__$hash$__` or `__Name___`) are 40 characters of
        // non-hex: zero them here and record where they are.
        let mut links = BTreeMap::new();
        if let Some(sources) = json["linkReferences"].as_object() {
            for libraries in sources.values() {
                for (library, refs) in libraries.as_object().into_iter().flatten() {
                    let mut offsets = Vec::new();
                    for r in refs.as_array().into_iter().flatten() {
                        let start = r["start"].as_u64().ok_or_else(|| bad("bad link offset"))?;
                        let length = r["length"].as_u64().ok_or_else(|| bad("bad link length"))?;
                        if length != 20 {
                            return Err(bad("a link reference is not 20 bytes"));
                        }
                        offsets.push(usize::try_from(start).map_err(|_| bad("bad link offset"))?);
                    }
                    links.insert(library.clone(), offsets);
                }
            }
        }
        let body = text.strip_prefix("0x").unwrap_or(text);
        let mut hexed: Vec<u8> = body.as_bytes().to_vec();
        for offsets in links.values() {
            for &start in offsets {
                let range = start * 2..start * 2 + 40;
                let slot = hexed
                    .get_mut(range)
                    .ok_or_else(|| bad("a link reference lies outside the code"))?;
                slot.fill(b'0');
            }
        }
        let hexed = String::from_utf8(hexed).map_err(|_| bad("bytecode is not text"))?;
        let code = parse_hex(&hexed).ok_or_else(|| bad("bytecode is not hex"))?;
        Ok(Artifact {
            name: name.to_string(),
            origin,
            code,
            links,
        })
    }

    /// The libraries this artifact must be linked with.
    pub fn libraries(&self) -> impl Iterator<Item = &str> {
        self.links.keys().map(String::as_str)
    }

    /// The creation code with every library's address filled in.
    pub fn linked(&self, libraries: &BTreeMap<String, Address>) -> Result<Vec<u8>, EvmError> {
        let mut code = self.code.clone();
        for (library, offsets) in &self.links {
            let address = libraries.get(library).ok_or_else(|| {
                EvmError::Artifact(format!("{}: library {library} is not deployed", self.name))
            })?;
            for &start in offsets {
                code[start..start + 20].copy_from_slice(address.as_slice());
            }
        }
        Ok(code)
    }

    /// The creation code of an artifact with no libraries.
    pub fn code(&self) -> Result<Vec<u8>, EvmError> {
        self.linked(&BTreeMap::new())
    }
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;

    /// Every embedded file is the one `SHA256SUMS` names, and every file it
    /// names is embedded: what the engine deploys is what was checked.
    #[test]
    fn embedded_files_match_their_checksums() {
        let sums = FILES
            .iter()
            .find(|(f, _)| *f == "SHA256SUMS")
            .map(|(_, t)| *t)
            .unwrap_or_default();
        let mut listed = 0;
        for line in sums.lines() {
            let (sum, name) = line.split_once("  ").unwrap_or(("", line));
            let text = FILES
                .iter()
                .find(|(f, _)| *f == name)
                .map(|(_, t)| *t)
                .unwrap_or_else(|| panic!("{name} is listed but not embedded"));
            let digest = Sha256::digest(text.as_bytes());
            assert_eq!(crate::abi::hex(&digest), sum, "{name}");
            listed += 1;
        }
        assert_eq!(listed + 1, FILES.len(), "every embedded file is listed");
    }

    #[test]
    fn the_pool_links_the_seven_logic_libraries() {
        let pool = Artifact::load("Pool").expect("Pool loads");
        let libraries: Vec<&str> = pool.libraries().collect();
        assert_eq!(
            libraries,
            [
                "BorrowLogic",
                "BridgeLogic",
                "EModeLogic",
                "FlashLoanLogic",
                "LiquidationLogic",
                "PoolLogic",
                "SupplyLogic"
            ]
        );
        assert!(pool.code().is_err(), "unlinked code is refused");
        assert!(pool.origin.starts_with("@aave/core-v3@1.19.3 "));
    }
}
