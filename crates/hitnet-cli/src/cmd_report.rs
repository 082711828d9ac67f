//! `hitnet report`: one summary (Markdown, or JSON) of the model, the
//! plan, cycles per token and the synth run in the build folder
//! (hitnet_flow::report).
use crate::common::{self, flow_error};
use anyhow::Result;
use hitnet_flow::report::Report;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The run of this config on this target is reported.
    #[command(flatten)]
    pub design: crate::args::DesignArgs,
    /// Build folder of that run (default: build/<target>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Tokens the cycle simulator runs to measure cycles per token.
    #[arg(long, default_value_t = 16)]
    pub tokens: u64,
    /// Print one JSON object instead of Markdown.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    hitnet_flow::report::check_tokens(a.tokens).map_err(flow_error)?;
    let pl = common::load_plan(a.design.cfg.config.as_deref())?;
    let target = common::fpga_target(a.design.target.as_deref(), &pl.loaded)?;
    let dir = a
        .out
        .clone()
        .unwrap_or_else(|| common::default_build_dir(target));
    let r = Report::build(
        &pl.loaded,
        &pl.plan,
        target,
        &dir,
        a.design.cfg.config.as_deref(),
        a.tokens,
    )
    .map_err(flow_error)?;
    if a.json {
        common::print_json(&r.json())?;
    } else {
        crate::out!("{}", r.markdown());
    }
    Ok(ExitCode::SUCCESS)
}
