//! Committing to a world file, as a database commits: the lock of the file
//! (`lock.rs`) is held for the whole read, run and write, so two commits to
//! one file happen one after the other and neither loses the other's
//! changes.
//!
//! 1. [`LockedWorld::open`] follows the path's symbolic links to the real
//!    file, takes its lock, reads and parses it under the lock, and refuses
//!    — before anything runs — a file that is not a regular file, that has
//!    other hard links (see below), or that the user may not write.
//! 2. The caller runs the bundle on [`LockedWorld::world`].
//! 3. [`LockedWorld::commit`] edits the file's own text (only the values
//!    that changed: `edit.rs`), checks that the new text parses back to
//!    exactly the committed world, checks that the file is still, byte for
//!    byte, what was read, and publishes: the new text goes into the lock
//!    file, which takes the world file's permissions and owner, is flushed
//!    to disk, renamed over the world file, and the folder is flushed. Only
//!    then is the commit done. Dropping a `LockedWorld` without committing
//!    removes the lock and leaves the file as it was.
//!
//! **Hard links.** A rename gives the world file's name a new file; any
//! other name of the old file (a hard link) would keep the old world, and
//! the two would silently part. Writing the old file in place instead would
//! lose the all-or-nothing guarantee (a crash midway leaves half a file). So
//! a world file with more than one link is refused, with the way out in the
//! message; a symbolic link is fine (the file it leads to is the one
//! replaced, and the link keeps leading to it).

use std::fmt;
use std::fs;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::edit::{committed_state, update};
use super::file::{probe, read, WorldError};
use super::lock::{lock_path, roughly, Lock, Owner};
use super::World;

/// How long a commit waits for a lock held by another running commit.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(10);

/// The most symbolic links followed from the path given to the file.
const MAX_LINKS: usize = 40;

/// Why a commit could not start, or could not end.
#[derive(Debug)]
pub enum CommitError {
    /// The world file cannot be read or is not a valid world.
    World(Vec<WorldError>),
    /// The path names no file (`/`, `..`).
    NoFileName { path: PathBuf },
    /// Another process holds the lock (or may, where that cannot be told).
    Locked {
        lock: PathBuf,
        owner: Owner,
        waited: Duration,
        /// Why the owner's state cannot be told, when it cannot.
        unknown: Option<String>,
    },
    /// Something other than a lock file is at the lock's name.
    NotALock { lock: PathBuf, what: &'static str },
    /// The file's permissions do not let this user write it.
    ReadOnly { path: PathBuf, why: String },
    /// The file has other hard links, which a commit would split off.
    HardLinked { path: PathBuf, links: u64 },
    /// The file changed, by another hand than a commit, while the bundle ran.
    Changed { path: PathBuf },
    /// A system call failed.
    Io {
        action: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
    /// The new world is in place, but the folder could not be flushed: it
    /// may not survive a power loss.
    NotDurable {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The new text does not say what was committed (a defect: nothing was
    /// written).
    Internal { path: PathBuf, why: String },
}

impl CommitError {
    pub(super) fn io(action: &'static str, path: &Path, error: std::io::Error) -> CommitError {
        CommitError::Io {
            action,
            path: path.to_path_buf(),
            error,
        }
    }

    /// Whether the world file may have been replaced (only when the folder
    /// could not be flushed after the rename).
    pub fn written(&self) -> bool {
        matches!(self, CommitError::NotDurable { .. })
    }
}

impl fmt::Display for CommitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommitError::World(errors) => {
                let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
                f.write_str(&lines.join("\n"))
            }
            CommitError::NoFileName { path } => {
                write!(f, "{}: names no file to commit to", path.display())
            }
            CommitError::Locked {
                lock,
                owner,
                waited,
                unknown: None,
            } => write!(
                f,
                "{}: another commit is running: the lock is held by {owner} (taken {}); gave up after {}. Try again when it ends, or wait longer (--lock-timeout SECONDS)",
                lock.display(),
                owner.taken(),
                roughly(*waited)
            ),
            CommitError::Locked {
                lock,
                owner,
                unknown: Some(why),
                ..
            } => write!(
                f,
                "{}: the world file is locked, by {owner} (taken {}), and {why}. If no commit is running there, remove {}",
                lock.display(),
                owner.taken(),
                lock.display()
            ),
            CommitError::NotALock { lock, what } => write!(
                f,
                "{}: is {what}, not a lock; a commit never follows or replaces it. Remove it to commit",
                lock.display()
            ),
            CommitError::ReadOnly { path, why } => write!(
                f,
                "{}: {why}; a commit would replace it, so nothing was run. Make it writable (chmod u+w) to commit to it",
                path.display()
            ),
            CommitError::HardLinked { path, links } => write!(
                f,
                "{}: has {links} hard links; a commit replaces the file, which would leave the other names with the old world. Commit to a file with one name (copy it: cp FILE NEW && mv NEW FILE)",
                path.display()
            ),
            CommitError::Changed { path } => write!(
                f,
                "{}: the world changed while the bundle ran (something other than a commit wrote it); nothing was written. Run the bundle again on the new world",
                path.display()
            ),
            CommitError::Io {
                action,
                path,
                error,
            } => write!(f, "{}: cannot {action}: {error}", path.display()),
            CommitError::NotDurable { path, error } => write!(
                f,
                "{}: the new world is in place, but its folder could not be flushed to disk ({error}): the commit may not survive a power loss",
                path.display()
            ),
            CommitError::Internal { path, why } => write!(
                f,
                "{}: internal error: {why}; nothing was written",
                path.display()
            ),
        }
    }
}

impl std::error::Error for CommitError {}

/// The file a path leads to after its symbolic links (the path itself when
/// nothing is there yet).
pub(super) fn follow_links(path: &Path) -> Result<PathBuf, CommitError> {
    let mut at = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link =
                    fs::read_link(&at).map_err(|e| CommitError::io("follow the link", &at, e))?;
                at = match at.parent() {
                    Some(folder) if link.is_relative() => folder.join(link),
                    _ => link,
                };
            }
            Ok(_) => return Ok(at),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(at),
            Err(e) => return Err(CommitError::io("look at", &at, e)),
        }
    }
    Err(CommitError::io(
        "follow the links of",
        path,
        std::io::Error::from_raw_os_error(libc::ELOOP),
    ))
}

