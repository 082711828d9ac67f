//! `hitnet sim`: the cycle-accurate simulator over a seeded random
//! stream, every output checked against the golden model
//! (hitnet_flow::simulate::simulate).
use crate::common;
use anyhow::Result;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub stream: crate::args::StreamArgs,
    /// Clock for tokens/s (default: hw.clock_mhz of the config).
    #[arg(long)]
    pub clock_mhz: Option<f64>,
    #[command(flatten)]
    pub stall: crate::args::StallArg,
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let pl = common::load_plan(a.stream.cfg.config.as_deref())?;
    // The range hw.clock_mhz has: a number beyond it is a typo, not a clock.
    let clock = hitnet_flow::check_clock(a.clock_mhz.unwrap_or(pl.loaded.config.hw.clock_mhz))
        .map_err(crate::common::flow_error)?;
    let pb = common::bar(a.stream.tokens, "simulating");
    let r = hitnet_flow::simulate::simulate(
        &pl.plan,
        &pl.loaded,
        a.stream.seed,
        a.stream.tokens,
        a.stall.stall_percent,
        clock,
        &|| pb.inc(1),
    );
    pb.finish_and_clear();
    common::emit(a.json, &r, || r.text(&pl.plan, &pl.loaded))?;
    Ok(if r.matches_golden {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
