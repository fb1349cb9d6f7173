//! The lock of a world file: `NAME.lock` beside it, as git locks its index.
//!
//! - **Taking it.** The lock file is created with `O_CREAT|O_EXCL`, which
//!   fails if anything is at that name, a symbolic link included (never
//!   followed). Its creator then holds an advisory `flock` on it for as long
//!   as it lives, and writes an owner record into it: `meshc world lock:
//!   process PID on host HOST`. The lock is held only once the creator holds
//!   the `flock` *and* the name still leads to the file it created.
//! - **Releasing it.** A commit writes the new world into the lock file and
//!   renames it over the world file (`publish`); otherwise the lock file is
//!   removed. Either happens while the `flock` is held, and only a holder of
//!   the `flock` of the file at `NAME.lock` ever removes or renames it.
//! - **A stale lock.** The kernel drops a process's `flock` when it dies,
//!   even by `kill -9`. So a lock file whose `flock` anyone can take belongs
//!   to no running process: it is stale. It is removed — never silently: the
//!   caller is told whose it was — when its owner ran on this host. A lock
//!   taken on another host (a shared folder) is not removed: this host cannot
//!   see that host's processes; the message says how to clear it.
//! - **Waiting.** A lock held by a running process is waited for, with
//!   growing pauses, up to a bound; then the error names the lock, its owner,
//!   and how long the lock has existed.
//!
//! The commit itself (what is read and written under the lock) is in
//! `commit.rs`.

use std::fmt;
use std::fs;
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::os::fd::AsRawFd as _;
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::commit::CommitError;

/// The first words of an owner record.
const RECORD: &str = "meshc world lock: process ";

/// A lock file younger than this that holds no record yet is being taken
/// (its creator is between creating it and locking it), not stale.
const CREATING: Duration = Duration::from_secs(2);

/// The longest pause between two attempts to take a lock.
const MAX_PAUSE: Duration = Duration::from_millis(100);

/// The name of the lock of the file at `target`: `target` with `.lock` added.
pub(super) fn lock_path(target: &Path) -> Result<PathBuf, CommitError> {
    let Some(name) = target.file_name() else {
        return Err(CommitError::NoFileName {
            path: target.to_path_buf(),
        });
    };
    let mut lock = name.to_os_string();
    lock.push(".lock");
    Ok(target.with_file_name(lock))
}

/// Who took a lock, as far as its file tells.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Owner {
    /// The process id and host name of the owner record, if the file
    /// still holds one (it is overwritten by the new world during a commit).
    pub process: Option<(u32, String)>,
    /// How long ago the lock file was last written.
    pub age: Option<Duration>,
}

impl Owner {
    fn read(file: &mut fs::File, meta: &fs::Metadata) -> Owner {
        let mut start = [0u8; 512];
        let n = file.read(&mut start).unwrap_or(0);
        let text = String::from_utf8_lossy(&start[..n]);
        let process = text
            .strip_prefix(RECORD)
            .and_then(|rest| rest.lines().next())
            .and_then(|line| {
                let (pid, host) = line.split_once(" on host ")?;
                Some((pid.parse().ok()?, host.to_string()))
            });
        let age = meta
            .modified()
            .ok()
            .and_then(|m| SystemTime::now().duration_since(m).ok());
        Owner { process, age }
    }

    /// Whether the record names another host than this one.
    fn elsewhere(&self) -> bool {
        self.process
            .as_ref()
            .is_some_and(|(_, host)| *host != host_name())
    }
}

/// `3 s`, `2 min`, `5 h`: how long, roughly.
pub(super) fn roughly(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => format!("{} ms", d.as_millis()),
        1..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        _ => format!("{} h", s / 3600),
    }
}

impl Owner {
    /// When the lock was taken: `3 s ago`.
    pub fn taken(&self) -> String {
        match self.age {
            Some(age) => format!("{} ago", roughly(age)),
            None => "at a time its file does not tell".to_string(),
        }
    }
}

/// Who took a lock: `process 12 on this host`.
impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.process {
            Some((pid, host)) if *host == host_name() => write!(f, "process {pid} on this host"),
            Some((pid, host)) => write!(f, "process {pid} on host {host}"),
            // Killed while writing the new world into the lock, or before
            // writing its record.
            None => f.write_str("a process that left no owner record in it"),
        }
    }
}

