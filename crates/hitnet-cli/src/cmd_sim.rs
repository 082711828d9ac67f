//! `hitnet sim`: the cycle-accurate simulator over a seeded random
//! stream, every output checked against the golden model
//! (hitnet_flow::simulate::simulate).
use crate::common;
use anyhow::Result;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub cfg: crate::args::ConfigArg,
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub tokens: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Clock for tokens/s (default: hw.clock_mhz of the config).
    #[arg(long)]
    pub clock_mhz: Option<f64>,
    /// Percent of cycles with the output stalled and the input absent (0..=95).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=95))]
    pub stall_percent: u32,
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let pl = common::load_plan(a.cfg.config.as_deref())?;
    // The range hw.clock_mhz has: a number beyond it is a typo, not a clock.
    let clock = hitnet_flow::check_clock(a.clock_mhz.unwrap_or(pl.loaded.config.hw.clock_mhz))
        .map_err(crate::common::flow_error)?;
    let pb = common::bar(a.tokens, "simulating");
    let r = hitnet_flow::simulate::simulate(
        &pl.plan,
        &pl.loaded,
        a.seed,
        a.tokens,
        a.stall_percent,
        clock,
        &|| pb.inc(1),
    );
    pb.finish_and_clear();
    if a.json {
        common::print_json(&serde_json::to_value(&r)?)?;
    } else {
        crate::out!("{}", r.text(&pl.plan, &pl.loaded));
    }
    Ok(if r.matches_golden {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
