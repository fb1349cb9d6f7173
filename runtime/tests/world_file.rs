//! World files: a small valid one, and a table of malformed ones, each with
//! its message (file, line, column, key) as a snapshot.

use mesh_runtime::World;

const SMALL: &str = r#"format = 1

[chains]
polygon = { chain_id = 137 }
arbitrum = { chain_id = 42161, native = "ETH", wrapped_native = "WETH", gas_price_gwei = "0.01" }

[tokens]
USDC = { decimals = 6 }
WETH = { decimals = 18, chains = ["polygon", "arbitrum"] }
ETH = { decimals = 18, chains = ["arbitrum"], address = "0x6982508145454Ce325dDbE47a25d4ec3d2311933" }

[protocols]
aave = { kind = "lender", premium_bps = 5, flash_loans = true }
uniswap_v2 = { kind = "exchange", chains = ["polygon"], fee_bps = 30 }

[bridges]
routes = [
    { from = "polygon", to = "arbitrum", kind = "htlb", delay_blocks = 5, gas = 36563, fee_bps = 5, security = 3 },
]

[oracle]
USDC = "1"
WETH = "2500"

[lenders.polygon.aave]
liquidity = { USDC = "1000000", WETH = "500" }
deposits = { USDC = 2500, WETH = "1" }
debts = { USDC = "1200" }
risk = { USDC = { ltv_bps = 7700, liquidation_threshold_bps = 8000 }, WETH = { ltv_bps = 8000, liquidation_threshold_bps = 8300 } }

[exchanges.polygon.uniswap_v2]
"WETH/USDC" = ["100", "250000.5"]

[wallet.polygon]
USDC = "1000"
WETH = "0.5"
"#;

#[test]
fn a_small_world_parses_and_round_trips() {
    let world = World::parse(SMALL, "small.toml").expect("parses");
    assert_eq!(world.registry.chains.len(), 2);
    let pair = world
        .exchange("polygon", "uniswap_v2")
        .unwrap()
        .reserves("WETH", "USDC")
        .unwrap();
    assert_eq!(pair, (100 * 10u128.pow(18), 250_000_500_000));
    assert_eq!(
        world.lender("polygon", "aave").unwrap().deposits["USDC"],
        2_500_000_000
    );
    let aave = world.lender("polygon", "aave").unwrap();
    assert_eq!(aave.debts["USDC"], 1_200_000_000);
    assert_eq!(aave.risk["WETH"].liquidation_threshold_bps, 8_300);
    assert_eq!(world.price("WETH"), Some(2_500 * 100_000_000));
    assert_eq!(
        world.registry.token("USDC").unwrap().chains,
        vec!["arbitrum", "polygon"]
    );
    // 0.01 gwei of ETH is 10^7 wei a unit of gas; polygon has no price.
    assert_eq!(world.registry.gas_price("arbitrum"), Some(10_000_000));
    assert_eq!(world.registry.gas_price("polygon"), None);
    assert_eq!(world.price("ETH"), None);
    let text = world.to_toml_string();
    let again = World::parse(&text, "again.toml").expect("parses");
    assert_eq!(again, world);
    assert_eq!(again.to_toml_string(), text);
    insta::assert_snapshot!(text);
}

/// Replaces the first occurrence of `from` in the small world with `to`.
fn mutate(from: &str, to: &str) -> String {
    assert!(SMALL.contains(from), "the small world contains {from:?}");
    SMALL.replacen(from, to, 1)
}

