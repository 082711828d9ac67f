//! Typed errors of the model crate. Every variant names the file and the key,
//! tensor or value at fault, so the CLI can print one actionable line.
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A config file could not be parsed or failed validation.
    #[error("{file}: {msg}")]
    Config { file: String, msg: String },
    /// A value is out of range (config or API caller).
    #[error("invalid value for `{key}`: {msg}")]
    Invalid { key: String, msg: String },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A model file is malformed.
    #[error("{file}: {msg}")]
    ModelFile { file: String, msg: String },
    /// A safetensors import failed; `tensor` names the tensor at fault.
    #[error("{file}: tensor `{tensor}`: {msg}")]
    Import {
        file: String,
        tensor: String,
        msg: String,
    },
}

impl ModelError {
    pub fn invalid(key: impl Into<String>, msg: impl Into<String>) -> Self {
        ModelError::Invalid {
            key: key.into(),
            msg: msg.into(),
        }
    }
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ModelError::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = ModelError> = std::result::Result<T, E>;
