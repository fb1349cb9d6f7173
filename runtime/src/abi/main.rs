//! The `main` of a standalone executable (`meshc build`): its command line
//! (`--world`, `--json`, `--commit`, `--lock-timeout`, `--quote`), the source's token
//! declarations, running the generated body, committing, and the report.

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use super::ffi::str_arg;
use super::handle::MeshSession;
use crate::session::Session;
use crate::world::{CommitError, RunWorld, World, DEFAULT_LOCK_WAIT};

/// The body of a bundle, as generated code defines it: runs the bundle's
/// calls on the session, returns a status.
pub type MeshBundleBody = extern "C" fn(*mut MeshSession) -> u32;

/// A token declared in the bundle's source file (`token SYMBOL decimals N
/// [at ADDRESS]`), as a standalone executable passes it to
/// [`mesh_main_tokens`]: UTF-8 texts by pointer and length (`address_len`
/// 0 for none).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MeshToken {
    pub symbol: *const u8,
    pub symbol_len: usize,
    pub decimals: u32,
    pub address: *const u8,
    pub address_len: usize,
}

/// Adds the declared tokens to `world`'s registry, as `meshc run` does
/// before it runs a bundle, and returns each declaration the registry
/// refuses (other decimals, or another address, than a token it knows):
/// the bundle's amounts were compiled for the declared token, so it must
/// not run on another one.
///
/// # Safety
/// `tokens` points at `count` entries whose texts are readable.
pub(super) unsafe fn declare_tokens(
    world: &mut World,
    tokens: *const MeshToken,
    count: usize,
) -> Vec<mesh_core::registry::RegistryError> {
    let mut refused = Vec::new();
    if tokens.is_null() || count == 0 {
        return refused;
    }
    // SAFETY: the caller promises `count` entries at `tokens`.
    let table = unsafe { std::slice::from_raw_parts(tokens, count) };
    for token in table {
        // SAFETY: each entry's texts are readable for their lengths.
        let symbol = unsafe { str_arg(token.symbol, token.symbol_len) };
        // SAFETY: as above.
        let address = unsafe { str_arg(token.address, token.address_len) };
        if let Some(symbol) = symbol.filter(|s| !s.is_empty()) {
            let address = address.filter(|a| !a.is_empty());
            if let Err(e) =
                world
                    .registry
                    .declare_token(&symbol, token.decimals, address.as_deref())
            {
                refused.push(e);
            }
        }
    }
    refused
}

/// The `main` of a standalone executable: parses `[--world PATH] [--json]
/// [--commit] [--lock-timeout SECONDS] [--quote TOKEN]`, starts the session
/// (valuing the result net of gas in the quote token), runs `body`,
/// finishes, and with `--commit` writes a committed world back to the world
/// file (holding its lock from before the run to after the write, as
/// `meshc run --commit` does), then prints the report. Returns the exit
/// code: 0 committed, 1 reverted, 2 usage or I/O error. The same as [`mesh_main_tokens`] with no
/// declared tokens.
///
/// # Safety
/// `argv` holds `argc` C strings; `name_ptr` points at `name_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn mesh_main(
    argc: i32,
    argv: *const *const c_char,
    name_ptr: *const u8,
    name_len: usize,
    body: MeshBundleBody,
) -> i32 {
    // SAFETY: forwarded from the caller; no token table.
    unsafe { mesh_main_tokens(argc, argv, name_ptr, name_len, body, std::ptr::null(), 0) }
}

