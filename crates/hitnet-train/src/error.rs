//! Typed errors of the training crate. Every variant that concerns a file
//! names it, so the CLI prints one actionable line.
use hitnet_model::ModelError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The corpus cannot be used (empty, binary, too short).
    #[error("{file}: {msg}")]
    Corpus { file: String, msg: String },
    /// The corpus has tokens the model's vocabulary does not know.
    #[error("{file}: vocabulary mismatch: {msg}")]
    Vocab { file: String, msg: String },
    /// A checkpoint is unreadable, truncated or from something else.
    #[error("{file}: corrupt or foreign checkpoint: {msg}")]
    Checkpoint { file: String, msg: String },
    /// A model cannot be used as a language model (no embedding, ...).
    #[error("{file}: {msg}")]
    NotLm { file: String, msg: String },
    /// A UEA/UCR `.ts` time-series file is malformed or not a
    /// classification set; `line` is 1-based.
    #[error("{file}:{line}: {msg}")]
    Ts {
        file: String,
        line: usize,
        msg: String,
    },
    /// A value out of range (a training option too) or a failed read or
    /// write: the model crate's `Invalid` and `Io`, which say it the same way.
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("tensor library: {0}")]
    Candle(#[from] candle_core::Error),
    /// `--resume` without a loadable checkpoint.
    #[error("--resume needs the checkpoint of an earlier run")]
    ResumeLoad(#[source] Box<TrainError>),
    /// `--resume` with options (other than the epochs) that differ from
    /// the run saved in `checkpoint`.
    #[error(
        "{}: the options differ from the checkpoint's run ({}); --resume continues the same run, only --epochs may change",
        checkpoint.display(),
        serde_json::to_string(saved).unwrap_or_default()
    )]
    ResumeDiffers {
        checkpoint: PathBuf,
        saved: Box<crate::net::TrainConfig>,
    },
    /// Training diverged (a non-finite loss).
    #[error("training diverged at step {step}: the loss is {loss}; lower --lr or --clip")]
    Diverged { step: u64, loss: f32 },
}

impl TrainError {
    pub fn invalid(key: impl Into<String>, msg: impl Into<String>) -> Self {
        ModelError::invalid(key, msg).into()
    }
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ModelError::io(path, source).into()
    }
}

pub type Result<T, E = TrainError> = std::result::Result<T, E>;
