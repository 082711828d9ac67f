//! `hitnet cosim`: golden model = cycle simulator = Verilated RTL, every
//! output and every cycle.
use crate::common;
use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub cfg: crate::args::ConfigArg,
    /// Tokens to co-simulate. At most 1,000,000: the RTL bench reads its
    /// whole stimulus from a file and every beat is compared after the run,
    /// so memory grows with this (`sim` streams, for longer runs).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub tokens: u64,
    #[command(flatten)]
    pub stimulus: crate::args::StimulusArgs,
    /// Where to write a VCD trace around the first mismatch.
    #[arg(long)]
    pub vcd: Option<PathBuf>,
    /// Weight-bank block RAM: auto follows hw.target of the config.
    #[arg(long, value_enum, default_value_t = common::BramArg::Auto)]
    pub bram: common::BramArg,
    /// Use this generated design folder (from `hitnet gen`) instead of generating one.
    #[arg(long)]
    pub design: Option<PathBuf>,
    /// C++ optimisation level of the Verilated model (0..=3).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=3))]
    pub opt: u32,
    /// Start every register and memory of the RTL from random bits of this
    /// seed (Verilator --x-initial unique) instead of zero: shows a design
    /// that reads state its reset never sets. SEED in 1..=2147483647.
    #[arg(long, value_name = "SEED", value_parser = clap::value_parser!(u32).range(1..=i32::MAX as i64))]
    pub random_init: Option<u32>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    if let Some(v) = &a.vcd {
        common::check_output_file(v, "--vcd")?;
    }
    let pl = common::load_plan(a.cfg.config.as_deref())?;
    let job = hitnet_flow::cosim::Job {
        loaded: &pl.loaded,
        plan: &pl.plan,
        bram: a.bram.resolve(&pl.loaded),
        design: a.design.as_deref(),
        stimulus: a.stimulus.spec(
            a.tokens,
            a.vcd
                .clone()
                .unwrap_or_else(|| PathBuf::from("cosim_mismatch.vcd")),
        ),
        opt: a.opt,
        random_init: a.random_init,
        progress: true,
    };
    let r = hitnet_flow::cosim::run(&job).map_err(common::flow_error)?;
    let (model, stall) = (
        common::model_line(&pl.loaded),
        a.stimulus.stall.stall_percent,
    );
    let stimulus = format!(
        "{} tokens, seed {}, {stall}% stall",
        a.tokens, a.stimulus.seed
    );
    common::emit(a.json, &r, || {
        format!("model:   {model}\nstimulus: {stimulus}\n{}", r.text())
    })?;
    common::verdict(
        "co-simulation",
        r.bit_exact,
        r.mismatches,
        r.first.map(|m| m.to_string()),
    )
}