/// Refuses a file this user may not write. A file with no write
/// permission at all is read-only on purpose, and refused for anyone, root
/// included (who may write any file); otherwise root may write it.
fn check_writable(path: &Path, target: &Path, meta: &fs::Metadata) -> Result<(), CommitError> {
    let mode = meta.mode();
    if mode & 0o222 == 0 {
        return Err(CommitError::ReadOnly {
            path: path.to_path_buf(),
            why: format!("is read-only (mode {:04o})", mode & 0o7777),
        });
    }
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return Ok(());
    }
    let Ok(c_path) = std::ffi::CString::new(target.as_os_str().as_encoded_bytes()) else {
        return Err(CommitError::ReadOnly {
            path: path.to_path_buf(),
            why: "has a NUL byte in its name".to_string(),
        });
    };
    // SAFETY: `c_path` is a NUL-terminated string that outlives the call.
    let ok = unsafe {
        libc::faccessat(
            libc::AT_FDCWD,
            c_path.as_ptr(),
            libc::W_OK,
            libc::AT_EACCESS,
        )
    } == 0;
    if ok {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    Err(CommitError::ReadOnly {
        path: path.to_path_buf(),
        why: format!(
            "this user may not write it (mode {:04o}: {e})",
            mode & 0o7777
        ),
    })
}

/// Refuses what a commit cannot replace in one rename: a file with other
/// hard links, or one this user may not write. `path` names it in
/// messages; `target` is the file after links.
fn check_replaceable(path: &Path, target: &Path, meta: &fs::Metadata) -> Result<(), CommitError> {
    if meta.nlink() > 1 {
        return Err(CommitError::HardLinked {
            path: path.to_path_buf(),
            links: meta.nlink(),
        });
    }
    check_writable(path, target, meta)
}

/// A world file held under its lock for a read–run–write.
pub struct LockedWorld {
    lock: Lock,
    /// The path as given, for messages.
    shown: PathBuf,
    /// The file it leads to, after links: the one replaced.
    target: PathBuf,
    text: String,
    meta: fs::Metadata,
    world: World,
    notices: Vec<String>,
}

impl LockedWorld {
    /// Takes the lock of the world file at `path` (waiting up to `wait` for
    /// another commit to end), reads and parses the file under it, and
    /// checks that a commit could replace it.
    pub fn open(path: &Path, wait: Duration) -> Result<LockedWorld, CommitError> {
        let shown_name = path.display().to_string();
        let shown_error = |mut e: WorldError| {
            e.file.clone_from(&shown_name);
            CommitError::World(vec![e])
        };
        // What is not a world file (an empty path, nothing, a device, a
        // folder), or is one a commit could not replace, is named as such
        // before a lock is made beside it; the read under the lock below
        // decides.
        let meta = probe(path).map_err(shown_error)?;
        let target = follow_links(path)?;
        check_replaceable(path, &target, &meta)?;
        let mut notices = Vec::new();
        let lock = Lock::take(&target, wait, &mut notices)?;
        let file = read(&target).map_err(shown_error)?;
        check_replaceable(path, &target, &file.meta)?;
        let world = super::parse::parse(&file.text, &shown_name).map_err(CommitError::World)?;
        Ok(LockedWorld {
            lock,
            shown: path.to_path_buf(),
            target,
            text: file.text,
            meta: file.meta,
            world,
            notices,
        })
    }

    /// The world as read under the lock.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// What taking the lock did that the user should know (a stale lock
    /// removed), one sentence each.
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    /// The lock file's name.
    pub fn lock_path(&self) -> &Path {
        self.lock.path()
    }

