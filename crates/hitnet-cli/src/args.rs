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
    /// Config file (TOML); the built-in default config when absent.
    #[arg(long)]
    pub config: Option<PathBuf>,
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
