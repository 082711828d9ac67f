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
    let design = hitnet_rtl::generate_with(&pl.plan, common::config_json(&pl.loaded), bram);
    design
        .write(&a.out)
        .with_context(|| format!("writing the design to {}", a.out.display()))?;
    let secs = t0.elapsed().as_secs_f64();
    let p = &pl.plan;
    let c = &p.cycles;
    if a.json {
        common::print_json(&serde_json::json!({
            "out": a.out,
            "top": hitnet_rtl::TOP,
            "files": design.files.iter().map(|(n, b)| serde_json::json!({"name": n, "bytes": b.len()})).collect::<Vec<_>>(),
            "weight_bram": design.manifest["memories"]["weight_bram"],
            "cycles_per_token": c.per_token,
            "bound_cycles_per_token": c.bound_per_token,
            "utilization": c.utilization,
            "seconds": secs,
        }))?;
    } else {
        crate::outln!("model:   {}", common::model_line(&pl.loaded));
        crate::outln!(
            "array:   {} rows x {} cols, {} post/element-wise lane(s), adder tree depth {}",
            p.rows,
            p.cols,
            p.lanes,
            p.tree_depth
        );
        crate::outln!(
            "memory:  {} weight banks x {} words x {} bits; {} bias and {} state words per lane",
            p.rows,
            p.weight_depth,
            2 * p.cols,
            p.bias_depth,
            p.state_depth
        );
        let wb = &design.manifest["memories"]["weight_bram"];
        if wb["primitive"] == "DP16KD" {
            crate::outln!(
                "         weights in {} DP16KD ({}-bit mode, output register on)",
                wb["blocks"],
                wb["width"]
            );
        } else if bram == hitnet_rtl::Bram::Dp16kd {
            crate::outln!("         weights in inferred block RAM: a bank deeper than 2048 words has no DP16KD mapping here");
        }
        crate::outln!(
            "cycles:  {} per token (bound {:.1}, utilization {:.1}%)",
            c.per_token,
            c.bound_per_token,
            100.0 * c.utilization
        );
        crate::outln!("         {}", c.formula);
        crate::outln!(
            "wrote:   {} ({} files + manifest.json) in {:.2} s",
            a.out.display(),
            design.files.len(),
            secs
        );
    }
    Ok(ExitCode::SUCCESS)
}
