//! Argument groups the commands share (`#[command(flatten)]`), so a flag
//! means the same and reads the same everywhere.
use crate::common::{self, Planned};
use std::path::{Path, PathBuf};

/// `--config`.
#[derive(clap::Args, Debug)]
pub struct ConfigArg {
    /// Config file (TOML); the built-in default config when absent.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// `--config`, `--tokens` and `--seed`: a model over a seeded random
/// ternary input stream (run, sim).
#[derive(clap::Args, Debug)]
pub struct StreamArgs {
    #[command(flatten)]
    pub cfg: ConfigArg,
    /// Number of input vectors (tokens) to run.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub tokens: u64,
    /// Seed of the random input stream.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// `--stall-percent`: back-pressure and input gaps (sim, cosim, verify).
#[derive(clap::Args, Debug)]
pub struct StallArg {
    /// Percent of cycles with the output stalled and the input absent
    /// (0..=95; verify --stage routed runs at the pins, paced by the UART).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=95))]
    pub stall_percent: u32,
}

/// `--seed` and `--stall-percent`: the seeded random token stream a
/// design is checked on and its port behaviour (cosim, verify).
#[derive(clap::Args, Debug)]
pub struct StimulusArgs {
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[command(flatten)]
    pub stall: StallArg,
}

impl StimulusArgs {
    /// `tokens` inputs of these options, a mismatch's VCD at `vcd`.
    pub fn spec(&self, tokens: u64, vcd: std::path::PathBuf) -> hitnet_flow::StimulusSpec {
        hitnet_flow::StimulusSpec {
            tokens,
            seed: self.seed,
            stall_percent: self.stall.stall_percent,
            vcd,
        }
    }
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

/// `--config`, `--target` and the build folder `--out` of `hitnet synth`
/// (and `report`, which reads it).
#[derive(clap::Args, Debug)]
pub struct SynthDirArgs {
    #[command(flatten)]
    pub design: DesignArgs,
    /// Build folder (default: build/<target>).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

impl SynthDirArgs {
    /// The design's plan, its target and the build folder.
    pub fn open(&self) -> anyhow::Result<(Planned, &'static hitnet_fpga::Target, PathBuf)> {
        let pl = common::load_plan(self.design.cfg.config.as_deref())?;
        let target = common::fpga_target(self.design.target.as_deref(), &pl.loaded)?;
        let out = (self.out.clone()).unwrap_or_else(|| Path::new("build").join(target.name));
        Ok((pl, target, out))
    }
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
