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

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub design: crate::args::DesignArgs,
    /// Which artefact to judge: the Yosys netlist (synth) or the routed design.
    #[arg(long, default_value = "synth", value_parser = Stage::parse)]
    pub stage: Stage,
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub tokens: u64,
    #[command(flatten)]
    pub stimulus: crate::args::StimulusArgs,
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
    /// Judge the build folder --out as it is (e.g. one `hitnet deploy`
    /// wrote): run no flow step; it must hold this config's design.
    #[arg(long)]
    pub built: bool,
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
        stage: a.stage,
        out: &out,
        tokens: a.tokens,
        seed: a.stimulus.seed,
        stall_percent: a.stimulus.stall.stall_percent,
        vcd: a
            .vcd
            .clone()
            .unwrap_or_else(|| out.join("verify_mismatch.vcd")),
        progress: hitnet_fpga::Progress::Stderr,
        executor: a.exec.executor(),
        built: a.built,
    };
    let v = hitnet_flow::verify::run(&job).map_err(flow_error)?;
    let model = common::model_line(&pl.loaded);
    common::emit(a.json, &v.json(), || {
        format!("model:   {model}\n{}", v.text(&job))
    })?;
    let (mismatches, first) = v.mismatches();
    common::verdict(a.stage.verification(), v.bit_exact(), mismatches, first)
}
