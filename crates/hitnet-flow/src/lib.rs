//! # hitnet-flow: the build flows behind the CLI
//!
//! What a command does beyond parsing and printing lives here, with typed
//! errors: a synthesis job (generate, wrap, Yosys + nextpnr, the netlist
//! check, the summary file `hitnet report` reads) in [`synth`], and the
//! array-shape sweep (a pool of such jobs, the Pareto front, Markdown and
//! CSV tables, the plot) in [`explore`]. The CLI turns a [`FlowError`] into
//! its exit code: 2 for what the user can fix, 1 when a tool or a check
//! ran and failed.
pub mod bench;
pub mod cls;
pub mod cosim;
pub mod deploy;
pub mod ends;
pub mod estimate;
pub mod explore;
pub mod lm;
pub mod load;
pub mod report;
pub mod simulate;
pub mod summary;
pub mod synth;
pub mod verify;

use hitnet_fpga::{Target, WrapperKind};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// Input the user can fix (a flag, a folder): exit 2.
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Fpga(#[from] hitnet_fpga::FpgaError),
    #[error(transparent)]
    Verify(#[from] hitnet_verify::VerifyError),
    #[error(transparent)]
    Rtl(#[from] hitnet_rtl::RtlError),
    /// A config or model the user gave is unusable: exit 2.
    #[error("{}{source}", what.as_ref().map(|w| format!("{w}: ")).unwrap_or_default())]
    Model {
        what: Option<String>,
        #[source]
        source: hitnet_model::ModelError,
    },
    /// The model does not fit the accelerator's plan: exit 2.
    #[error("planning the accelerator of {what}: {source}")]
    Plan {
        what: String,
        #[source]
        source: hitnet_arch::PlanError,
    },
    #[error(transparent)]
    Cosim(hitnet_cosim::CosimError),
    /// Drawing the sweep's plot failed.
    #[error("drawing the plot: {0}")]
    Plot(String),
    /// The synthesized netlist was simulated and differs: exit 1.
    #[error("{0}")]
    NetlistDiffers(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, FlowError>;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FlowError + '_ {
    move |source| FlowError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// An error and its sources in one line: each message once (a message
/// that already quotes its source, "file: os error", is not followed by
/// the source again), newlines folded.
pub fn one_line(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(c) = next {
        let p = c.to_string().replace('\n', " ");
        if !parts.last().is_some_and(|last| last.ends_with(&p)) {
            parts.push(p);
        }
        next = c.source();
    }
    parts.join(": ")
}

/// The config as JSON for manifests and reports.
pub fn config_json(l: &hitnet_model::Loaded) -> serde_json::Value {
    let mut v = serde_json::to_value(&l.config).expect("config serializes");
    v["quant_resolved"] = serde_json::to_value(&l.params).expect("params serialize");
    v
}

/// Model summary as JSON (run, check, report, synth).
pub fn model_json(l: &hitnet_model::Loaded) -> serde_json::Value {
    let m = &l.model;
    serde_json::json!({
        "cell": m.cell.name(),
        "input_size": m.input_size,
        "hidden_size": m.hidden_size,
        "layers": m.layers.len(),
        "source": l.source.to_string(),
        "weights": m.weight_count(),
        "zero_fraction": m.zero_fraction(),
        "quant": l.params,
        "ignored_tensors": l.ignored_tensors,
        "imported_tensors": l.imported_tensors,
    })
}

/// The model in one line.
pub fn model_line(l: &hitnet_model::Loaded) -> String {
    let m = &l.model;
    format!(
        "{} {} in, {} hidden, {} layer{} ({}); {} ternary weights, {:.1}% zero",
        m.cell.name().to_uppercase(),
        m.input_size,
        m.hidden_size,
        m.layers.len(),
        if m.layers.len() == 1 { "" } else { "s" },
        l.source,
        m.weight_count(),
        100.0 * m.zero_fraction()
    )
}

/// `--bram` of gen and cosim: how the weight banks are built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum BramChoice {
    /// From the config's hw.target: DP16KD for ecp5-*, inferred otherwise.
    #[default]
    Auto,
    /// Behavioural memories from $readmemh images.
    Inferred,
    /// ECP5 DP16KD primitives with the output register (REGMODE OUTREG).
    Dp16kd,
}

impl BramChoice {
    pub fn resolve(self, l: &hitnet_model::Loaded) -> hitnet_rtl::Bram {
        match self {
            BramChoice::Auto => bram_for_target(&l.config.hw.target),
            BramChoice::Inferred => hitnet_rtl::Bram::Inferred,
            BramChoice::Dp16kd => hitnet_rtl::Bram::Dp16kd,
        }
    }
}

/// The weight-bank build for a target: DP16KD on the ECP5 family, inferred
/// elsewhere. (Config::validate has refused an unknown hw.target already;
/// a `--target` flag is looked up by the command that takes it.)
pub fn bram_for_target(name: &str) -> hitnet_rtl::Bram {
    match Target::from_name(name) {
        Ok(t) if t.family == hitnet_fpga::Family::Ecp5 => hitnet_rtl::Bram::Dp16kd,
        _ => hitnet_rtl::Bram::Inferred,
    }
}

/// The stimulus of run, sim, cosim and the netlist checks: seeded random
/// ternary vectors, the first one starting a sequence.
pub fn stimulus(seed: u64, tokens: u64, input_size: usize) -> Vec<hitnet_sim::Token> {
    stimulus_stream(seed, tokens, input_size).collect()
}

/// [`stimulus`] one token at a time (memory does not grow with `tokens`).
pub fn stimulus_stream(
    seed: u64,
    tokens: u64,
    input_size: usize,
) -> impl Iterator<Item = hitnet_sim::Token> {
    (0..tokens).map(move |t| hitnet_sim::Token {
        x: hitnet_model::rng::random_input(seed, t, input_size),
        first: t == 0,
    })
}

/// Port patterns from a backpressure percentage (0 = always ready/valid).
pub fn patterns(seed: u64, stall_percent: u32) -> (hitnet_sim::Pattern, hitnet_sim::Pattern) {
    let stall = stall_percent.min(95);
    (
        hitnet_sim::Pattern::stalled(seed ^ 0x5a5a, stall),
        hitnet_sim::Pattern::stalled(seed ^ 0xa5a5, stall),
    )
}

/// Generates the accelerator of `plan` into `out/gen` and wraps it for
/// `target` in `out/wrapper` (the first thing every build does; both are
/// deterministic, so a resumed build regenerates the same files).
#[allow(clippy::too_many_arguments)]
pub fn gen_and_wrap(
    plan: &hitnet_arch::Plan,
    config_json: serde_json::Value,
    target: &'static Target,
    wrapper: WrapperKind,
    out: &Path,
    clock_mhz: f64,
    deployable: bool,
) -> Result<(hitnet_rtl::Design, hitnet_fpga::Wrapped)> {
    let design =
        hitnet_rtl::generate_for(plan, config_json, bram_for_target(target.name), deployable);
    wrap_design(design, target, wrapper, out, clock_mhz)
}

/// Writes `design` into `out/gen` and wraps it for `target` in `out/wrapper`.
pub fn wrap_design(
    design: hitnet_rtl::Design,
    target: &'static Target,
    wrapper: WrapperKind,
    out: &Path,
    clock_mhz: f64,
) -> Result<(hitnet_rtl::Design, hitnet_fpga::Wrapped)> {
    let gen_dir = out.join("gen");
    design.write(&gen_dir)?;
    let wrapped = hitnet_fpga::wrap(&gen_dir, &out.join("wrapper"), wrapper, target, clock_mhz)?;
    Ok((design, wrapped))
}

/// The generated RTL of `design` (written in `gen`) as a bench netlist;
/// its images go to the bench's working folder `work`, where `$readmemh`
/// finds them.
pub(crate) fn rtl_netlist(
    design: &hitnet_rtl::Design,
    gen: &Path,
    work: &Path,
) -> Result<hitnet_verify::Netlist> {
    std::fs::create_dir_all(work).map_err(io(work))?;
    for (n, b) in design.files.iter().filter(|(n, _)| n.ends_with(".hex")) {
        let f = work.join(n);
        std::fs::write(&f, b).map_err(io(&f))?;
    }
    Ok(hitnet_verify::Netlist {
        files: design.verilog_files().map(|(n, _)| gen.join(n)).collect(),
        ..Default::default()
    })
}

/// What ships, synthesized for the netlist check of model ends (`design`,
/// written in `gen`): the board build (its kept ends module `top`) where
/// `target` has a board top for `ends`, else `top` synthesized alone; in
/// `out/build`. Returns the synthesis and the top synthesized.
#[allow(clippy::too_many_arguments)]
pub(crate) fn synth_ends(
    design: &hitnet_rtl::Design,
    gen: &Path,
    ends: hitnet_fpga::accel::EndsKind,
    top: &str,
    target: &'static Target,
    clock_mhz: f64,
    out: &Path,
    progress: &hitnet_fpga::Progress,
) -> Result<(hitnet_fpga::SynthOnly, String)> {
    let d = match hitnet_fpga::accel::ends_board(target, ends) {
        Ok(_) => {
            wrap_design(design.clone(), target, WrapperKind::Uart, out, clock_mhz)?
                .1
                .design
        }
        Err(_) => alone(design, gen, top, clock_mhz),
    };
    let opts = hitnet_fpga::FlowOptions {
        progress: progress.clone(),
        ..Default::default()
    };
    let syn = hitnet_fpga::run_synth(&d, target, &out.join("build"), &opts)?;
    Ok((syn, d.top))
}

/// `design` (written in `gen`) to synthesize alone with `top` as its top.
pub(crate) fn alone(
    design: &hitnet_rtl::Design,
    gen: &Path,
    top: &str,
    clock_mhz: f64,
) -> hitnet_fpga::Design {
    let mut d = hitnet_fpga::Design::new(
        design.verilog_files().map(|(n, _)| gen.join(n)).collect(),
        top,
        clock_mhz,
    );
    d.data_files = design
        .files
        .iter()
        .filter(|(n, _)| n.ends_with(".hex"))
        .map(|(n, _)| gen.join(n))
        .collect();
    d
}

/// Makes the build folder `out` and checks it is writable.
pub fn prepare_out(out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| {
        FlowError::Input(format!(
            "cannot create the build folder {}: {e}; choose another --out",
            out.display()
        ))
    })?;
    let probe = out.join(".hitnet-write-test");
    std::fs::write(&probe, b"").map_err(|e| {
        FlowError::Input(format!(
            "cannot write into the build folder {}: {e}; choose another --out",
            out.display()
        ))
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// A timing target in MHz, from `--clock-mhz` or `hw.clock_mhz`.
pub fn check_clock(mhz: f64) -> Result<f64> {
    if hitnet_model::config::clock_ok(mhz) {
        Ok(mhz)
    } else {
        Err(FlowError::Input(format!(
            "invalid value for `--clock-mhz` / `hw.clock_mhz`: {mhz} is not a frequency in (0, {}] MHz",
            hitnet_model::config::MAX_CLOCK_MHZ
        )))
    }
}

/// The wrapper `--wrapper` names (uart, char), or the target's default.
pub fn wrapper_kind(name: Option<&str>, target: &Target) -> Result<WrapperKind> {
    let kind = match name {
        Some(n) => WrapperKind::from_name(n).map_err(|_| {
            FlowError::Input(format!(
                "invalid value for `--wrapper`: '{n}'; valid: uart, char"
            ))
        })?,
        None => WrapperKind::default_for(target),
    };
    if kind == WrapperKind::Uart && hitnet_fpga::Board::for_target(target).is_none() {
        return Err(FlowError::Input(format!(
            "no board with a UART top for {}; use --wrapper char",
            target.name
        )));
    }
    Ok(kind)
}

/// A spinner on stderr for long steps (hidden when stderr is not a terminal).
pub fn spinner(msg: &str) -> indicatif::ProgressBar {
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("template"),
    );
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

/// [`spinner`] when `show`, else a hidden bar (a run without progress).
pub fn spinner_if(show: bool, msg: &str) -> indicatif::ProgressBar {
    if show {
        spinner(msg)
    } else {
        indicatif::ProgressBar::hidden()
    }
}

/// What a co-simulation or a verification run feeds the design: `tokens`
/// random inputs of `seed` under the [`patterns`] of `stall_percent`, and
/// where a VCD around the first mismatch goes.
#[derive(Clone, Debug)]
pub struct StimulusSpec {
    pub tokens: u64,
    pub seed: u64,
    pub stall_percent: u32,
    pub vcd: PathBuf,
}

impl StimulusSpec {
    /// The stimulus for `loaded` ([`seeded_stimulus`]).
    pub fn of(&self, loaded: &hitnet_model::Loaded) -> hitnet_cosim::Stimulus {
        seeded_stimulus(loaded, self.seed, self.tokens, self.stall_percent)
    }
}

/// The seeded stimulus of a check of `loaded`: `tokens` random inputs of
/// `seed` under the [`patterns`] of `stall_percent`.
pub fn seeded_stimulus(
    loaded: &hitnet_model::Loaded,
    seed: u64,
    tokens: u64,
    stall_percent: u32,
) -> hitnet_cosim::Stimulus {
    let (valid, ready) = patterns(seed, stall_percent);
    hitnet_cosim::Stimulus {
        tokens: stimulus(seed, tokens, loaded.int.input_size),
        valid,
        ready,
    }
}

/// A progress bar over `n` items on stderr.
pub fn bar(n: u64, msg: &str) -> indicatif::ProgressBar {
    let pb = indicatif::ProgressBar::new(n);
    pb.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} [{elapsed} < {eta}]")
            .expect("template")
            .progress_chars("=> "),
    );
    pb.set_message(msg.to_string());
    pb
}

/// What an imported file held besides the recurrent network.
pub fn ignored_note(l: &hitnet_model::Loaded) -> String {
    const SHOWN: usize = 6;
    let t = &l.ignored_tensors;
    let mut list = t[..t.len().min(SHOWN)].join(", ");
    if t.len() > SHOWN {
        list.push_str(&format!(" and {} more", t.len() - SHOWN));
    }
    let file = match &l.source {
        hitnet_model::ModelSource::Safetensors(p) | hitnet_model::ModelSource::File(p) => {
            p.display().to_string()
        }
        other => other.to_string(),
    };
    format!(
        "{file}: {} tensor{} besides the {} layers not used by hitnet: {list}. {}",
        t.len(),
        if t.len() == 1 { "" } else { "s" },
        l.model.cell.name().to_uppercase(),
        if l.ends_importable {
            "They hold a language model's embedding and output layer: give its vocabulary as [model] vocab (a JSON list of the tokens, or the training corpus) to import them as the model's ends ([lm] then runs them on the chip)"
        } else {
            "The accelerator computes the recurrent layers only; apply an embedding or output layer in your own host code"
        }
    )
}

/// Where an imported file's tensors went, one per line.
pub fn imported_note(l: &hitnet_model::Loaded) -> String {
    l.imported_tensors
        .iter()
        .map(|t| format!("  {t}\n"))
        .collect()
}

/// Refuses, before any long build, an output file `path` (given with
/// `flag`) that cannot be written: its folder missing, or the path a folder
/// or unwritable. Leaves no file behind.
pub fn check_output_file(path: &Path, flag: &str) -> Result<()> {
    if path.is_dir() {
        return Err(FlowError::Input(format!(
            "invalid value for `{flag}`: {} is a folder; give a file name",
            path.display()
        )));
    }
    let existed = path.exists();
    match std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
    {
        Ok(_) => {
            if !existed {
                let _ = std::fs::remove_file(path);
            }
            Ok(())
        }
        Err(e) => Err(FlowError::Input(format!(
            "invalid value for `{flag}`: cannot write {}: {e}",
            path.display()
        ))),
    }
}
