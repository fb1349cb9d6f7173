//! Linking standalone executables (`meshc build`): the object file that
//! `codegen::object` emits, the runtime's static library, and the native
//! libraries it needs, linked by the system C compiler.
//!
//! The runtime library is embedded in the compiler by its build script
//! (see `build.rs`): the static library linked into one relocatable object
//! that holds only what the ABI reaches (or the archive itself where that
//! cannot be made). At link time it is written once to a content-addressed
//! cache file, `$XDG_CACHE_HOME/meshc/libmesh_runtime-HASH.o` (or
//! `~/.cache/meshc/`, or the temporary directory), by a write to a unique
//! temporary file and a rename, so that parallel builds never see half a
//! library. `--runtime PATH` or `MESHC_RUNTIME` choose another library.
//!
//! Every build works in its own temporary directory, and the executable is
//! linked to a unique temporary path beside the output and renamed into
//! place: parallel builds never collide, and a failed or interrupted link
//! never leaves half an executable at the output path.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/runtime_lib.rs"));
}

/// The environment variable that overrides the embedded runtime library.
pub const RUNTIME_ENV: &str = "MESHC_RUNTIME";

/// The runtime library as embedded in the compiler (an object or an archive).
pub fn embedded_runtime() -> &'static [u8] {
    embedded::RUNTIME_LIB
}

/// The linker flags of the native libraries the runtime library needs.
pub fn native_libs() -> &'static [&'static str] {
    embedded::NATIVE_LIBS
}

