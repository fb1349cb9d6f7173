//! The C ABI, called directly the way generated code calls it.

use mesh_runtime::abi::*;
use mesh_runtime::{LoanKind, Sender, World};

const WALLET: SenderCode = SenderCode(0);
const EXECUTOR: SenderCode = SenderCode(1);
const FLASH: LoanCode = LoanCode(1);
const PROTOCOL: SpenderCode = SpenderCode(0);

#[test]
fn the_codes_are_the_kinds_they_name() {
    assert_eq!(WALLET.decode(), Some(Sender::Wallet));
    assert_eq!(EXECUTOR.decode(), Some(Sender::Executor));
    assert_eq!(FLASH.decode(), Some(LoanKind::Flash));
    assert_eq!(PROTOCOL.decode(), Some(SpenderKind::Protocol));
}

fn loc(line: u64, column: u64) -> u64 {
    (line << 32) | column
}

unsafe fn name(s: *mut MeshSession, text: &str) -> u32 {
    let mut index = u32::MAX;
    assert_eq!(
        unsafe { mesh_name(s, text.as_ptr(), text.len(), &mut index) },
        MESH_OK
    );
    index
}

fn halves(v: u128) -> (u64, u64) {
    (v as u64, (v >> 64) as u64)
}

const E6: u128 = 1_000_000;
const E18: u128 = 1_000_000_000_000_000_000;

/// `simple_arbitrage` as the executor lowering emits it: one transaction,
/// a flash loan, approvals granted once.
#[test]
fn a_small_bundle_commits_through_the_abi() {
    let bundle = "simple_arbitrage";
    unsafe {
        let s = mesh_bundle_start(bundle.as_ptr(), bundle.len());
        assert!(!s.is_null());
        let polygon = name(s, "polygon");
        let usdc = name(s, "USDC");
        let weth = name(s, "WETH");
        let aave = name(s, "aave");
        let uni = name(s, "uniswap_v2");
        let sushi = name(s, "sushiswap");
        assert_eq!(
            name(s, "USDC"),
            usdc,
            "a name registered twice keeps its index"
        );

        let (lo, hi) = halves(10_000 * E6);
        let mut out = MeshAmount::default();
        assert_eq!(mesh_tx_begin(s, polygon, EXECUTOR, loc(1, 1)), MESH_OK);
        assert_eq!(
            mesh_borrow(s, aave, usdc, lo, hi, FLASH, loc(2, 5), &mut out),
            MESH_OK
        );
        assert_eq!(out.value(), 10_000 * E6);
        assert_eq!(mesh_approve(s, usdc, PROTOCOL, uni, loc(3, 5)), MESH_OK);
        let (mlo, mhi) = halves(4 * E18);
        assert_eq!(
            mesh_swap(s, uni, usdc, lo, hi, weth, mlo, mhi, loc(3, 5), &mut out),
            MESH_OK
        );
        assert!(out.value() >= 4 * E18);
        assert_eq!(mesh_approve(s, weth, PROTOCOL, sushi, loc(4, 5)), MESH_OK);
        let (wlo, whi) = halves(4 * E18);
        let (blo, bhi) = halves(10_100 * E6);
        assert_eq!(
            mesh_swap(
                s,
                sushi,
                weth,
                wlo,
                whi,
                usdc,
                blo,
                bhi,
                loc(4, 5),
                &mut out
            ),
            MESH_OK
        );
        assert_eq!(mesh_approve(s, usdc, PROTOCOL, aave, loc(5, 5)), MESH_OK);
        assert_eq!(mesh_repay(s, aave, usdc, lo, hi, loc(5, 5)), MESH_OK);
        let mut held = MeshAmount::default();
        assert_eq!(
            mesh_holding(s, polygon, usdc, loc(6, 5), &mut held),
            MESH_OK
        );
        assert!(held.value() >= 95 * E6);
        assert_eq!(mesh_tx_end(s, loc(6, 1)), MESH_OK);
        assert_eq!(mesh_constraint_deadline(s, 5, loc(7, 5)), MESH_OK);
        let (mlo, mhi) = halves(95 * E6);
        assert_eq!(
            mesh_constraint_min_balance(s, polygon, usdc, mlo, mhi, loc(8, 5)),
            MESH_OK
        );
        assert_eq!(mesh_bundle_finish(s, loc(9, 1)), MESH_OK);
        assert_eq!(
            mesh_bundle_finish(s, loc(9, 1)),
            MESH_OK,
            "finishing twice is harmless"
        );

        let ms = Box::from_raw(s);
        let report = ms.report().expect("finished").clone();
        assert!(report.committed());
        assert_eq!(report.transactions.len(), 1);
        assert_eq!(report.result["polygon"]["USDC"].base, held.value());
        let world = ms.into_session().into_world();
        assert_eq!(
            world.wallet_balance("polygon", "USDC"),
            25_000 * E6 + held.value()
        );
    }
}