/// This host's name, as owner records write it.
pub(super) fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: `buf` is writable for its length; the name is NUL-terminated
    // within it when the call succeeds (the last byte stays 0 regardless).
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len() - 1) } == 0;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(0);
    if ok && end > 0 {
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "localhost".to_string()
    }
}

/// What `flock` said.
enum Flock {
    Taken,
    HeldElsewhere,
    /// The file system has no file locks (or refused): nothing can be told.
    Unsupported(std::io::Error),
}

fn flock(file: &fs::File, wait: bool) -> Flock {
    let op = if wait {
        libc::LOCK_EX
    } else {
        libc::LOCK_EX | libc::LOCK_NB
    };
    loop {
        // SAFETY: the descriptor is open for as long as `file` lives.
        if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
            return Flock::Taken;
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) => return Flock::HeldElsewhere,
            _ => return Flock::Unsupported(e),
        }
    }
}

/// Whether the name `path` (not following a link) is the open file `file`.
fn names(path: &Path, file: &fs::File) -> bool {
    match (fs::symlink_metadata(path), file.metadata()) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// What is at a lock's name, looked at without waiting.
enum Found {
    /// Nothing any more: try to take it.
    Nothing,
    /// A running process holds it (or is taking it).
    Held(Owner),
    /// It was stale and is now removed.
    Removed(Owner),
    /// Its owner cannot be judged from here.
    Unknown(Owner, String),
}

fn look(lock: &Path) -> Result<Found, CommitError> {
    let opened = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(lock);
    let mut file = match opened {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(CommitError::NotALock {
                lock: lock.to_path_buf(),
                what: "a symbolic link",
            })
        }
        Err(e) => {
            return Err(CommitError::io("look at the lock", lock, e));
        }
    };
    let meta = file
        .metadata()
        .map_err(|e| CommitError::io("look at the lock", lock, e))?;
    if !meta.file_type().is_file() {
        return Err(CommitError::NotALock {
            lock: lock.to_path_buf(),
            what: if meta.is_dir() {
                "a folder"
            } else {
                "not a regular file"
            },
        });
    }
    let owner = Owner::read(&mut file, &meta);
    match flock(&file, false) {
        Flock::HeldElsewhere => Ok(Found::Held(owner)),
        Flock::Unsupported(e) => Ok(Found::Unknown(
            owner,
            format!(
                "the file system cannot tell whether its owner still runs (no file locks: {e})"
            ),
        )),
        Flock::Taken => {
            if !names(lock, &file) {
                // Released (or replaced) while we looked.
                return Ok(Found::Nothing);
            }
            if owner.process.is_none()
                && meta.len() == 0
                && owner.age.is_none_or(|age| age < CREATING)
            {
                return Ok(Found::Held(owner));
            }
            if owner.elsewhere() {
                return Ok(Found::Unknown(
                    owner,
                    "this host cannot see that host's processes".to_string(),
                ));
            }
            // No process holds it, and we hold its `flock`: nobody else can
            // remove or replace it before we do.
            fs::remove_file(lock).map_err(|e| CommitError::io("remove the stale lock", lock, e))?;
            Ok(Found::Removed(owner))
        }
    }
}

/// A held lock. Dropping it removes the lock file (unless it was published).
pub(super) struct Lock {
    file: fs::File,
    path: PathBuf,
    /// Renamed over the world file: nothing is left to remove.
    published: bool,
}

