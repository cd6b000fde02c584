//! `schemac.toml`: optional project settings. In: the directory to look in. Out: `Config` (paths as
//! written, relative to the file's directory) or a `ConfigError` naming the file and the problem.
//! An unknown key is an error that names it, so a typo is never silently ignored. Only reads the
//! one file; it does not walk up the directory tree.
//!
//! ```toml
//! schema = "schema"
//!
//! [codegen]
//! out = "generated/src"
//! time = "chrono"          # or "time"
//! derives = ["Hash"]
//! typed_keys = true        # UserId(Uuid) newtypes for primary and foreign keys
//!
//! [codegen.names]          # row struct names, where the singular of the table is not right
//! people_data = "Person"
//!
//! [codegen.json]           # typed json/jsonb columns: sqlx::types::Json<T>
//! "trees.definition" = "crate::TreeDefinition"
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::codegen::{CodegenOptions, DerivePath, RootFile, TimeCrate};

/// The settings file's name.
pub const FILE_NAME: &str = "schemac.toml";

/// The schema path when neither the command line nor the settings name one.
pub const DEFAULT_SCHEMA: &str = "schema";

/// The codegen output directory when neither the command line nor the settings name one.
pub const DEFAULT_CODEGEN_OUT: &str = "generated/src";

/// The contents of `schemac.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// The schema directory or file (`schema = "..."`), relative to the settings file.
    pub schema: Option<PathBuf>,
    pub codegen: CodegenConfig,
}

/// The `[codegen]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodegenConfig {
    /// Output directory (`out = "..."`), relative to the settings file.
    pub out: Option<PathBuf>,
    /// `time = "chrono" | "time"`; chrono when absent.
    pub time: Option<TimeCrate>,
    /// Derives added to every generated struct and enum.
    pub derives: Vec<DerivePath>,
    /// `typed_keys = false` turns key newtypes off; on when absent.
    pub typed_keys: Option<bool>,
    /// `[codegen.names]`: table name → row struct name.
    pub names: BTreeMap<String, String>,
    /// `[codegen.json]`: `table.column` → Rust type of a json/jsonb column.
    pub json: BTreeMap<String, String>,
}

impl CodegenConfig {
    /// Options for `codegen::rust_models` from these settings; `source` names what the code is
    /// generated from and `root` which root file to write.
    pub fn options(&self, source: String, root: RootFile) -> CodegenOptions {
        CodegenOptions {
            time: self.time.unwrap_or_default(),
            derives: self.derives.clone(),
            root,
            source,
            names: self.names.clone(),
            typed_keys: self.typed_keys.unwrap_or(true),
            json: self.json.clone(),
        }
    }
}

/// What `schemac codegen` reads and writes, and how: paths as the command uses them, relative to
/// the directory the settings were read from (the working directory for the command).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodegenTarget {
    /// The schema directory or file.
    pub schema: PathBuf,
    /// The directory the files are written into.
    pub out: PathBuf,
    pub options: CodegenOptions,
}

/// Why `schemac.toml` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read `{}`: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    /// Bad TOML, a wrong value, or an unknown key (the message names it).
    #[error("`{}`: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

/// The file as written, before derives are checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    schema: Option<PathBuf>,
    #[serde(default)]
    codegen: RawCodegen,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCodegen {
    out: Option<PathBuf>,
    time: Option<TimeCrate>,
    #[serde(default)]
    derives: Vec<String>,
    typed_keys: Option<bool>,
    #[serde(default)]
    names: BTreeMap<String, String>,
    #[serde(default)]
    json: BTreeMap<String, String>,
}

impl Config {
    /// Reads `schemac.toml` in `dir`: `Ok(None)` when there is none, else its path and contents.
    pub fn find(dir: &Path) -> Result<Option<(PathBuf, Config)>, ConfigError> {
        let path = dir.join(FILE_NAME);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        let config = Config::parse(&text).map_err(|message| ConfigError::Invalid {
            path: path.clone(),
            message,
        })?;
        Ok(Some((path, config)))
    }