/// Why a build could not produce its output.
#[derive(Debug)]
pub enum LinkError {
    /// No C compiler could be started.
    NoCompiler { compiler: String, reason: String },
    /// The C compiler ran and failed.
    Failed { command: String, output: String },
    /// A file could not be read or written.
    Io(String),
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::NoCompiler { compiler, reason } => write!(
                f,
                "meshc build needs a C compiler to link: install `cc` (gcc or clang) or set CC \
                 (`{compiler}` could not be run: {reason})"
            ),
            LinkError::Failed { command, output } => {
                write!(f, "linking failed: `{command}`")?;
                if !output.trim().is_empty() {
                    write!(f, "\n{}", output.trim_end())?;
                }
                Ok(())
            }
            LinkError::Io(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for LinkError {}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> LinkError {
    LinkError::Io(format!("cannot {what} {}: {e}", path.display()))
}

/// The runtime library to link: `explicit` (`--runtime PATH`) if given,
/// else `$MESHC_RUNTIME` if set, else the embedded library's cache file.
pub fn runtime_library(explicit: Option<&Path>) -> Result<PathBuf, LinkError> {
    let chosen = explicit.map(Path::to_path_buf).or_else(|| {
        std::env::var_os(RUNTIME_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    match chosen {
        Some(path) => {
            if path.is_file() {
                Ok(path)
            } else {
                Err(LinkError::Io(format!(
                    "the runtime library {} does not exist or is not a file",
                    path.display()
                )))
            }
        }
        None => cached_runtime(),
    }
}

/// The directories the runtime library may be cached in, best first.
fn cache_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(xdg) = std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from) {
        if xdg.is_absolute() {
            dirs.push(xdg.join("meshc"));
        }
    }
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
        if home.is_absolute() {
            dirs.push(home.join(".cache").join("meshc"));
        }
    }
    dirs.push(std::env::temp_dir().join("meshc-cache"));
    dirs
}

/// The file name of the embedded runtime library in the cache.
pub fn cache_file_name() -> String {
    format!(
        "libmesh_runtime-{}.{}",
        embedded::RUNTIME_HASH,
        embedded::RUNTIME_EXTENSION
    )
}

/// The embedded runtime library's cache file, written first if it is not
/// there yet (or not whole).
pub fn cached_runtime() -> Result<PathBuf, LinkError> {
    let bytes = embedded_runtime();
    let name = cache_file_name();
    let mut last_error = None;
    for dir in cache_dirs() {
        let path = dir.join(&name);
        if std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64) {
            return Ok(path);
        }
        match std::fs::create_dir_all(&dir)
            .map_err(|e| io_error("create the cache directory", &dir, e))
            .and_then(|()| write_atomically(&path, bytes, false))
        {
            Ok(()) => return Ok(path),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| LinkError::Io("no cache directory is usable".to_string())))
}

static UNIQUE: AtomicU64 = AtomicU64::new(0);

/// A path beside `path` that no other build (thread or process) uses:
/// `.NAME.meshc-PID-N-NANOS.tmp`.
fn temporary_beside(path: &Path) -> PathBuf {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let name = path
        .file_name()
        .map(OsStr::to_string_lossy)
        .unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let temp = format!(
        ".{name}.meshc-{}-{}-{nanos}.tmp",
        std::process::id(),
        UNIQUE.fetch_add(1, Ordering::Relaxed)
    );
    match dir {
        Some(dir) => dir.join(temp),
        None => PathBuf::from(temp),
    }
}

/// Writes `bytes` to `path` through a unique temporary file beside it and a
/// rename: a reader sees the old file or the new one, never part of one.
pub fn write_atomically(path: &Path, bytes: &[u8], executable: bool) -> Result<(), LinkError> {
    let temp = temporary_beside(path);
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| io_error("create", &temp, e))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| io_error("write", &temp, e))?;
        drop(file);
        if executable {
            make_executable(&temp)?;
        }
        std::fs::rename(&temp, path).map_err(|e| io_error("write", path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), LinkError> {
    use std::os::unix::fs::PermissionsExt;
    let mut permissions = std::fs::metadata(path)
        .map_err(|e| io_error("read", path, e))?
        .permissions();
    permissions.set_mode(permissions.mode() | 0o111);
    std::fs::set_permissions(path, permissions).map_err(|e| io_error("set permissions of", path, e))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> Result<(), LinkError> {
    Ok(())
}

/// The C compiler to link with: `$CC` (which may carry arguments, such as
/// `ccache gcc`) or `cc`.
pub fn c_compiler() -> (OsString, Vec<OsString>) {
    if let Some(cc) = std::env::var("CC").ok().filter(|v| !v.trim().is_empty()) {
        let mut words = cc.split_whitespace().map(OsString::from);
        if let Some(program) = words.next() {
            return (program, words.collect());
        }
    }
    (OsString::from("cc"), Vec::new())
}

/// Links the object file `object` with the runtime library `runtime` into
/// the executable `out` (written to a temporary path beside it, then
/// renamed into place).
pub fn link(object: &Path, runtime: &Path, out: &Path) -> Result<(), LinkError> {
    let (program, prefix) = c_compiler();
    let temp = temporary_beside(out);
    let mut command = Command::new(&program);
    command
        .args(&prefix)
        .arg("-pie")
        .arg("-o")
        .arg(&temp)
        .arg(object)
        .arg(runtime)
        .args(native_libs());
    let described = describe(&command);
    let output = match command.output() {
        Ok(output) => output,
        Err(e) => {
            return Err(LinkError::NoCompiler {
                compiler: program.to_string_lossy().into_owned(),
                reason: e.to_string(),
            })
        }
    };
    if !output.status.success() {
        let _ = std::fs::remove_file(&temp);
        let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stdout));
        return Err(LinkError::Failed {
            command: described,
            output: text,
        });
    }
    std::fs::rename(&temp, out).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        io_error("write", out, e)
    })
}

fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Links `object_bytes` (an object file defining `main`) into the
/// executable `out`, with the runtime library [`runtime_library`] chooses
/// for `runtime`. The object is written to a fresh temporary directory of
/// this build alone.
pub fn build_executable(
    object_bytes: &[u8],
    out: &Path,
    runtime: Option<&Path>,
) -> Result<(), LinkError> {
    let library = runtime_library(runtime)?;
    let work = tempfile::Builder::new()
        .prefix("meshc-build-")
        .tempdir()
        .map_err(|e| io_error("create a temporary directory in", &std::env::temp_dir(), e))?;
    let object = work.path().join("bundle.o");
    std::fs::write(&object, object_bytes).map_err(|e| io_error("write", &object, e))?;
    link(&object, &library, out)
}
