//! `hitnet explore`: synthesizes one config at several array shapes, each
//! in its own build folder, in parallel (hitnet_flow::explore); prints the
//! Markdown table, or JSON, and where the tables and the plot went.
use crate::common::{self, flow_error};
use anyhow::Result;
use hitnet_flow::explore::{self, Sweep};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub design: crate::args::DesignArgs,
    /// Array shapes ROWSxCOLS, comma-separated: 8x8,8x16,16x16.
    #[arg(long, required_unless_present_any = ["best", "estimate_only"], conflicts_with = "best")]
    pub shapes: Option<String>,
    /// Build the N shapes the resource model ranks best (fewest cycles per
    /// token among those estimated to fit; ice40-up5k).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=64))]
    pub best: Option<u64>,
    /// Print the resource model's ranking of every candidate shape; build nothing.
    #[arg(long, conflicts_with = "shapes")]
    pub estimate_only: bool,
    /// Builds run at the same time (each runs yosys, then nextpnr; with
    /// --executor slurm, builds in the cluster's queue at once).
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Folder for the tables, the plot and one build folder per shape
    /// (default: build/explore-<target>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub build: crate::args::BuildArgs,
    /// Also write bitstreams (off by default: the sweep measures).
    #[arg(long)]
    pub bitstream: bool,
    #[command(flatten)]
    pub exec: crate::args::ExecutorArgs,
    /// Print one JSON object (every shape) instead of the Markdown table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let loaded = common::load_model(a.design.cfg.config.as_deref())?;
    let target = common::fpga_target(a.design.target.as_deref(), &loaded)?;
    let wrapper =
        hitnet_flow::wrapper_kind(a.build.wrapper.as_deref(), target).map_err(flow_error)?;
    let clock = hitnet_flow::check_clock(a.build.clock_mhz.unwrap_or(loaded.config.hw.clock_mhz))
        .map_err(flow_error)?;
    let best = a.best.map(|n| n as usize);
    let picked = explore::pick_shapes(a.shapes.as_deref(), best, &loaded, target, wrapper, clock)
        .map_err(flow_error)?;
    if a.estimate_only {
        let md = || hitnet_flow::estimate::ranking_markdown(&picked.ranked, target, 30);
        common::emit(a.json, &picked.ranked, md)?;
        return Ok(ExitCode::SUCCESS);
    }
    let shapes = picked.shapes;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| Path::new("build").join(format!("explore-{}", target.name)));
    let sweep = Sweep {
        loaded: &loaded,
        target,
        shapes,
        wrapper,
        out: &out,
        clock_mhz: clock,
        to: if a.bitstream {
            hitnet_fpga::Step::Pack
        } else {
            hitnet_fpga::Step::Pnr
        },
        executor: a.exec.executor(),
        jobs: a.jobs,
    };
    let multi = indicatif::MultiProgress::new();
    let overall = multi.add(common::bar(sweep.shapes.len() as u64, "shapes"));
    let swept = explore::run(&sweep, &multi, &|| overall.inc(1)).map_err(flow_error)?;
    overall.finish_and_clear();
    let value = serde_json::json!({
        "target": target.name,
        "out": out,
        "shapes": swept.rows,
        "tools": swept.tools,
        "files": swept.files,
    });
    let (md, dir) = (&swept.markdown, out.display());
    common::emit(a.json, &value, || {
        format!("{md}\nwrote {dir}/explore.{{md,csv,svg,json}}; one build folder per shape\n")
    })?;
    Ok(ExitCode::SUCCESS)
}
