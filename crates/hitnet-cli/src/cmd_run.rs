//! `hitnet run`: the golden model over a seeded random ternary input
//! stream (hitnet_flow::simulate::golden).
use crate::common;
use anyhow::Result;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub cfg: crate::args::ConfigArg,
    /// Number of input vectors (tokens) to run.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub tokens: u64,
    /// Seed of the random input stream.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let loaded = common::load_model(a.cfg.config.as_deref())?;
    let r = hitnet_flow::simulate::golden(&loaded, a.seed, a.tokens);
    if a.json {
        common::print_json(&serde_json::to_value(&r)?)?;
    } else {
        crate::out!("{}", r.text(&loaded));
    }
    Ok(ExitCode::SUCCESS)
}
