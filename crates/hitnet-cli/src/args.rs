//! Argument groups the commands share (`#[command(flatten)]`), so a flag
//! means the same and reads the same everywhere.
use std::path::PathBuf;

/// `--config`.
#[derive(clap::Args, Debug)]
pub struct ConfigArg {
    /// Config file (TOML); the built-in default config when absent.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// `--config` and `--target`: a config on an FPGA.
#[derive(clap::Args, Debug)]
pub struct DesignArgs {
    #[command(flatten)]
    pub cfg: ConfigArg,
    /// FPGA target (ice40-up5k, ice40-hx8k, ecp5-25k, ecp5-45k, ecp5-85k);
    /// default: hw.target of the config.
    #[arg(long)]
    pub target: Option<String>,
}

/// `--wrapper` and `--clock-mhz` of an FPGA build.
#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    /// uart: the board's UART top (iCEBreaker, iCE40-HX8K Breakout, ULX3S); char: the
    /// characterization wrapper. Default: uart where the target has a board.
    #[arg(long)]
    pub wrapper: Option<String>,
    /// Timing target for place and route in MHz (default: hw.clock_mhz).
    #[arg(long)]
    pub clock_mhz: Option<f64>,
}

/// `--executor` and the SLURM options: where the flow's steps run.
#[derive(clap::Args, Debug)]
pub struct ExecutorArgs {
    /// local: here; slurm: each step a SLURM job (`srun`; the build folder
    /// must be on a path the nodes share; SLURM_CONF as for srun).
    #[arg(long, default_value = "local", value_parser = ["local", "slurm"])]
    pub executor: String,
    /// SLURM partition (default: the cluster's default partition).
    #[arg(long)]
    pub slurm_partition: Option<String>,
    /// Extra srun argument, repeatable (e.g. --srun-arg=--time=02:00:00).
    #[arg(long = "srun-arg", allow_hyphen_values = true)]
    pub srun_args: Vec<String>,
}

impl ExecutorArgs {
    pub fn executor(&self) -> hitnet_fpga::Executor {
        match self.executor.as_str() {
            "slurm" => hitnet_fpga::Executor::Slurm(hitnet_fpga::Slurm {
                partition: self.slurm_partition.clone(),
                extra: self.srun_args.clone(),
            }),
            _ => hitnet_fpga::Executor::Local,
        }
    }
}

/// A flow step named on the command line.
pub fn step(s: &str) -> Result<hitnet_fpga::Step, String> {
    hitnet_fpga::Step::parse(s)
}
