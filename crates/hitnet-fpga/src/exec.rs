//! Where a flow step's script runs: here ([`Executor::Local`]) or as a job
//! of a SLURM cluster ([`Executor::Slurm`], `srun`; SiliconCompiler uses
//! SLURM for the same work). A step is a shell script in its
//! build folder; the folder must be on a path every node sees.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::error::{FpgaError, Result};

/// How a script ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Exited(i32),
    /// Killed by this signal (local runs only: SLURM reports a signalled
    /// job as exit status 1).
    Signal(i32),
    Unknown,
}

impl Status {
    pub fn success(self) -> bool {
        self == Status::Exited(0)
    }

    /// What the step reports say ("exit status 1", "killed by signal 9").
    pub fn text(self) -> String {
        match self {
            // The shell reports a child killed by signal n as 128 + n.
            Status::Exited(c @ 129..=159) => {
                format!("exit status {c}: crashed or killed by signal {}", c - 128)
            }
            Status::Exited(c) => format!("exit status {c}"),
            Status::Signal(s) => format!("killed by signal {s}"),
            Status::Unknown => "no exit status".into(),
        }
    }

    fn of(s: std::process::ExitStatus) -> Status {
        if let Some(c) = s.code() {
            return Status::Exited(c);
        }
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            if let Some(sig) = s.signal() {
                return Status::Signal(sig);
            }
        }
        Status::Unknown
    }
}

/// One script to run: `sh <script>` in `dir` with `env` set.
#[derive(Debug, Clone)]
pub struct ScriptJob<'a> {
    /// Job name (SLURM `--job-name`): the build folder and the step.
    pub name: String,
    /// The step (synth, pnr, pack): names the SLURM output file.
    pub step: &'a str,
    pub dir: &'a Path,
    pub script: &'a str,
    pub env: Vec<(&'static str, String)>,
}

/// What running a script gave.
#[derive(Debug, Clone)]
pub struct Ran {
    pub status: Status,
    pub seconds: f64,
    /// stdout + stderr of the script (the tools log to files; this holds
    /// the script's own messages and anything a crashing tool printed).
    pub console: String,
}

/// A SLURM cluster to submit the steps to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slurm {
    /// `--partition`; None: the cluster's default.
    pub partition: Option<String>,
    /// Extra `srun` arguments (e.g. `--time=02:00:00`, `--mem=8G`).
    pub extra: Vec<String>,
}

/// Where steps run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Executor {
    /// A child process of this one.
    #[default]
    Local,
    Slurm(Slurm),
}

/// The file a SLURM job's console (stdout and stderr) is kept in, in the
/// build folder.
pub fn slurm_output(step: &str) -> String {
    format!("{step}.slurm.out")
}

impl Executor {
    pub fn name(&self) -> &'static str {
        match self {
            Executor::Local => "local",
            Executor::Slurm(_) => "slurm",
        }
    }

    /// Checks that the executor can take jobs (for SLURM: the commands are
    /// installed and the controller answers), so that a sweep fails at once
    /// with a clear message instead of in every job.
    pub fn check(&self) -> Result<()> {
        match self {
            Executor::Local => Ok(()),
            Executor::Slurm(_) => {
                crate::tools::require("srun").map_err(|_| FpgaError::Executor {
                    executor: "slurm",
                    job: "-".into(),
                    reason: "srun is not on PATH".into(),
                    hint: "install SLURM's client commands (Debian: slurm-client) or use --executor local".into(),
                })?;
                let out = Command::new("scontrol")
                    .arg("ping")
                    .stdin(Stdio::null())
                    .output()
                    .map_err(|e| FpgaError::Executor {
                        executor: "slurm",
                        job: "-".into(),
                        reason: format!("cannot run scontrol: {e}"),
                        hint: "install SLURM's client commands (Debian: slurm-client)".into(),
                    })?;
                let text = String::from_utf8_lossy(&out.stdout).into_owned()
                    + &String::from_utf8_lossy(&out.stderr);
                // `scontrol ping` says "Slurmctld(primary) at host is UP".
                if out.status.success() && text.contains("is UP") {
                    Ok(())
                } else {
                    Err(FpgaError::Executor {
                        executor: "slurm",
                        job: "-".into(),
                        reason: format!(
                            "the SLURM controller does not answer (scontrol ping: {})",
                            one_line(&text)
                        ),
                        hint: "start the cluster (for a local one: scripts/slurm-cluster start DIR, then export SLURM_CONF) or use --executor local".into(),
                    })
                }
            }
        }
    }

    /// Runs `job` and waits for it.
    pub fn run(&self, job: &ScriptJob) -> Result<Ran> {
        match self {
            Executor::Local => run_local(job),
            Executor::Slurm(s) => run_slurm(s, job),
        }
    }
}

fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

fn run_local(job: &ScriptJob) -> Result<Ran> {
    let start = Instant::now();
    let out = Command::new("sh")
        .arg(job.script)
        .current_dir(job.dir)
        .envs(job.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| FpgaError::io("cannot run sh for", job.dir.join(job.script), e))?;
    Ok(Ran {
        status: Status::of(out.status),
        seconds: start.elapsed().as_secs_f64(),
        console: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    })
}

/// `srun`: blocks until the job ends and returns its exit status, with
/// the job's output on its own stdout and stderr; it notices the end within
/// a fraction of a second (`sbatch --wait` polls at 2, 10, 42 s and then
/// every 32 s). An allocation that fails never starts the script.
fn run_slurm(s: &Slurm, job: &ScriptJob) -> Result<Ran> {
    let output: PathBuf = job.dir.join(slurm_output(job.step));
    let mut cmd = Command::new("srun");
    cmd.args(["--ntasks=1", "--cpus-per-task=1", "--quiet"])
        .arg(format!("--job-name={}", job.name))
        .arg(format!("--chdir={}", job.dir.display()))
        .arg("--export=ALL");
    if let Some(p) = &s.partition {
        cmd.arg(format!("--partition={p}"));
    }
    cmd.args(&s.extra)
        .args(["sh", job.script])
        .current_dir(job.dir)
        .envs(job.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null());
    let start = Instant::now();
    let out = cmd.output().map_err(|e| FpgaError::Executor {
        executor: "slurm",
        job: job.name.clone(),
        reason: format!("cannot run srun: {e}"),
        hint: "install SLURM's client commands (Debian: slurm-client) or use --executor local"
            .into(),
    })?;
    let seconds = start.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // srun's own complaints (not the job's output): "srun: error: Unable to
    // allocate resources: ...", "srun: fatal: ...". "task 0: Exited with
    // exit code N" only reports the job's status.
    let refused: Vec<&str> = stderr
        .lines()
        .filter(|l| {
            (l.starts_with("srun: error:") || l.starts_with("srun: fatal:"))
                && !l.contains("Exited with exit code")
                && !l.contains("Terminated")
        })
        .collect();
    let console = format!("{stdout}{stderr}");
    // Kept as the step's console log, like a batch job's output file.
    let _ = std::fs::write(&output, &console);
    if !out.status.success() && !refused.is_empty() {
        return Err(FpgaError::Executor {
            executor: "slurm",
            job: job.name.clone(),
            reason: format!("srun failed: {}", refused.join("; ")),
            hint: format!(
                "see {}; check the cluster with sinfo and scontrol ping; the build folder must be on a path the nodes share",
                output.display()
            ),
        });
    }
    Ok(Ran {
        status: Status::of(out.status),
        seconds,
        console,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_texts() {
        assert_eq!(Status::Exited(0).text(), "exit status 0");
        assert!(Status::Exited(0).success());
        assert!(!Status::Exited(1).success());
        assert_eq!(
            Status::Exited(137).text(),
            "exit status 137: crashed or killed by signal 9"
        );
        assert_eq!(Status::Signal(11).text(), "killed by signal 11");
    }

    #[test]
    fn local_runs_the_script_in_its_folder_with_env() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("s.sh"),
            "echo \"$FOO $(basename $PWD)\"; exit 3\n",
        )
        .unwrap();
        let r = Executor::Local
            .run(&ScriptJob {
                name: "t".into(),
                step: "synth",
                dir: d.path(),
                script: "s.sh",
                env: vec![("FOO", "bar".into())],
            })
            .unwrap();
        assert_eq!(r.status, Status::Exited(3));
        let base = d.path().file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(r.console.trim(), format!("bar {base}"));
    }
}
