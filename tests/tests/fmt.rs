//! `meshc fmt`, end to end through the real binary: exit codes, the files it
//! names, what it rewrites and what it leaves alone.

use mesh_tests::{examples, meshc, outcome, root, run};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

const MESSY: &str = "bundle a on polygon {   input 1 WETH\n        deposit all WETH into aave } constraints { deadline:3 }\n";
const CANONICAL: &str = "bundle a on polygon {\n    input 1 WETH\n    deposit all WETH into aave\n} constraints {\n    deadline: 3\n}\n";
const BROKEN: &str = "bundle a on polygon {\n    swap 1 WETH for on uniswap_v2\n}\n";

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn fmt(args: &[&Path]) -> (i32, String, String) {
    let output = match meshc().arg("fmt").args(args).output() {
        Ok(output) => output,
        Err(e) => panic!("cannot run meshc fmt: {e}"),
    };
    outcome(&output)
}

fn fmt_check(args: &[&Path]) -> (i32, String, String) {
    let mut command = meshc();
    command.args(["fmt", "--check"]).args(args);
    match command.output() {
        Ok(output) => outcome(&output),
        Err(e) => panic!("cannot run meshc fmt --check: {e}"),
    }
}

/// A file in `dir` holding `text`, dated long ago so that a rewrite shows.
fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    let written = fs::write(&path, text)
        .and_then(|()| fs::File::options().write(true).open(&path))
        .and_then(|file| file.set_modified(long_ago()));
    if let Err(e) = written {
        panic!("cannot prepare {}: {e}", path.display());
    }
    path
}

fn long_ago() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000)
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn modified(path: &Path) -> SystemTime {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("no mtime for {}: {e}", path.display()))
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("no temporary directory: {e}"))
}

/// The names in `dir`, sorted: no temporary file may be left behind.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn every_example_is_already_formatted() {
    let (accepted, rejected) = examples();
    let files: Vec<String> = accepted
        .iter()
        .chain(&rejected)
        .map(|p| relative(p))
        .collect();
    assert!(files.len() >= 7, "examples/ lost its examples");
    let mut args = vec!["fmt", "--check"];
    args.extend(files.iter().map(String::as_str));
    let (code, stdout, stderr) = outcome(&run(&args));
    assert_eq!((code, stdout.as_str(), stderr.as_str()), (0, "", ""));
}

#[test]
fn check_names_the_files_that_would_change_and_changes_nothing() {
    let dir = temp_dir();
    let messy = file(dir.path(), "messy.mesh", MESSY);
    let canonical = file(dir.path(), "canonical.mesh", CANONICAL);
    let (code, stdout, stderr) = fmt_check(&[&messy, &canonical]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, format!("{}\n", messy.display()));
    assert!(stderr.contains("1 file is not formatted"), "{stderr}");
    assert_eq!(read(&messy), MESSY);
    assert_eq!(modified(&messy), long_ago());
    assert_eq!(modified(&canonical), long_ago());

    let (code, stdout, _) = fmt_check(&[&canonical]);
    assert_eq!((code, stdout.as_str()), (0, ""));
}

#[test]
fn formatting_rewrites_only_the_files_that_change() {
    let dir = temp_dir();
    let messy = file(dir.path(), "messy.mesh", MESSY);
    let canonical = file(dir.path(), "canonical.mesh", CANONICAL);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let restricted = fs::set_permissions(&messy, fs::Permissions::from_mode(0o640));
        assert!(restricted.is_ok(), "{restricted:?}");
    }
    let (code, stdout, stderr) = fmt(&[&messy, &canonical]);
    assert_eq!((code, stdout.as_str(), stderr.as_str()), (0, "", ""));
    assert_eq!(read(&messy), CANONICAL);
    assert_ne!(modified(&messy), long_ago());
    assert_eq!(read(&canonical), CANONICAL);
    assert_eq!(
        modified(&canonical),
        long_ago(),
        "an already formatted file was touched"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&messy).map(|m| m.permissions().mode() & 0o777);
        assert_eq!(mode.ok(), Some(0o640), "the file's permissions changed");
    }
    assert_eq!(names(dir.path()), ["canonical.mesh", "messy.mesh"]);

    // A second run changes nothing.
    let (code, _, _) = fmt_check(&[&messy, &canonical]);
    assert_eq!(code, 0);
}