#[test]
fn malformed_worlds_name_file_line_and_key() {
    let cases: Vec<(&str, String)> = vec![
        ("syntax error", mutate("[chains]", "[chains")),
        ("unknown top-level key", mutate("format = 1", "format = 1\ncolour = \"blue\"")),
        ("unsupported format", mutate("format = 1", "format = 2")),
        ("missing chains", SMALL.replace("[chains]\npolygon = { chain_id = 137 }\narbitrum = { chain_id = 42161, native = \"ETH\", wrapped_native = \"WETH\", gas_price_gwei = \"0.01\" }\n", "")),
        ("missing chain_id", mutate("arbitrum = { chain_id = 42161, native = \"ETH\", wrapped_native = \"WETH\", gas_price_gwei = \"0.01\" }", "arbitrum = {}")),
        ("negative chain id", mutate("chain_id = 42161", "chain_id = -1")),
        ("chain name not lower case", mutate("arbitrum = { chain_id", "Arbitrum = { chain_id")),
        ("unknown key in a token", mutate("USDC = { decimals = 6 }", "USDC = { decimals = 6, decimal = 6 }")),
        ("too many decimals", mutate("USDC = { decimals = 6 }", "USDC = { decimals = 31 }")),
        ("token on an unknown chain", mutate("chains = [\"polygon\", \"arbitrum\"]", "chains = [\"polygon\", \"arbtrum\"]")),
        ("bad address", mutate("0x6982508145454Ce325dDbE47a25d4ec3d2311933", "0x1234")),
        ("unknown protocol kind", mutate("kind = \"lender\"", "kind = \"bank\"")),
        ("premium on an exchange", mutate("fee_bps = 30 }", "fee_bps = 30, premium_bps = 5 }")),
        ("fee of 100%", mutate("fee_bps = 30 }", "fee_bps = 10000 }")),
        ("route to an unknown chain", mutate("to = \"arbitrum\"", "to = \"solana\"")),
        ("route to itself", mutate("to = \"arbitrum\"", "to = \"polygon\"")),
        ("unknown bridge kind", mutate("kind = \"htlb\"", "kind = \"ferry\"")),
        (
            "duplicate route",
            mutate(
                "security = 3 },\n",
                "security = 3 },\n    { from = \"polygon\", to = \"arbitrum\", kind = \"htlb\", delay_blocks = 1, gas = 1, fee_bps = 1, security = 3 },\n",
            ),
        ),
        ("route missing its gas", mutate("gas = 36563, ", "")),
        ("lender on an unknown chain", mutate("[lenders.polygon.aave]", "[lenders.solana.aave]")),
        ("an exchange used as a lender", mutate("[lenders.polygon.aave]", "[lenders.polygon.uniswap_v2]")),
        ("unknown key in a lender", mutate("deposits = {", "deposit = {")),
        ("unknown token in liquidity", mutate("liquidity = { USDC", "liquidity = { USDT")),
        ("amount with too many decimals", mutate("WETH = \"500\"", "WETH = \"0.0000000000000000001\"")),
        ("amount as a float", mutate("WETH = \"500\"", "WETH = 500.5")),
        ("negative liquidity", mutate("WETH = \"500\"", "WETH = \"-500\"")),
        ("amount too large", mutate("WETH = \"500\"", "WETH = \"999999999999999999999999\"")),
        ("exchange not on that chain", mutate("[exchanges.polygon.uniswap_v2]", "[exchanges.arbitrum.uniswap_v2]")),
        ("zero reserve", mutate("[\"100\", \"250000.5\"]", "[\"100\", \"0\"]")),
        ("negative reserve", mutate("[\"100\", \"250000.5\"]", "[\"-100\", \"250000.5\"]")),
        ("one reserve", mutate("[\"100\", \"250000.5\"]", "[\"100\"]")),
        ("pair of an unknown token", mutate("\"WETH/USDC\"", "\"WETH/DOGE\"")),
        ("pair of a token not on the chain", mutate("\"WETH/USDC\"", "\"ETH/USDC\"")),
        ("pair of one token", mutate("\"WETH/USDC\"", "\"WETH/WETH\"")),
        ("pair without a slash", mutate("\"WETH/USDC\"", "\"WETH-USDC\"")),
        (
            "duplicate pair, reversed",
            mutate("\"WETH/USDC\" = [\"100\", \"250000.5\"]", "\"WETH/USDC\" = [\"100\", \"250000.5\"]\n\"USDC/WETH\" = [\"250000\", \"100\"]"),
        ),
        (
            "duplicate pair, same key",
            mutate("\"WETH/USDC\" = [\"100\", \"250000.5\"]", "\"WETH/USDC\" = [\"100\", \"250000.5\"]\n\"WETH/USDC\" = [\"1\", \"2\"]"),
        ),
        ("wallet on an unknown chain", mutate("[wallet.polygon]", "[wallet.optimism]")),
        ("wallet of a token not on the chain", mutate("[wallet.polygon]\nUSDC", "[wallet.polygon]\nETH")),
        ("wallet amount not a string", mutate("WETH = \"0.5\"", "WETH = true")),
        ("duplicate key in a token", mutate("USDC = { decimals = 6 }", "USDC = { decimals = 6, decimals = 6 }")),
        ("duplicate table", mutate("[wallet.polygon]\nUSDC = \"1000\"", "[wallet.polygon]\nUSDC = \"1000\"\n[wallet.polygon]")),
        ("duplicate chain id", mutate("arbitrum = { chain_id = 42161, native = \"ETH\", wrapped_native = \"WETH\", gas_price_gwei = \"0.01\" }", "arbitrum = { chain_id = 137 }")),
        (
            "duplicate token address",
            mutate("[tokens]\n", "[tokens]\nPEPE = { decimals = 18, address = \"0x6982508145454ce325ddbe47a25d4ec3d2311933\" }\n"),
        ),
        ("hexadecimal amount", mutate("USDC = \"1000\"", "USDC = 0xff")),
        ("integer amount beyond 64 bits", mutate("deposits = { USDC = 2500,", "deposits = { USDC = 99999999999999999999,")),
        ("pair of three tokens", mutate("\"WETH/USDC\"", "\"WETH/USDC/DAI\"")),
        ("bridge delay beyond the bound", mutate("delay_blocks = 5", "delay_blocks = 1000001")),
        ("bridge delay beyond 64 bits", mutate("delay_blocks = 5", "delay_blocks = 18446744073709551615")),
        ("bridge gas beyond the bound", mutate("gas = 36563", "gas = 30000001")),
        ("native coin not a token", mutate("native = \"ETH\"", "native = \"GAS\"")),
        ("native coin not on the chain", mutate("polygon = { chain_id = 137 }", "polygon = { chain_id = 137, native = \"ETH\" }")),
        ("native coin not a symbol", mutate("native = \"ETH\"", "native = \"eth\"")),
        ("wrapped token without a native coin", mutate("native = \"ETH\", ", "")),
        ("wrapped token is the coin", mutate("wrapped_native = \"WETH\"", "wrapped_native = \"ETH\"")),
        ("wrapped token of other decimals", mutate("wrapped_native = \"WETH\"", "wrapped_native = \"USDC\"")),
        ("gas price without a native coin", mutate("polygon = { chain_id = 137 }", "polygon = { chain_id = 137, gas_price_gwei = \"30\" }")),
        ("gas price finer than a wei", mutate("gas_price_gwei = \"0.01\"", "gas_price_gwei = \"0.0000000001\"")),
        ("gas price as a float", mutate("gas_price_gwei = \"0.01\"", "gas_price_gwei = 0.01")),
        ("gas price beyond the bound", mutate("gas_price_gwei = \"0.01\"", "gas_price_gwei = \"1000000001\"")),
        (
            "gas price of a coin of few decimals",
            mutate("wrapped_native = \"WETH\", ", "").replacen("\nETH = { decimals = 18", "\nETH = { decimals = 6", 1),
        ),
        ("price of an unknown token", mutate("[oracle]\n", "[oracle]\nDOGE = \"1\"\n")),
        ("price as a float", mutate("WETH = \"2500\"", "WETH = 2500.5")),
        ("price with more than 8 decimals", mutate("WETH = \"2500\"", "WETH = \"0.000000001\"")),
        ("loan-to-value above the liquidation threshold", mutate("ltv_bps = 8000, liquidation_threshold_bps = 8300", "ltv_bps = 9000, liquidation_threshold_bps = 8300")),
        ("risk parameters missing a field", mutate("WETH = { ltv_bps = 8000, liquidation_threshold_bps = 8300 }", "WETH = { ltv_bps = 8000 }")),
        ("a debt without a price", mutate("[oracle]\nUSDC = \"1\"\n", "[oracle]\n")),
        ("a position that could be liquidated", mutate("debts = { USDC = \"1200\" }", "debts = { USDC = \"99999\" }")),
        ("price of nothing", mutate("WETH = \"2500\"", "WETH = \"0\"")),
        ("price beyond the bound", mutate("WETH = \"2500\"", "WETH = \"1000000000000001\"")),
    ];
    let mut out = String::new();
    for (name, text) in &cases {
        let message = match World::parse(text, "world.toml") {
            Ok(_) => panic!("case `{name}` parsed"),
            Err(e) => {
                assert_eq!(e.file, "world.toml");
                assert!(e.line > 0, "case `{name}` has a line");
                e.to_string()
            }
        };
        out.push_str(&format!("{name}\n    {message}\n"));
    }
    insta::assert_snapshot!(out);
}

