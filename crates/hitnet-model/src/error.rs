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

/// Checks that the value `v` of `key` is in [lo, hi] (a float that is not
/// finite never is); the error says so in the words of every range check.
pub fn check_range<T: PartialOrd + std::fmt::Display>(key: &str, v: T, lo: T, hi: T) -> Result<()> {
    if lo <= v && v <= hi {
        Ok(())
    } else {
        Err(ModelError::invalid(
            key,
            format!("{v} is not in [{lo}, {hi}]"),
        ))
    }
}

/// The largest config file read (a config is a few hundred bytes).
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;
/// The largest model file read (JSON or safetensors): 256 MiB, a float32
/// checkpoint of 64 M parameters, far above what any target holds.
pub const MAX_MODEL_BYTES: u64 = 256 << 20;
/// Largest training corpus read (PTB's training split is 5 MB,
/// tinyshakespeare 1 MB, enwik9 1 GB).
pub const MAX_CORPUS_BYTES: u64 = 2 << 30;
/// Largest training checkpoint read: f32 weights and two Adam moments,
/// 12 bytes a parameter; `train --hidden 4096 --embed 4096` makes ~1.6 GB.
pub const MAX_CHECKPOINT_BYTES: u64 = 2 << 30;
/// What is read from something that is not a regular file (a device, a
/// pipe), whatever the limit: /dev/zero never ends, and its size is not
/// known before reading.
pub const MAX_STREAM_BYTES: u64 = 256 << 20;

/// Reads at most `limit` bytes of `path`; a longer file is refused, naming
/// it and the limit. A regular file is measured before it is read (a file
/// over the limit costs nothing); anything else is read up to
/// [`MAX_STREAM_BYTES`] at most.
pub fn read_limited(path: &std::path::Path, limit: u64, what: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| ModelError::io(path, e))?;
    let meta = f.metadata().map_err(|e| ModelError::io(path, e))?;
    let limit = if meta.is_file() {
        limit
    } else {
        limit.min(MAX_STREAM_BYTES)
    };
    let too_big = || ModelError::ModelFile {
        file: path.display().to_string(),
        msg: format!(
            "larger than {} MiB, the limit for a {what}; is this the right file?",
            limit >> 20
        ),
    };
    if meta.is_file() && meta.len() > limit {
        return Err(too_big());
    }
    let mut buf = Vec::new();
    f.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| ModelError::io(path, e))?;
    if buf.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(buf)
}

/// [`read_limited`] as UTF-8 text.
pub fn read_limited_text(path: &std::path::Path, limit: u64, what: &str) -> Result<String> {
    let b = read_limited(path, limit, what)?;
    String::from_utf8(b).map_err(|e| ModelError::ModelFile {
        file: path.display().to_string(),
        msg: format!(
            "not UTF-8 text (byte {}); a {what} is text",
            e.utf8_error().valid_up_to()
        ),
    })
}
