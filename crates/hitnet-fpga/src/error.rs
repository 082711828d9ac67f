//! Errors of the FPGA flow. A design that does not fit or misses its timing
//! target is not an error (see [`crate::SynthReport`]); these are the cases
//! where the flow could not produce a trustworthy result at all.

use std::path::PathBuf;

/// Result alias of this crate.
pub type Result<T, E = FpgaError> = std::result::Result<T, E>;

/// Everything that can stop the flow. Messages name the tool, the file and
/// what to do.
#[derive(Debug, thiserror::Error)]
pub enum FpgaError {
    /// `Target::from_name` got a name it does not know.
    #[error("unknown FPGA target '{name}'; valid targets: {valid}")]
    UnknownTarget { name: String, valid: String },

    /// A tool is not on PATH.
    #[error("'{tool}' not found on PATH; {hint}")]
    ToolMissing { tool: String, hint: String },

    /// A tool ran and failed in a way that is not "the design does not fit".
    #[error("{tool} failed ({status}){detail}; see its log {log}")]
    ToolFailed {
        tool: String,
        status: String,
        /// The tool's own error line, prefixed with ": ", or empty.
        detail: String,
        log: PathBuf,
    },

    /// A tool finished but its report is missing or cannot be parsed.
    #[error("cannot read the report {path} written by {tool}: {reason}; see its log {log}")]
    ReportUnreadable {
        tool: String,
        path: PathBuf,
        reason: String,
        log: PathBuf,
    },

    /// The design description is unusable (missing file, name clash, bad value).
    #[error("invalid design: {0}")]
    InvalidDesign(String),

    /// Reading or writing a file of the flow failed.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The executor could not run a step (SLURM absent, submission refused,
    /// a job that left no output).
    #[error("{executor} executor: job {job}: {reason}; {hint}")]
    Executor {
        executor: &'static str,
        job: String,
        reason: String,
        hint: String,
    },

    /// `--from STEP` asked to resume a build folder that cannot be resumed
    /// there (an earlier step missing, failed, or run on other inputs).
    #[error("cannot resume {dir} from {step}: {reason}; run the flow from an earlier step")]
    Resume {
        dir: PathBuf,
        step: &'static str,
        reason: String,
    },

    /// The UART co-simulation ran but did not finish as expected.
    #[error("co-simulation failed: {reason}; see {log}")]
    Cosim { reason: String, log: PathBuf },
}

impl FpgaError {
    /// Wraps an I/O error with what was being done and to which file.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        FpgaError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