/// A file's errors are all reported, in file order, each once: an entry
/// with an error still declares its name, so its uses are not reported
/// again as unknown.
#[test]
fn every_error_of_a_file_is_reported_once() {
    let text = SMALL
        .replacen(
            "arbitrum = { chain_id = 42161, native = \"ETH\", wrapped_native = \"WETH\", gas_price_gwei = \"0.01\" }",
            "arbitrum = { chain_id = -1 }",
            1,
        )
        .replacen("USDC = { decimals = 6 }", "USDC = { decimals = 99 }", 1)
        .replacen("kind = \"htlb\"", "kind = \"ferry\"", 1)
        .replacen("WETH = \"500\"", "WETH = 500.5", 1)
        .replacen("[wallet.polygon]", "[wallet.solana]", 1);
    let errors = World::parse_all(&text, "world.toml").expect_err("five errors");
    let out: Vec<String> = errors.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(format!("{text}\n---\n{}", out.join("\n")));
    assert_eq!(errors.len(), 5, "{out:#?}");
    assert_eq!(
        World::parse(&text, "world.toml").map_err(|e| e.to_string()),
        Err(out[0].clone()),
        "parse gives the first"
    );
}

/// What is not a world file is refused without being read: a device that
/// never ends, a FIFO (no writer would ever come), a folder, a file over
/// the size bound, an empty path, bytes that are not UTF-8.
#[test]
fn a_path_that_is_not_a_world_file_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let message = |path: &std::path::Path| World::load(path).unwrap_err().to_string();

    let zero = message(std::path::Path::new("/dev/zero"));
    assert_eq!(
        zero,
        "/dev/zero: is a character device; a world file is a regular file"
    );

    let fifo = dir.path().join("fifo.toml");
    let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    assert!(message(&fifo)
        .ends_with("fifo.toml: is a FIFO (named pipe); a world file is a regular file"));

    assert!(message(dir.path()).ends_with(": is a folder; a world file is a regular file"));

    let big = dir.path().join("big.toml");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(mesh_runtime::world::MAX_FILE_BYTES + 1)
        .unwrap();
    assert!(
        message(&big)
            .ends_with("big.toml: is 67108865 bytes or more; a world file is at most 64 MiB"),
        "{}",
        message(&big)
    );

    assert_eq!(
        message(std::path::Path::new("")),
        "no world file: the path given is empty"
    );

    let latin1 = dir.path().join("latin1.toml");
    std::fs::write(&latin1, b"format = 1\n# caf\xe9\n").unwrap();
    assert!(
        message(&latin1)
            .ends_with("latin1.toml:2:6: not UTF-8 text: a world file is TOML, in UTF-8"),
        "{}",
        message(&latin1)
    );
}

#[test]
fn loading_a_missing_file_names_it() {
    let e = World::load(std::path::Path::new("/nonexistent/world.toml")).unwrap_err();
    assert_eq!(e.file, "/nonexistent/world.toml");
    assert!(e
        .to_string()
        .starts_with("/nonexistent/world.toml: cannot read the world file"));
}

/// docs/world.md's complete example is this file's small world, so the
/// documented example always parses.
#[test]
fn the_documented_example_is_the_small_world() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/world.md"))
        .expect("docs/world.md");
    let start = doc.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let end = start + doc[start..].find("```").expect("its end");
    assert_eq!(&doc[start..end], SMALL);
}
