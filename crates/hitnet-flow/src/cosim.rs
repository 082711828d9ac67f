//! `hitnet cosim`: golden model = cycle simulator = Verilated RTL on a
//! seeded stimulus, every output and every cycle.
use crate::{FlowError, Result};
use hitnet_cosim::{Setup, Toolchain};
use std::path::Path;

/// One co-simulation.
pub struct Job<'a> {
    pub loaded: &'a hitnet_model::Loaded,
    pub plan: &'a hitnet_arch::Plan,
    pub bram: hitnet_rtl::Bram,
    /// A `hitnet gen` folder to simulate instead of generating the design.
    pub design: Option<&'a Path>,
    /// The stimulus, and where a VCD around the first mismatch goes
    /// (the synth stage's, in verification).
    pub stimulus: crate::StimulusSpec,
    /// C++ optimisation level of the Verilated model.
    pub opt: u32,
    pub random_init: Option<u32>,
    /// A spinner on stderr while Verilator builds and runs.
    pub progress: bool,
}

/// Generates (or reads) the design, builds it with Verilator (cached by
/// content) and runs the three-way comparison.
pub fn run(job: &Job) -> Result<hitnet_cosim::Report> {
    let tc = Toolchain::find().map_err(FlowError::Cosim)?;
    let design = hitnet_rtl::generate_with(job.plan, crate::config_json(job.loaded), job.bram);
    let tmp = tempfile::tempdir().map_err(crate::io(&std::env::temp_dir()))?;
    let (verilog, memdir) = match job.design {
        Some(dir) => {
            let v = hitnet_rtl::read_verilog(dir).map_err(|e| {
                FlowError::Input(format!("reading the design in {}: {e}", dir.display()))
            })?;
            (v, dir.to_path_buf())
        }
        None => {
            hitnet_cosim::write_images(&design, tmp.path()).map_err(FlowError::Cosim)?;
            (design.verilog(), tmp.path().to_path_buf())
        }
    };
    let cache = hitnet_cosim::build::default_cache();
    let stim = job.stimulus.of(job.loaded);
    let sp = crate::spinner_if(
        job.progress,
        "co-simulating (building the Verilated model if not cached)",
    );
    let setup = Setup {
        plan: job.plan,
        model: &job.loaded.int,
        verilog: &verilog,
        memdir: &memdir,
        cache: &cache,
        opt: job.opt,
        random_init: job.random_init,
        vcd: Some(&job.stimulus.vcd),
    };
    let r = hitnet_cosim::run(&tc, &setup, &stim);
    sp.finish_and_clear();
    r.map_err(FlowError::Cosim)
}
