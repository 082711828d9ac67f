//! `hitnet report`: one summary (Markdown, or JSON) of the model, the
//! plan, cycles per token and the synth run in the build folder
//! (hitnet_flow::report).
use crate::common::{self, flow_error};
use anyhow::Result;
use hitnet_flow::report::Report;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The run of this config on this target is reported.
    #[command(flatten)]
    pub dir: crate::args::SynthDirArgs,
    /// Tokens the cycle simulator runs to measure cycles per token.
    #[arg(long, default_value_t = 16)]
    pub tokens: u64,
    /// Print one JSON object instead of Markdown.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    hitnet_flow::report::check_tokens(a.tokens).map_err(flow_error)?;
    let (pl, target, out) = a.dir.open()?;
    let r = Report::build(
        &pl.loaded,
        &pl.plan,
        target,
        &out,
        a.dir.design.cfg.config.as_deref(),
        a.tokens,
    )
    .map_err(flow_error)?;
    common::emit(a.json, &r.json(), || r.markdown())?;
    Ok(ExitCode::SUCCESS)
}
