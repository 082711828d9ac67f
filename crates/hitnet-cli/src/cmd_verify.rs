//! `hitnet verify`: the synthesized netlist that goes on to place and
//! route (`--stage synth`), or the placed and routed design (`--stage
//! routed`), simulated with the vendor cell models against the cycle
//! simulator and the golden model (hitnet_flow::verify).
use crate::common::{self, flow_error};
use anyhow::Result;
use hitnet_flow::verify::{Job, Stage};
use hitnet_verify::VerifyError;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StageArg {
    Synth,
    Routed,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub design: crate::args::DesignArgs,
    /// Which artefact to judge: the Yosys netlist (synth) or the routed design.
    #[arg(long, value_enum, default_value_t = StageArg::Synth)]
    pub stage: StageArg,
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub tokens: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Percent of cycles with the output stalled and the input absent (0..=95;
    /// synth stage: the routed stage runs at the pins, paced by the UART).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=95))]
    pub stall_percent: u32,
    /// Build folder (default: build/verify-<target>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// uart: the board's UART top; char: the characterization wrapper.
    #[arg(long)]
    pub wrapper: Option<String>,
    /// Where to write a VCD around the first mismatch.
    #[arg(long)]
    pub vcd: Option<PathBuf>,
    #[command(flatten)]
    pub exec: crate::args::ExecutorArgs,
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn verify_error(e: VerifyError) -> anyhow::Error {
    match e {
        VerifyError::Missing(m) => common::bad_input(m),
        other => anyhow::Error::new(other),
    }
}

pub fn run(a: Args) -> Result<ExitCode> {
    if let Some(v) = &a.vcd {
        common::check_output_file(v, "--vcd")?;
    }
    let pl = common::load_plan(a.design.cfg.config.as_deref())?;
    let target = common::fpga_target(a.design.target.as_deref(), &pl.loaded)?;
    let wrapper = hitnet_flow::wrapper_kind(a.wrapper.as_deref(), target).map_err(flow_error)?;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("build").join(format!("verify-{}", target.name)));
    let job = Job {
        loaded: &pl.loaded,
        plan: &pl.plan,
        target,
        wrapper,
        stage: match a.stage {
            StageArg::Synth => Stage::Synth,
            StageArg::Routed => Stage::Routed,
        },
        out: &out,
        tokens: a.tokens,
        seed: a.seed,
        stall_percent: a.stall_percent,
        vcd: a
            .vcd
            .clone()
            .unwrap_or_else(|| out.join("verify_mismatch.vcd")),
        progress: hitnet_fpga::Progress::Stderr,
        executor: a.exec.executor(),
    };
    let v = hitnet_flow::verify::run(&job).map_err(flow_error)?;
    if a.json {
        common::print_json(&v.json())?;
    } else {
        crate::outln!("model:   {}", common::model_line(&pl.loaded));
        crate::out!("{}", v.text(&job));
    }
    let (mismatches, first) = v.mismatches();
    let what = match a.stage {
        StageArg::Synth => "netlist verification",
        StageArg::Routed => "routed verification",
    };
    common::verdict(what, v.bit_exact(), mismatches, first)
}