    /// What `schemac codegen [SCHEMA] [--out OUT]` works on: each path as given, else as these
    /// settings name it, else [`DEFAULT_SCHEMA`] and [`DEFAULT_CODEGEN_OUT`]. The files' header
    /// names no schema path: the same schema generates the same text however its path is spelt
    /// (`schema`, `./schema`, an absolute path, from another directory), so `codegen --check`
    /// compares only what is generated. A `src` output directory gets a `lib.rs` (see
    /// `RootFile::for_out_dir`). One function for the command and for tests that
    /// check the checked-in output, so both generate the same bytes.
    pub fn codegen_target(&self, schema: Option<&Path>, out: Option<&Path>) -> CodegenTarget {
        let schema = schema
            .map(Path::to_path_buf)
            .or_else(|| self.schema.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_SCHEMA));
        let out = out
            .map(Path::to_path_buf)
            .or_else(|| self.codegen.out.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CODEGEN_OUT));
        let options = self
            .codegen
            .options(String::new(), RootFile::for_out_dir(&out));
        CodegenTarget {
            schema,
            out,
            options,
        }
    }

    /// Parses the text of a settings file; the error is a message for the user.
    pub fn parse(text: &str) -> Result<Config, String> {
        let raw: RawConfig = toml::from_str(text).map_err(|error| error.to_string())?;
        let derives = raw
            .codegen
            .derives
            .iter()
            .map(|text| {
                DerivePath::parse(text).map_err(|error| format!("[codegen] derives: {error}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for (table, name) in &raw.codegen.names {
            if syn::parse_str::<syn::Ident>(name).is_err() {
                return Err(format!(
                    "[codegen.names] `{table}`: `{name}` is not a Rust identifier"
                ));
            }
        }
        for (column, ty) in &raw.codegen.json {
            if syn::parse_str::<syn::Type>(ty).is_err() {
                return Err(format!(
                    "[codegen.json] `{column}`: `{ty}` is not a Rust type"
                ));
            }
        }
        Ok(Config {
            schema: raw.schema,
            codegen: CodegenConfig {
                out: raw.codegen.out,
                time: raw.codegen.time,
                derives,
                typed_keys: raw.codegen.typed_keys,
                names: raw.codegen.names,
                json: raw.codegen.json,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_setting() {
        let dir = tempfile::tempdir().unwrap();
        let text = "schema = \"db\"\n[codegen]\nout = \"models\"\ntime = \"time\"\nderives = [\"Hash\", \"schemars::JsonSchema\"]\n";
        fs::write(dir.path().join(FILE_NAME), text).unwrap();
        let (path, config) = Config::find(dir.path()).unwrap().unwrap();
        assert_eq!(path, dir.path().join(FILE_NAME));
        assert_eq!(config.schema, Some(PathBuf::from("db")));
        assert_eq!(config.codegen.out, Some(PathBuf::from("models")));
        assert_eq!(config.codegen.time, Some(TimeCrate::Time));
        let derives: Vec<&str> = config
            .codegen
            .derives
            .iter()
            .map(DerivePath::as_str)
            .collect();
        assert_eq!(derives, ["Hash", "schemars::JsonSchema"]);
        let options = config.codegen.options("db/".into(), RootFile::Lib);
        assert_eq!(options.time, TimeCrate::Time);
        assert_eq!(options.root, RootFile::Lib);
    }

    #[test]
    fn missing_file_is_none_and_empty_file_is_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Config::find(dir.path()).unwrap().is_none());
        assert_eq!(Config::parse("").unwrap(), Config::default());
        assert_eq!(
            Config::default()
                .codegen
                .options(String::new(), RootFile::Mod)
                .time,
            TimeCrate::Chrono
        );
    }

    #[test]
    fn codegen_target_prefers_arguments_then_settings_then_defaults() {
        let defaults = Config::default().codegen_target(None, None);
        assert_eq!(defaults.schema, PathBuf::from(DEFAULT_SCHEMA));
        assert_eq!(defaults.out, PathBuf::from(DEFAULT_CODEGEN_OUT));
        assert_eq!(defaults.options.root, RootFile::Lib);
        assert_eq!(
            defaults.options.source, "",
            "headers name no path: see codegen_target"
        );

        let config = Config::parse("schema = \"db\"\n[codegen]\nout = \"app/models\"\n").unwrap();
        let configured = config.codegen_target(None, None);
        assert_eq!(configured.schema, PathBuf::from("db"));
        assert_eq!(configured.out, PathBuf::from("app/models"));
        assert_eq!(configured.options.root, RootFile::Mod);

        let given =
            config.codegen_target(Some(Path::new("other.schema")), Some(Path::new("x/src")));
        assert_eq!(given.schema, PathBuf::from("other.schema"));
        assert_eq!(given.out, PathBuf::from("x/src"));
        assert_eq!(given.options.root, RootFile::Lib);
        assert_eq!(given.options.source, "");
    }

    #[test]
    fn names_json_and_typed_keys_are_read_and_checked() {
        let config = Config::parse(
            "[codegen]\ntyped_keys = false\n[codegen.names]\npeople_data = \"Person\"\n[codegen.json]\n\"trees.definition\" = \"crate::Definition\"\n",
        )
        .unwrap();
        let options = config.codegen.options(String::new(), RootFile::Mod);
        assert!(!options.typed_keys);
        assert_eq!(options.names["people_data"], "Person");
        assert_eq!(options.json["trees.definition"], "crate::Definition");
        assert!(
            Config::default()
                .codegen
                .options(String::new(), RootFile::Mod)
                .typed_keys
        );
        let bad_name = Config::parse("[codegen.names]\nusers = \"not a name\"\n").unwrap_err();
        assert!(bad_name.contains("`not a name`"), "{bad_name}");
        let bad_type = Config::parse("[codegen.json]\n\"a.b\" = \"Vec<\"\n").unwrap_err();
        assert!(bad_type.contains("`Vec<`"), "{bad_type}");
    }

    #[test]
    fn unknown_keys_are_errors_that_name_the_key() {
        let top = Config::parse("schema = \"s\"\nshema = \"x\"\n").unwrap_err();
        assert!(top.contains("unknown field `shema`"), "{top}");
        let nested = Config::parse("[codegen]\nderive = [\"Hash\"]\n").unwrap_err();
        assert!(nested.contains("unknown field `derive`"), "{nested}");
    }

    #[test]
    fn bad_values_are_errors() {
        let time = Config::parse("[codegen]\ntime = \"jiff\"\n").unwrap_err();
        assert!(time.contains("jiff"), "{time}");
        let derive = Config::parse("[codegen]\nderives = [\"not a path\"]\n").unwrap_err();
        assert!(derive.contains("`not a path`"), "{derive}");
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FILE_NAME), "schema = 1\n").unwrap();
        let error = Config::find(dir.path()).unwrap_err().to_string();
        assert!(error.contains("schemac.toml"), "{error}");
    }
}
