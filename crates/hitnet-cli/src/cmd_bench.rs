//! `hitnet bench`: golden-model tokens/s against a float f32 step of the same
//! size, or (`--sim`) simulated cycles/s of the cycle simulator against
//! Verilator on the same design and stimulus; both measured in the same run,
//! medians of interleaved batches (hitnet_flow::bench).
use crate::common::flow_error;
use anyhow::Result;
use hitnet_flow::bench;
use hitnet_model::config::Config;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Config file; default: the PTB-size 1x300 LSTM with 300 inputs.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Timed batches (the median is reported).
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub batches: u64,
    /// Tokens per batch (1..=100000; each batch's stimulus is held in memory).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub tokens: u64,
    /// Compare the cycle simulator with Verilator instead (PTB-size design on a 16x32 array by default).
    #[arg(long)]
    pub sim: bool,
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let cfg = match &a.config {
        Some(p) => Config::load(p)?,
        None => bench::default_config(a.sim),
    };
    let (json, text) = if a.sim {
        let b = bench::sim_vs_verilator(&cfg, a.batches, a.tokens, true).map_err(flow_error)?;
        (serde_json::to_value(&b)?, b.text())
    } else {
        let b = bench::golden_vs_float(&cfg, a.batches, a.tokens).map_err(flow_error)?;
        (serde_json::to_value(&b)?, b.text())
    };
    crate::common::emit(a.json, &json, || text)?;
    Ok(ExitCode::SUCCESS)
}
