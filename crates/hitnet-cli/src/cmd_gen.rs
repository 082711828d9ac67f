//! `hitnet gen`: the accelerator as Verilog, memory images and manifest.json.
use crate::common;
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub cfg: crate::args::ConfigArg,
    /// Output folder (replaced atomically; refused if it holds other files).
    #[arg(long)]
    pub out: PathBuf,
    /// Weight-bank block RAM: auto follows hw.target of the config.
    #[arg(long, value_enum, default_value_t = common::BramArg::Auto)]
    pub bram: common::BramArg,
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let t0 = std::time::Instant::now();
    let pl = common::load_plan(a.cfg.config.as_deref())?;
    let bram = a.bram.resolve(&pl.loaded);
    // With [lm], hitnet_lm around the core.
    let design = hitnet_flow::lm::generate(&pl, common::config_json(&pl.loaded), bram, false)
        .map_err(common::flow_error)?;
    design
        .write(&a.out)
        .with_context(|| format!("writing the design to {}", a.out.display()))?;
    let secs = t0.elapsed().as_secs_f64();
    let p = &pl.plan;
    let c = &p.cycles;
    let value = serde_json::json!({
        "out": a.out,
        "top": design.manifest["top"],
        "files": design.files.iter().map(|(n, b)| serde_json::json!({"name": n, "bytes": b.len()})).collect::<Vec<_>>(),
        "weight_bram": design.manifest["memories"]["weight_bram"],
        "cycles_per_token": c.per_token,
        "bound_cycles_per_token": c.bound_per_token,
        "utilization": c.utilization,
        "seconds": secs,
    });
    common::emit(a.json, &value, || {
        hitnet_flow::summary::gen_text(&pl.loaded, &pl.plan, &design, bram, &a.out, secs)
    })?;
    Ok(ExitCode::SUCCESS)
}
