//! `hitnet synth`: generate the accelerator, wrap it for a board (or the
//! characterization wrapper), run Yosys + nextpnr, report resources, Fmax
//! and tokens per second. docs/fpga-flow.md describes the build folder.
use crate::common::{self, flow_error};
use anyhow::Result;
use hitnet_flow::synth::Job;
use hitnet_fpga::Progress;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub dir: crate::args::SynthDirArgs,
    #[command(flatten)]
    pub build: crate::args::BuildArgs,
    /// Stop after place and route (no bitstream); the same as --to pnr.
    #[arg(long)]
    pub no_bitstream: bool,
    /// First flow step to run (synth, verify, pnr, pack): the earlier ones
    /// are read back from --out, which must hold them, run on the same
    /// inputs (e.g. --from pnr --seed 2 places again without synthesizing).
    #[arg(long, default_value = "synth", value_parser = crate::args::step)]
    pub from: hitnet_fpga::Step,
    /// Last flow step to run: pnr or pack.
    #[arg(long, default_value = "pack", value_parser = crate::args::step)]
    pub to: hitnet_fpga::Step,
    #[command(flatten)]
    pub exec: crate::args::ExecutorArgs,
    /// nextpnr placement seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Tokens of the netlist check after synthesis (iCE40 targets; 0: skip it).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pub verify_tokens: u64,
    /// Build with random placeholder images in every memory that holds
    /// model parameters, then deploy the model into the placed design
    /// (icebram's rule on the iCE40 .asc, ecpbram's on the ECP5 .config,
    /// then pack): `hitnet deploy` can later put another model of the
    /// same shape into the build without place and route.
    #[arg(long)]
    pub deployable: bool,
    /// Print one JSON object (the SynthReport plus cycles and tokens/s) instead of the table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let (pl, target, out) = a.dir.open()?;
    let wrapper =
        hitnet_flow::wrapper_kind(a.build.wrapper.as_deref(), target).map_err(flow_error)?;
    let clock =
        hitnet_flow::check_clock(a.build.clock_mhz.unwrap_or(pl.loaded.config.hw.clock_mhz))
            .map_err(flow_error)?;
    hitnet_flow::prepare_out(&out).map_err(flow_error)?;
    let job = Job {
        loaded: &pl.loaded,
        plan: &pl.plan,
        config_json: common::config_json(&pl.loaded),
        target,
        wrapper,
        out: &out,
        clock_mhz: clock,
        from: a.from,
        to: if a.no_bitstream {
            a.to.min(hitnet_fpga::Step::Pnr)
        } else {
            a.to
        },
        executor: a.exec.executor(),
        progress: Progress::Stderr,
        seed: a.seed,
        verify_tokens: a.verify_tokens,
        deployable: a.deployable,
    };
    let o = hitnet_flow::synth::run(&job).map_err(flow_error)?;
    let model = common::model_line(&pl.loaded);
    common::emit(a.json, &o.summary, || {
        format!("model:   {model}\n{}", o.text())
    })?;
    Ok(ExitCode::SUCCESS)
}
