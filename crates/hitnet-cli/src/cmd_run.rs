//! `hitnet run`: the golden model over a seeded random ternary input
//! stream (hitnet_flow::simulate::golden).
use crate::common;
use anyhow::Result;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub stream: crate::args::StreamArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let loaded = common::load_model(a.stream.cfg.config.as_deref())?;
    let r = hitnet_flow::simulate::golden(&loaded, a.stream.seed, a.stream.tokens);
    common::emit(a.json, &r, || r.text(&loaded))?;
    Ok(ExitCode::SUCCESS)
}