/// A revert names the line and column of the call that failed; the run
/// goes on (a failed call changes nothing), and the world is left as it
/// was.
#[test]
fn a_revert_carries_its_line_and_column() {
    let bundle = "too_greedy";
    unsafe {
        let s = mesh_bundle_start(bundle.as_ptr(), bundle.len());
        let polygon = name(s, "polygon");
        let usdc = name(s, "USDC");
        let weth = name(s, "WETH");
        let uni = name(s, "uniswap_v2");
        let (lo, hi) = halves(1_000 * E6);
        assert_eq!(mesh_input(s, polygon, usdc, lo, hi, loc(2, 5)), MESH_OK);
        assert_eq!(mesh_tx_begin(s, polygon, WALLET, loc(3, 5)), MESH_OK);
        assert_eq!(mesh_approve(s, usdc, PROTOCOL, uni, loc(3, 5)), MESH_OK);
        assert_eq!(mesh_tx_end(s, loc(3, 5)), MESH_OK);
        assert_eq!(mesh_tx_begin(s, polygon, WALLET, loc(7, 5)), MESH_OK);
        let (mlo, mhi) = halves(E18);
        let mut out = MeshAmount::default();
        assert_eq!(
            mesh_swap(s, uni, usdc, lo, hi, weth, mlo, mhi, loc(7, 5), &mut out),
            MESH_REVERTED
        );
        assert_eq!(out, MeshAmount::default(), "a failed call delivers nothing");
        assert_eq!(mesh_tx_end(s, loc(8, 1)), MESH_OK, "the run goes on");
        assert_eq!(mesh_bundle_finish(s, loc(9, 1)), MESH_REVERTED);
        let ms = Box::from_raw(s);
        let report = ms.report().expect("finished").clone();
        let revert = report.revert.clone().expect("reverted");
        assert_eq!((revert.loc.line, revert.loc.column), (7, 5));
        assert!(revert.reason.starts_with("slippage:"), "{}", revert.reason);
        assert!(report.to_json().contains("\"line\":7,\"column\":5"));
        assert_eq!(ms.into_session().into_world(), World::default_world());
    }
}

#[test]
fn unknown_names_and_overflow_revert_with_a_reason() {
    let bundle = "b";
    unsafe {
        let s = mesh_bundle_start(bundle.as_ptr(), bundle.len());
        let polygon = name(s, "polygon");
        let doge = name(s, "DOGE");
        assert_eq!(mesh_input(s, polygon, doge, 1, 0, loc(3, 9)), MESH_REVERTED);
        mesh_bundle_finish(s, 0);
        let r = (*s)
            .report()
            .and_then(|r| r.revert.clone())
            .expect("reverted");
        assert_eq!(r.reason, "unknown token `DOGE`");
        assert_eq!((r.loc.line, r.loc.column), (3, 9));
        mesh_bundle_free(s);

        let s = mesh_bundle_start(bundle.as_ptr(), bundle.len());
        assert_eq!(
            mesh_tx_begin(s, 99, WALLET, loc(1, 1)),
            MESH_REVERTED,
            "an unregistered index"
        );
        mesh_bundle_free(s);

        let s = mesh_bundle_start(bundle.as_ptr(), bundle.len());
        let mut out = MeshAmount::default();
        assert_eq!(mesh_amount_add(s, 1, 0, 2, 0, loc(2, 2), &mut out), MESH_OK);
        assert_eq!(out.value(), 3);
        assert_eq!(
            mesh_amount_mul(s, u64::MAX, u64::MAX, 2, 0, loc(4, 13), &mut out),
            MESH_REVERTED
        );
        mesh_bundle_finish(s, 0);
        let r = (*s)
            .report()
            .and_then(|r| r.revert.clone())
            .expect("reverted");
        assert_eq!(r.reason, "arithmetic overflow in *");
        assert_eq!((r.loc.line, r.loc.column), (4, 13));
        mesh_bundle_free(s);

        assert_eq!(mesh_tx_end(std::ptr::null_mut(), 0), MESH_INVALID);
    }
}

/// A string table handed from run to run keeps its indices, but what a
/// name means is resolved again in each run's own world: a token one world
/// lacks reverts there, and resolves in the next world that has it.
#[test]
fn names_are_resolved_in_each_runs_own_world() {
    let mut lacking = World::default_world();
    lacking.registry.tokens.retain(|t| t.symbol != "DAI");
    let worlds = [World::default_world(), lacking, World::default_world()];
    let mut table = MeshNames::new();
    let mut reasons = Vec::new();
    for world in worlds {
        let session = mesh_runtime::Session::new(world, "b");
        let s = Box::into_raw(MeshSession::with_names(session, table));
        unsafe {
            let polygon = name(s, "polygon");
            let dai = name(s, "DAI");
            let (lo, hi) = halves(E18);
            mesh_input(s, polygon, dai, lo, hi, loc(2, 5));
            mesh_bundle_finish(s, 0);
        }
        // SAFETY: `s` came from `Box::into_raw` and is not used again.
        let (report, _, names) = unsafe { Box::from_raw(s) }.into_parts();
        reasons.push(report.revert.map(|r| r.reason));
        table = names;
    }
    assert_eq!(
        reasons,
        [None, Some("unknown token `DAI`".to_string()), None],
        "each run judges the name in its own world"
    );
}

