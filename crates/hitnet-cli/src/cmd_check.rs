//! `hitnet check`: validates a config and model, prints formats and widths.
use crate::common;
use anyhow::Result;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub cfg: crate::args::ConfigArg,
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    // The same validation every other command runs: the plan (array shape,
    // lanes) and the target table, so exit 0 here means they accept it.
    // (Config::validate refuses an unknown hw.target, for every command.)
    let pl = common::load_plan(a.cfg.config.as_deref())?;
    let target = common::fpga_target(None, &pl.loaded)?;
    let loaded = &pl.loaded;
    let im = &loaded.int;
    let c = &pl.plan.cycles;
    let f = &im.formats;
    let value = serde_json::json!({
        "ok": true,
        "model": common::model_json(loaded),
        "formats": f,
        "widths": im.widths,
        "target": target.name,
        "cycles_per_token": c.per_token,
    });
    common::emit(a.json, &value, || {
        hitnet_flow::summary::check_text(loaded, &pl.plan, target)
    })?;
    Ok(ExitCode::SUCCESS)
}