    /// Writes the state of `after` (a world the bundle committed, run from
    /// [`LockedWorld::world`]) into the file, keeping its layout, and
    /// releases the lock. When this returns `Ok`, the new world is on disk.
    pub fn commit(self, after: &World) -> Result<(), CommitError> {
        let internal = |why: String| CommitError::Internal {
            path: self.shown.clone(),
            why,
        };
        let text = update(&self.text, &self.world, after).map_err(internal)?;
        let expected = committed_state(&self.world, after);
        match super::parse::parse(&text, &self.shown.display().to_string()) {
            Ok(written) if written == expected => {}
            Ok(_) => {
                return Err(internal(
                    "the new text does not hold the committed world".into(),
                ))
            }
            Err(errors) => {
                let first = errors.first().map(ToString::to_string).unwrap_or_default();
                return Err(internal(format!("the new text does not parse: {first}")));
            }
        }
        if text == self.text {
            // Nothing changed: nothing to write.
            return Ok(());
        }
        self.check_unchanged()?;
        self.lock
            .publish(text.as_bytes(), &self.target, Some(&self.meta))
    }

    /// Refuses to write over a file that changed since it was read: the
    /// lock keeps commits out, but not an editor or a script.
    fn check_unchanged(&self) -> Result<(), CommitError> {
        let changed = || CommitError::Changed {
            path: self.shown.clone(),
        };
        let now = read(&self.target).map_err(|_| changed())?;
        let same_file = now.meta.dev() == self.meta.dev() && now.meta.ino() == self.meta.ino();
        if !same_file || now.text != self.text {
            return Err(changed());
        }
        Ok(())
    }
}

/// Writes `world`, in canonical form, to the file at `path` (made if it
/// does not exist), under the file's lock and as a commit publishes: all
/// or nothing, durable when this returns. Whatever the file held is
/// replaced. Notices (a stale lock removed) are returned.
pub(super) fn save(world: &World, path: &Path, wait: Duration) -> Result<Vec<String>, CommitError> {
    let target = follow_links(path)?;
    lock_path(&target)?;
    let mut notices = Vec::new();
    let lock = Lock::take(&target, wait, &mut notices)?;
    let like = match fs::metadata(&target) {
        Ok(meta) if meta.is_file() => {
            check_replaceable(path, &target, &meta)?;
            Some(meta)
        }
        Ok(meta) => {
            let what = if meta.is_dir() {
                "a folder"
            } else {
                "not a regular file"
            };
            return Err(CommitError::World(vec![WorldError::whole(
                path,
                format!("is {what}; a world file is a regular file"),
            )]));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(CommitError::io("look at", path, e)),
    };
    lock.publish(world.to_toml_string().as_bytes(), &target, like.as_ref())?;
    Ok(notices)
}

/// Where the world of a run comes from and where a committed world goes:
/// what `meshc run` and a built executable share, so that both commit the
/// same way.
pub enum RunWorld {
    /// The embedded default world; nothing is written.
    Default,
    /// A world file read without its lock; nothing is written.
    File,
    /// A world file held under its lock, written back if the bundle commits.
    Commit(Box<LockedWorld>),
}

impl RunWorld {
    /// The world to run on: the default world without a path; the file at
    /// `path`; with `commit`, the file at `path` under its lock (see
    /// [`LockedWorld::open`]), so that nothing runs if it could not be
    /// written back.
    pub fn open(
        path: Option<&Path>,
        commit: bool,
        wait: Duration,
    ) -> Result<(RunWorld, World), CommitError> {
        match (path, commit) {
            (None, _) => Ok((RunWorld::Default, World::default_world())),
            (Some(path), false) => {
                let world = World::load_all(path).map_err(CommitError::World)?;
                Ok((RunWorld::File, world))
            }
            (Some(path), true) => {
                let locked = LockedWorld::open(path, wait)?;
                let world = locked.world().clone();
                Ok((RunWorld::Commit(Box::new(locked)), world))
            }
        }
    }

    /// What taking the lock did that the user should know.
    pub fn notices(&self) -> &[String] {
        match self {
            RunWorld::Commit(locked) => locked.notices(),
            _ => &[],
        }
    }

    /// Ends the run: a committed bundle's world (`after`) is written back
    /// when asked, and `report` says what became of it. Call before
    /// printing the report: it says "committed" only once the new world is
    /// on disk.
    pub fn finish(
        self,
        report: &mut crate::report::Report,
        after: &World,
    ) -> Result<(), CommitError> {
        use crate::report::WorldWrite;
        if !report.committed() {
            report.world_write = WorldWrite::NotWritten;
            return Ok(());
        }
        let RunWorld::Commit(locked) = self else {
            report.world_write = WorldWrite::NotWritten;
            return Ok(());
        };
        let shown = locked.shown.display().to_string();
        match locked.commit(after) {
            Ok(()) => {
                report.world_write = WorldWrite::Written(shown);
                Ok(())
            }
            Err(e) => {
                report.world_write = if e.written() {
                    WorldWrite::Written(shown)
                } else {
                    WorldWrite::Failed
                };
                Err(e)
            }
        }
    }
}
