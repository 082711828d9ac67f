//! `hitnet deploy`: another model of the same shape into a deployable
//! build (`hitnet synth --deployable`) without synthesis or place and
//! route: the memory contents of the placed design replaced
//! (hitnet_flow::deploy).
use crate::common::{self, flow_error};
use anyhow::Result;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The model to deploy.
    #[command(flatten)]
    pub cfg: crate::args::ConfigArg,
    /// A build folder of `hitnet synth --deployable`.
    #[arg(long)]
    pub build: PathBuf,
    /// The new build folder (new or empty; the build itself deploys in place).
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let loaded = common::load_model(a.cfg.config.as_deref())?;
    let job = hitnet_flow::deploy::Job {
        loaded: &loaded,
        build: &a.build,
        out: &a.out,
    };
    let d = hitnet_flow::deploy::run(&job).map_err(flow_error)?;
    let model = common::model_line(&loaded);
    common::emit(a.json, &d, || {
        let mut s = format!("model:     {model}\n");
        let _ = writeln!(s, "build:     {}", d.build);
        let _ = writeln!(
            s,
            "replaced:  {} memories ({}), {} block RAMs",
            d.replaced.len(),
            d.replaced.join(", "),
            d.block_rams
        );
        let _ = writeln!(s, "bitstream: {}", d.bitstream);
        if let Some(f) = &d.flash {
            let _ = writeln!(
                s,
                "flash:     {} ({} bytes at {:#x}: the ends' words; program it too: {})",
                f.image.display(),
                f.bytes,
                f.offset,
                f.program
            );
        }
        let _ = writeln!(
            s,
            "time:      {:.2} s (no synthesis, no place and route)",
            d.seconds
        );
        let _ = writeln!(
            s,
            "verify:    hitnet verify --config <this config> --stage routed --built --out {}{}",
            a.out.display(),
            if loaded.config.lm.is_some() {
                " --generate PROMPT"
            } else if loaded.config.classifier.is_some() {
                " --classify TEST.ts --frames N"
            } else {
                ""
            }
        );
        s
    })?;
    Ok(ExitCode::SUCCESS)
}