#[test]
fn the_exports_are_the_declared_entry_points() {
    use mesh_runtime::entry::Entry;
    let table = exports();
    assert!(table.iter().all(|s| !s.address.is_null()));
    let declared: Vec<Entry> = Entry::ALL.to_vec();
    let exported: Vec<Entry> = table.iter().map(|s| s.entry).collect();
    assert_eq!(
        exported, declared,
        "one export per declared entry, in order"
    );
    for s in table {
        assert_eq!(s.name, s.entry.symbol());
    }
}

/// docs/runtime.md lists every entry point exactly as it is declared: its
/// C declaration and what it does.
#[test]
fn the_documented_entry_points_are_the_declared_ones() {
    use mesh_runtime::entry::Entry;
    let doc_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/runtime.md");
    let doc = std::fs::read_to_string(doc_path).expect("docs/runtime.md exists");
    let rows: Vec<&str> = doc.lines().filter(|l| l.starts_with("| `mesh_")).collect();
    let expected: Vec<String> = Entry::ALL
        .iter()
        .map(|e| {
            format!(
                "| `{}` | `{}` | {} |",
                e.symbol(),
                e.c_declaration(),
                e.doc()
            )
        })
        .collect();
    assert_eq!(
        rows,
        expected,
        "docs/runtime.md's table of entry points differs from mesh_core::for_each_entry!; it should read:\n{}",
        expected.join("\n")
    );
}

extern "C" fn deposit_one_usdc(s: *mut MeshSession) -> u32 {
    unsafe {
        let polygon = name(s, "polygon");
        let usdc = name(s, "USDC");
        let aave = name(s, "aave");
        let (lo, hi) = halves(E6);
        let steps = [
            mesh_input(s, polygon, usdc, lo, hi, loc(2, 5)),
            mesh_tx_begin(s, polygon, EXECUTOR, loc(3, 5)),
            mesh_approve(s, usdc, PROTOCOL, aave, loc(3, 5)),
            mesh_deposit(s, aave, usdc, lo, hi, loc(3, 5)),
            mesh_tx_end(s, loc(3, 5)),
        ];
        steps
            .into_iter()
            .find(|&st| st != MESH_OK)
            .unwrap_or(MESH_OK)
    }
}

extern "C" fn always_reverts(s: *mut MeshSession) -> u32 {
    let reason = "overflow in generated code";
    unsafe { mesh_revert(s, reason.as_ptr(), reason.len(), loc(4, 2)) }
}

/// `mesh_main`, as a standalone executable's `main` calls it: arguments,
/// the world file, `--commit`, and the exit codes.
#[test]
fn mesh_main_runs_a_standalone_bundle() {
    use std::ffi::CString;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("world.toml");
    World::default_world().save_atomic(&path).unwrap();
    let run = |args: &[&str], body: MeshBundleBody| {
        let owned: Vec<CString> = std::iter::once("bundle")
            .chain(args.iter().copied())
            .map(|a| CString::new(a).unwrap())
            .collect();
        let argv: Vec<*const std::ffi::c_char> = owned.iter().map(|a| a.as_ptr()).collect();
        let name = "deposit_one";
        unsafe {
            mesh_main(
                argv.len() as i32,
                argv.as_ptr(),
                name.as_ptr(),
                name.len(),
                body,
            )
        }
    };
    let p = path.to_str().unwrap();
    assert_eq!(run(&["--json"], deposit_one_usdc), 0);
    assert_eq!(
        World::load(&path).unwrap(),
        World::default_world(),
        "no --commit, no write"
    );
    assert_eq!(run(&["--world", p, "--commit"], deposit_one_usdc), 0);
    let after = World::load(&path).unwrap();
    assert_eq!(
        after.lender("polygon", "aave").unwrap().deposits["USDC"],
        E6
    );
    assert_eq!(run(&["--world", p, "--commit"], always_reverts), 1);
    assert_eq!(
        World::load(&path).unwrap(),
        after,
        "a revert writes nothing"
    );
    assert_eq!(run(&["--frobnicate"], deposit_one_usdc), 2);
    assert_eq!(
        run(&["--commit"], deposit_one_usdc),
        2,
        "--commit needs a world file"
    );
    assert_eq!(
        run(&["--world", "/nonexistent/w.toml"], deposit_one_usdc),
        2
    );
}