#[test]
fn a_file_that_does_not_parse_is_left_byte_identical() {
    let dir = temp_dir();
    let broken = file(dir.path(), "broken.mesh", BROKEN);
    let messy = file(dir.path(), "messy.mesh", MESSY);
    let (code, stdout, stderr) = fmt(&[&broken, &messy]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "");
    let expected = format!("{}:2:21: unexpected `on`", broken.display());
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(stderr.contains("left unchanged"), "{stderr}");
    assert_eq!(read(&broken), BROKEN);
    assert_eq!(modified(&broken), long_ago());
    // The other files are still formatted.
    assert_eq!(read(&messy), CANONICAL);

    let (code, stdout, _) = fmt_check(&[&broken]);
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert_eq!(read(&broken), BROKEN);
}

#[test]
fn the_refusal_message_reads_well() {
    let dir = temp_dir();
    let broken = file(dir.path(), "broken.mesh", BROKEN);
    let (_, _, stderr) = fmt(&[&broken]);
    let stderr = stderr.replace(&dir.path().display().to_string(), "DIR");
    insta::assert_snapshot!(stderr, @"error: cannot format DIR/broken.mesh:2:21: unexpected `on`, expected `all`, a name, a token symbol like `WETH`, a number, `(`; the file is left unchanged");
}

#[test]
fn a_missing_file_is_an_io_error_and_the_others_are_still_formatted() {
    let dir = temp_dir();
    let missing = dir.path().join("missing.mesh");
    let messy = file(dir.path(), "messy.mesh", MESSY);
    let (code, _, stderr) = fmt(&[&missing, &messy]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("cannot read `{}`", missing.display())),
        "{stderr}"
    );
    assert_eq!(read(&messy), CANONICAL);

    // I/O errors outrank formatting differences in --check's exit code too.
    let messy = file(dir.path(), "messy.mesh", MESSY);
    let (code, stdout, _) = fmt_check(&[&messy, &missing]);
    assert_eq!(code, 2);
    assert_eq!(stdout, format!("{}\n", messy.display()));
}

#[test]
fn a_directory_or_a_file_that_is_not_text_is_refused_clearly() {
    let dir = temp_dir();
    let binary = dir.path().join("binary.mesh");
    assert!(fs::write(&binary, [0x62, 0xff, 0xfe, 0x0a]).is_ok());
    for path in [dir.path(), binary.as_path()] {
        let (code, _, stderr) = fmt(&[path]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.starts_with("error: cannot read"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert_eq!(fs::read(&binary).ok(), Some(vec![0x62, 0xff, 0xfe, 0x0a]));
}

#[test]
fn a_read_only_directory_gives_a_clear_error_and_leaves_no_trace() {
    let dir = temp_dir();
    let sub = dir.path().join("locked");
    assert!(fs::create_dir(&sub).is_ok());
    let messy = file(&sub, "messy.mesh", MESSY);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert!(fs::set_permissions(&sub, fs::Permissions::from_mode(0o555)).is_ok());
    }
    // A privileged user may write there anyway: then the file is formatted.
    let writable = fs::write(sub.join("probe"), "").is_ok();
    let _ = fs::remove_file(sub.join("probe"));
    let (code, _, stderr) = fmt(&[&messy]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert!(fs::set_permissions(&sub, fs::Permissions::from_mode(0o755)).is_ok());
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    if writable {
        assert_eq!((code, read(&messy)), (0, CANONICAL.to_string()), "{stderr}");
    } else {
        assert_eq!(code, 2, "{stderr}");
        let expected = format!(
            "error: cannot write `{}`: cannot create a temporary file in",
            messy.display()
        );
        assert!(stderr.starts_with(&expected), "{stderr}");
        assert_eq!(read(&messy), MESSY);
    }
    assert_eq!(names(&sub), ["messy.mesh"]);
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_is_followed_not_replaced() {
    let dir = temp_dir();
    let target = file(dir.path(), "target.mesh", MESSY);
    let link = dir.path().join("link.mesh");
    assert!(std::os::unix::fs::symlink(&target, &link).is_ok());
    let (code, _, stderr) = fmt(&[&link]);
    assert_eq!(code, 0, "{stderr}");
    assert!(fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink()));
    assert_eq!(read(&target), CANONICAL);
    assert_eq!(names(dir.path()), ["link.mesh", "target.mesh"]);
}

#[test]
fn no_file_at_all_is_a_usage_error() {
    let (code, _, stderr) = outcome(&run(&["fmt"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("<FILE>"), "{stderr}");
}