/// [`mesh_main`] for a bundle whose source declares tokens: the
/// `token_count` entries at `tokens` are added to the world's registry
/// (the loaded world file's, or the default world's) before the session
/// starts, exactly as `meshc run` does.
///
/// # Safety
/// As [`mesh_main`]; `tokens` points at `token_count` [`MeshToken`]s (or
/// `token_count` is 0).
#[no_mangle]
pub unsafe extern "C" fn mesh_main_tokens(
    argc: i32,
    argv: *const *const c_char,
    name_ptr: *const u8,
    name_len: usize,
    body: MeshBundleBody,
    tokens: *const MeshToken,
    token_count: usize,
) -> i32 {
    let run = AssertUnwindSafe(|| {
        let mut args = Vec::new();
        for i in 1..argc.max(0) as usize {
            // SAFETY: the caller passes the process's argv.
            let arg = unsafe { *argv.add(i) };
            if arg.is_null() {
                break;
            }
            // SAFETY: each argv entry is a NUL-terminated string.
            args.push(
                unsafe { CStr::from_ptr(arg) }
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        // SAFETY: forwarded from the caller.
        let name = unsafe { str_arg(name_ptr, name_len) }.unwrap_or_else(|| "bundle".to_string());
        let usage =
            format!("usage: {name} [--world PATH] [--json] [--commit] [--lock-timeout SECONDS] [--quote TOKEN]");
        let (mut world_path, mut json, mut commit) = (None, false, false);
        let mut quote: Option<String> = None;
        let mut wait = DEFAULT_LOCK_WAIT;
        let mut it = args.into_iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--world" => match it.next() {
                    Some(p) => world_path = Some(p),
                    None => {
                        eprintln!("error: --world needs a path\n{usage}");
                        return 2;
                    }
                },
                "--quote" => match it.next() {
                    Some(t) => quote = Some(t),
                    None => {
                        eprintln!("error: --quote needs a token\n{usage}");
                        return 2;
                    }
                },
                "--json" => json = true,
                "--commit" => commit = true,
                "--lock-timeout" => {
                    match it.next().as_deref().and_then(seconds) {
                        Some(d) => wait = d,
                        None => {
                            eprintln!("error: --lock-timeout needs a number of seconds (0 to 86400)\n{usage}");
                            return 2;
                        }
                    }
                }
                "--help" | "-h" => {
                    println!("{usage}");
                    return 0;
                }
                other => {
                    eprintln!("error: unknown argument `{other}`\n{usage}");
                    return 2;
                }
            }
        }
        if commit && world_path.is_none() {
            eprintln!("error: --commit needs --world PATH (the file to write back)");
            return 2;
        }
        // With --commit the world file is locked from here to the end.
        let (target, mut world) =
            match RunWorld::open(world_path.as_deref().map(Path::new), commit, wait) {
                Ok(opened) => opened,
                Err(CommitError::World(errors)) => {
                    for line in World::error_lines(&errors) {
                        eprintln!("{line}");
                    }
                    return 2;
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    return 2;
                }
            };
        for notice in target.notices() {
            eprintln!("warning: {notice}");
        }
        // SAFETY: forwarded from the caller.
        let refused = unsafe { declare_tokens(&mut world, tokens, token_count) };
        if !refused.is_empty() {
            for e in &refused {
                eprintln!("error: {e}: the bundle was built with that `token` declaration, and the world it runs on disagrees");
            }
            eprintln!("bundle {name}: nothing was run");
            return 1;
        }
        let mut session = Session::new(world, &name);
        if let Some(token) = &quote {
            if let Err(e) = session.quote_in(token) {
                eprintln!("error: --quote: {e}");
                return 2;
            }
        }
        let s = Box::into_raw(MeshSession::new(session));
        let _ = catch_unwind(AssertUnwindSafe(|| body(s)));
        // SAFETY: `s` came from `Box::into_raw` above and is not used after.
        let (mut report, session, _) = unsafe { Box::from_raw(s) }.into_parts();
        let mut code = if report.committed() { 0 } else { 1 };
        // The world is written before the report says "committed".
        if let Err(e) = target.finish(&mut report, session.world()) {
            eprintln!("error: {e}");
            code = 2;
        }
        if json {
            println!("{}", report.to_json());
        } else {
            print!("{}", report.render_human());
        }
        code
    });
    catch_unwind(run).unwrap_or(2)
}

/// A number of seconds, as `--lock-timeout` takes it (at most a day).
pub(super) fn seconds(text: &str) -> Option<std::time::Duration> {
    let s: f64 = text.parse().ok()?;
    (s.is_finite() && (0.0..=86_400.0).contains(&s)).then(|| std::time::Duration::from_secs_f64(s))
}
