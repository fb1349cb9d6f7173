//! What a client may configure: the world file whose registry and exchange
//! pairs documents are checked against (as `meshc check --world`), and the
//! optimisation level at
//! which deadlines and gas are judged (as `-O0`/`-O`).
//!
//! Both come in `initializationOptions` and in
//! `workspace/didChangeConfiguration`, as `{"world": PATH, "optimisation":
//! "-O0" | "-O"}`, at the top level or under `"mesh"` (the section an
//! editor's settings usually put them in). A key that is absent keeps the
//! default: the default registry and the default world's pairs, `-O`.

use crate::check::{CheckOptions, OptLevel};
use mesh_core::Registry;
use mesh_runtime::World;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The settings as given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// The world file, resolved against the workspace root if relative.
    pub world: Option<PathBuf>,
    pub level: OptLevel,
}

/// What documents are checked against.
pub struct Judged {
    pub registry: Registry,
    /// The exchange pairs of the world file, or of the default world.
    pub pairs: crate::check::Pairs,
    pub options: CheckOptions,
}

impl Judged {
    /// The default registry, the default world's pairs, `-O`.
    pub fn defaults() -> Judged {
        Judged {
            registry: Registry::default_registry(),
            pairs: crate::interp::world_facts(&World::default_world()),
            options: CheckOptions::default(),
        }
    }
}

/// Reads settings from `value` (an object; `null` means the defaults). A
/// relative world path is taken from `root`, the workspace's folder.
pub fn read(value: &Value, root: Option<&Path>) -> Result<Settings, String> {
    let value = value.get("mesh").unwrap_or(value);
    if value.is_null() {
        return Ok(Settings::default());
    }
    if !value.is_object() {
        return Err(format!("the settings are not an object: {value}"));
    }
    let world = match value.get("world") {
        None | Some(Value::Null) => None,
        Some(Value::String(path)) if path.trim().is_empty() => None,
        Some(Value::String(path)) => {
            let path = PathBuf::from(path.trim());
            Some(match root {
                Some(root) if path.is_relative() => root.join(path),
                _ => path,
            })
        }
        Some(other) => return Err(format!("`world` must be a path (a string), not {other}")),
    };
    let level = match value.get("optimisation") {
        None | Some(Value::Null) => OptLevel::O,
        Some(Value::String(level)) => match level.as_str() {
            "-O" | "O" | "1" => OptLevel::O,
            "-O0" | "O0" | "0" => OptLevel::O0,
            other => {
                return Err(format!(
                    "`optimisation` is \"-O\" or \"-O0\", not \"{other}\""
                ))
            }
        },
        Some(other) => return Err(format!("`optimisation` is \"-O\" or \"-O0\", not {other}")),
    };
    Ok(Settings { world, level })
}

/// Loads what `settings` name: the world file's registry (or the default
/// one) and the level; why not, naming the file.
pub fn load(settings: &Settings) -> Result<Judged, String> {
    let (registry, pairs) = match &settings.world {
        None => (
            Registry::default_registry(),
            crate::interp::world_facts(&World::default_world()),
        ),
        Some(path) => {
            let world = World::load(path).map_err(|e| e.to_string())?;
            let pairs = crate::interp::world_facts(&world);
            (world.registry, pairs)
        }
    };
    Ok(Judged {
        registry,
        pairs,
        options: CheckOptions {
            level: settings.level,
        },
    })
}

/// The workspace's folder from `initialize`'s parameters: the first
/// workspace folder, else `rootUri`, else `rootPath`, when it is a local
/// directory.
pub fn root(params: &Value) -> Option<PathBuf> {
    let from_uri = |uri: &Value| -> Option<PathBuf> {
        let uri = uri.as_str()?;
        let path = uri.strip_prefix("file://")?;
        Some(PathBuf::from(percent_decoded(path)))
    };
    params
        .get("workspaceFolders")
        .and_then(|f| f.get(0))
        .and_then(|f| f.get("uri"))
        .and_then(from_uri)
        .or_else(|| params.get("rootUri").and_then(from_uri))
        .or_else(|| {
            params
                .get("rootPath")
                .and_then(Value::as_str)
                .map(PathBuf::from)
        })
}

/// `%xx` escapes of a URI path decoded (a malformed one is kept as written).
fn percent_decoded(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let (h, l) = (hex(h).unwrap_or(0), hex(l).unwrap_or(0));
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_are_read_flat_or_under_mesh() {
        let root = Path::new("/work");
        let flat = read(
            &json!({"world": "w.toml", "optimisation": "-O0"}),
            Some(root),
        );
        assert_eq!(
            flat,
            Ok(Settings {
                world: Some(PathBuf::from("/work/w.toml")),
                level: OptLevel::O0
            })
        );
        let nested = read(&json!({"mesh": {"world": "/abs/w.toml"}}), Some(root));
        assert_eq!(
            nested,
            Ok(Settings {
                world: Some(PathBuf::from("/abs/w.toml")),
                level: OptLevel::O
            })
        );
        assert_eq!(read(&Value::Null, None), Ok(Settings::default()));
        assert_eq!(read(&json!({"world": ""}), None), Ok(Settings::default()));
    }

    #[test]
    fn wrong_settings_say_what_is_wrong() {
        let level = read(&json!({"optimisation": "-O3"}), None);
        assert!(level.is_err_and(|e| e.contains("\"-O3\"")));
        let world = read(&json!({"world": 7}), None);
        assert!(world.is_err_and(|e| e.contains("`world` must be a path")));
        let missing = load(&Settings {
            world: Some(PathBuf::from("/nonexistent/world.toml")),
            level: OptLevel::O,
        });
        assert!(missing.is_err_and(|e| e.contains("/nonexistent/world.toml")));
    }

    #[test]
    fn the_root_comes_from_the_workspace() {
        let params = json!({"workspaceFolders": [{"uri": "file:///home/a%20b/x", "name": "x"}]});
        assert_eq!(root(&params), Some(PathBuf::from("/home/a b/x")));
        assert_eq!(
            root(&json!({"rootUri": "file:///srv"})),
            Some(PathBuf::from("/srv"))
        );
        assert_eq!(root(&json!({})), None);
    }
}
