//! What the world file's reader and writers share: the format version, the
//! error type, the rules for names, key paths as messages print them, the
//! bounds on what a file may hold, and reading a file from disk (a regular
//! file of bounded size, UTF-8). The format is documented in docs/world.md.

use std::fmt;
use std::fmt::Write as _;
use std::fs;
use std::io::Read as _;
use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
use std::path::Path;

/// The version of the world file format that this runtime reads and writes.
pub const FORMAT: i64 = 1;

/// The largest world file read, in bytes (64 MiB): a bigger file, or a
/// stream that never ends (`/dev/zero`), is refused rather than read.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// The longest delay a bridge route may declare, in blocks (about 139
/// days of 12-second blocks). The runtime counts blocks in 64 bits and
/// checks every addition; this bound keeps any realistic bundle far from
/// the limit, and the checker's block estimates with it.
pub const MAX_DELAY_BLOCKS: u64 = 1_000_000;

/// The most gas a bridge route may charge for one transfer: a block's gas
/// limit on Ethereum mainnet (30,000,000). Gas is summed in 64 bits.
pub const MAX_ROUTE_GAS: u64 = 30_000_000;

/// What an empty path (`--world ''`) gets: there is no file to name.
const EMPTY_PATH: &str = "no world file: the path given is empty";

/// A world file that cannot be read: where, which key, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorldError {
    pub file: String,
    /// 1-based; 0 when the error has no position (an I/O error).
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// The dotted path of the key at fault (`exchanges.polygon.uniswap_v2."WETH/USDC"`),
    /// empty when the error concerns no key (the file as a whole).
    pub key: String,
    pub message: String,
}

impl WorldError {
    /// An error about the file as a whole (no position, no key).
    pub(crate) fn whole(path: &Path, message: impl Into<String>) -> WorldError {
        WorldError {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            key: String::new(),
            message: message.into(),
        }
    }

    pub(crate) fn io(path: &Path, e: &std::io::Error) -> WorldError {
        WorldError::whole(path, format!("cannot read the world file: {e}"))
    }
}

impl fmt::Display for WorldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.file.is_empty() {
            // No file to name: the message says what is missing.
            return f.write_str(&self.message);
        }
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for WorldError {}

/// The language's keywords (docs/syntax.md): a world may not name a chain,
/// protocol or invariant with one, since no source could then refer to it.
/// The runtime does not depend on the grammar crate; a compiler test checks
/// that this list equals `mesh_grammar::KEYWORDS`.
pub const RESERVED_WORDS: &[&str] = &[
    "bundle",
    "on",
    "let",
    "borrow",
    "repay",
    "as",
    "debt",
    "assume",
    "collateral",
    "swap",
    "deposit",
    "withdraw",
    "bridge",
    "wrap",
    "unwrap",
    "from",
    "to",
    "into",
    "for",
    "via",
    "parallel",
    "and",
    "require",
    "input",
    "all",
    "token",
    "decimals",
    "at",
    "constraints",
    "deadline",
    "max_gas",
    "min_balance",
    "min_security",
    "min_profit",
    "min_health",
    "invariant",
];

/// A chain or protocol name: lower case letters, digits and `_`, not a keyword.
pub(super) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !RESERVED_WORDS.contains(&s)
}

/// A token symbol: an upper case letter, then upper case letters and digits.
pub(super) fn is_symbol(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// `0x` and 40 hex digits.
pub(super) fn is_address(s: &str) -> bool {
    s.len() == 42 && s.starts_with("0x") && s[2..].chars().all(|c| c.is_ascii_hexdigit())
}

/// A key as it appears in a dotted path: bare when TOML allows it.
pub(super) fn key_text(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        key.to_string()
    } else {
        quote(key)
    }
}

/// A TOML basic string.
pub(super) fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `path.key`, the key quoted when TOML needs it.
pub(super) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key_text(key)
    } else {
        format!("{path}.{}", key_text(key))
    }
}

/// 1-based line and column (in characters) of a byte offset of `text`.
pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..offset].chars().count() + 1)
}

/// What kind of file system object a file type is, for a message.
fn kind_of(file_type: fs::FileType) -> &'static str {
    if file_type.is_dir() {
        "a folder"
    } else if file_type.is_fifo() {
        "a FIFO (named pipe)"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// A world file as read from disk: its text and what it was on disk.
pub(crate) struct FileRead {
    pub text: String,
    pub meta: fs::Metadata,
}

/// Reads the world file at `path`: it must be a regular file (a folder, a
/// FIFO or a device is refused without reading it) of at most
/// [`MAX_FILE_BYTES`], in UTF-8. Opening does not block on a FIFO.
pub(crate) fn read(path: &Path) -> Result<FileRead, WorldError> {
    if path.as_os_str().is_empty() {
        return Err(WorldError::whole(path, EMPTY_PATH));
    }
    let mut file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| WorldError::io(path, &e))?;
    let meta = file.metadata().map_err(|e| WorldError::io(path, &e))?;
    refuse_by_kind_or_size(path, &meta)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    (&mut file)
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| WorldError::io(path, &e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(path, bytes.len() as u64));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        // Valid up to `valid`: the position of the first bad byte.
        let prefix = String::from_utf8_lossy(&bytes[..valid]);
        let (line, column) = line_column(&prefix, valid);
        WorldError {
            line,
            column,
            ..WorldError::whole(path, "not UTF-8 text: a world file is TOML, in UTF-8")
        }
    })?;
    Ok(FileRead { text, meta })
}

/// Refuses, without opening it, what [`read`] would refuse for what it is:
/// a path that leads to nothing, something other than a regular file, a
/// file over the size bound; otherwise gives the file's metadata (after
/// links). A commit asks this before it makes a lock beside the file, so
/// that such a path is named for what it is rather than for a lock that
/// cannot be made there (`/dev/zero.lock`).
pub(crate) fn probe(path: &Path) -> Result<fs::Metadata, WorldError> {
    if path.as_os_str().is_empty() {
        return Err(WorldError::whole(path, EMPTY_PATH));
    }
    let meta = fs::metadata(path).map_err(|e| WorldError::io(path, &e))?;
    refuse_by_kind_or_size(path, &meta)?;
    Ok(meta)
}

/// A world file is a regular file of at most [`MAX_FILE_BYTES`].
fn refuse_by_kind_or_size(path: &Path, meta: &fs::Metadata) -> Result<(), WorldError> {
    if !meta.file_type().is_file() {
        return Err(WorldError::whole(
            path,
            format!(
                "is {}; a world file is a regular file",
                kind_of(meta.file_type())
            ),
        ));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(path, meta.len()));
    }
    Ok(())
}

fn too_large(path: &Path, bytes: u64) -> WorldError {
    WorldError::whole(
        path,
        format!(
            "is {bytes} bytes or more; a world file is at most {} MiB",
            MAX_FILE_BYTES >> 20
        ),
    )
}