impl Lock {
    /// Takes the lock of the file at `target` (after links), waiting up to
    /// `wait` for a running owner. A stale lock is removed and a sentence
    /// saying so is pushed on `notices`.
    pub(super) fn take(
        target: &Path,
        wait: Duration,
        notices: &mut Vec<String>,
    ) -> Result<Lock, CommitError> {
        let path = lock_path(target)?;
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        let mut jitter = u64::from(std::process::id());
        loop {
            let created = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path);
            let owner = match created {
                Ok(file) => {
                    if let Some(lock) = Lock::claim(file, &path)? {
                        return Ok(lock);
                    }
                    continue;
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match look(&path)? {
                    Found::Nothing => continue,
                    Found::Removed(owner) => {
                        notices.push(format!(
                            "removed the stale lock {}: {owner} took it {} and stopped before its commit ended; the world file is as it was before that commit",
                            path.display(),
                            owner.taken()
                        ));
                        continue;
                    }
                    Found::Held(owner) => (owner, None),
                    Found::Unknown(owner, why) => (owner, Some(why)),
                },
                Err(e) => return Err(CommitError::io("create the lock", &path, e)),
            };
            let waited = started.elapsed();
            if waited >= wait {
                let (owner, unknown) = owner;
                return Err(CommitError::Locked {
                    lock: path,
                    owner,
                    waited,
                    unknown,
                });
            }
            // Growing pauses, each a little different per process, so that
            // waiters do not retry in step.
            jitter ^= jitter << 13;
            jitter ^= jitter >> 7;
            jitter ^= jitter << 17;
            let spread = Duration::from_micros(jitter % 1000);
            std::thread::sleep((pause + spread).min(wait.saturating_sub(waited)));
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }

    /// The lock file just created: hold its `flock`, check that the name is
    /// still ours (a waiter that found it empty may have removed it), write
    /// the owner record. `None` if the name was lost: try again.
    fn claim(file: fs::File, path: &Path) -> Result<Option<Lock>, CommitError> {
        // Waiting here is brief: a waiter holds the flock only to look.
        match flock(&file, true) {
            Flock::Taken | Flock::Unsupported(_) => {}
            Flock::HeldElsewhere => return Ok(None),
        }
        if !names(path, &file) {
            return Ok(None);
        }
        let record = format!("{RECORD}{} on host {}\n", std::process::id(), host_name());
        // From here, dropping `lock` removes the file.
        let mut lock = Lock {
            file,
            path: path.to_path_buf(),
            published: false,
        };
        lock.file
            .write_all(record.as_bytes())
            .map_err(|e| CommitError::io("write the lock", path, e))?;
        Ok(Some(lock))
    }

    /// The lock file's name.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Ends a commit: writes `content` into the lock file, gives it the
    /// world file's permissions and owner (`like`, when the world file
    /// exists), flushes it to disk, renames it over `target`, and flushes
    /// the folder, so that the new world survives a crash.
    pub(super) fn publish(
        mut self,
        content: &[u8],
        target: &Path,
        like: Option<&fs::Metadata>,
    ) -> Result<(), CommitError> {
        let path = self.path.clone();
        let io = |action: &'static str| {
            let path = path.clone();
            move |e| CommitError::io(action, &path, e)
        };
        // The permissions first, so that the new world is never readable
        // by more people than the old one was (the lock file is 0600 until
        // now).
        if let Some(meta) = like {
            // The owner before the mode: changing it may clear set-id bits.
            // Keeping the owner needs privilege; keeping the group needs
            // membership of it; failing both, the file is the committer's.
            let fd = &self.file;
            if std::os::unix::fs::fchown(fd, Some(meta.uid()), Some(meta.gid())).is_err() {
                let _ = std::os::unix::fs::fchown(fd, None, Some(meta.gid()));
            }
            let mode = fs::Permissions::from_mode(meta.mode() & 0o7777);
            self.file
                .set_permissions(mode)
                .map_err(io("give the world file's permissions to"))?;
        } else {
            // A new world file gets what any new file gets: 0666 less the umask.
            let mode = fs::Permissions::from_mode(0o666 & !umask());
            self.file
                .set_permissions(mode)
                .map_err(io("set the permissions of"))?;
        }
        self.file
            .set_len(0)
            .map_err(io("write the new world into"))?;
        self.file
            .seek(SeekFrom::Start(0))
            .map_err(io("write the new world into"))?;
        self.file
            .write_all(content)
            .map_err(io("write the new world into"))?;
        self.file.sync_all().map_err(io("flush to disk"))?;
        fs::rename(&self.path, target).map_err(|e| CommitError::Io {
            action: "rename the lock over the world file",
            path: target.to_path_buf(),
            error: e,
        })?;
        self.published = true;
        let folder = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let synced = fs::File::open(&folder).and_then(|d| d.sync_all());
        synced.map_err(|e| CommitError::NotDurable {
            path: target.to_path_buf(),
            error: e,
        })
    }
}

/// The process's umask, as Linux reports it (`/proc/self/status`); `022`,
/// the usual one, where it cannot be read. (Setting and restoring it would
/// race with other threads creating files.)
fn umask() -> u32 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("Umask:"))?;
            u32::from_str_radix(line["Umask:".len()..].trim(), 8).ok()
        })
        .unwrap_or(0o022)
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Still under our flock: the name can only be ours.
        if !self.published && names(&self.path, &self.file) {
            let _ = fs::remove_file(&self.path);
        }
    }
}
