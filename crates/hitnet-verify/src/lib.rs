//! # hitnet-verify: verification of what ships
//!
//! The co-simulation (`hitnet-cosim`) proves golden model = cycle simulator
//! = RTL. Tools have bugs between the RTL and the bitstream (Yosys's iCE40
//! DSP packer left bits of a product register undriven, and the LSTM
//! netlist computed wrong values while every RTL check passed), so the
//! netlists are judged too: the synthesized netlist (`netlist.v`, Yosys
//! `write_verilog` of the very netlist that goes to place and route) and
//! the routed one are simulated four-state in Icarus Verilog with the
//! vendor cell models Yosys ships (`ice40/cells_sim.v`, `ecp5/cells_sim.v`)
//! plus models of our own for the ECP5 primitives it lacks, and every
//! output beat and its cycle must equal the cycle simulator's, whose values
//! must equal the golden model's.
//!
//! Icarus rather than Verilator: the netlist must run four-state, so that
//! an undriven net (the DSP bug's `'hx`) shows as x instead of a silent 0,
//! and Verilator 5.006 cannot parse the cell models (port default values).
//!
//! The bench is `sim/tb_hitnet_stream.v`: it drives the stream port with
//! the same stimulus and valid/ready patterns as the Verilator harness.

pub mod bench;
pub mod board;
pub mod cells;
pub mod cls;
pub mod ecp5_routed;
pub mod ends;
pub mod lm;
pub mod routed;

use std::path::{Path, PathBuf};

use hitnet_arch::Plan;
use hitnet_cosim::{compare_beat, golden_outputs, golden_vs_sim, Between, Mismatch, Stimulus};
use hitnet_model::IntModel;
use hitnet_sim::{Beat, Sim};
use serde::Serialize;

pub use bench::{run_bench, BenchRun, Netlist};

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// A tool is missing: the message says what to install.
    #[error("{0}")]
    Missing(String),
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// Icarus failed to compile or run the bench; the log says why.
    #[error("{tool} failed: {detail}; see the log at {}", log.display())]
    Tool {
        tool: String,
        detail: String,
        log: PathBuf,
    },
    /// The bench printed something this crate cannot read.
    #[error("unreadable bench output '{line}'; see the log at {}", log.display())]
    Protocol { line: String, log: PathBuf },
    /// The netlist is not a hitnet_top the bench can drive.
    #[error("{0}")]
    Netlist(String),
}

pub type Result<T> = std::result::Result<T, VerifyError>;

pub(crate) fn io_err(
    what: &'static str,
    path: &Path,
) -> impl FnOnce(std::io::Error) -> VerifyError {
    let path = path.to_path_buf();
    move |source| VerifyError::Io { what, path, source }
}

/// Which artefact is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// The Yosys netlist (after synthesis, before place and route).
    Synth,
    /// The design as placed and routed by nextpnr.
    Routed,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Synth => "synth",
            Stage::Routed => "routed",
        }
    }

    /// A stage named on the command line.
    pub fn parse(s: &str) -> std::result::Result<Stage, String> {
        match s {
            "synth" => Ok(Stage::Synth),
            "routed" => Ok(Stage::Routed),
            _ => Err(format!("`{s}` is not a stage: synth or routed")),
        }
    }

    /// How a verdict names the run: "netlist verification", ...
    pub fn verification(self) -> &'static str {
        match self {
            Stage::Synth => "netlist verification",
            Stage::Routed => "routed verification",
        }
    }
}

/// The outcome of one verification run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub stage: Stage,
    pub target: String,
    pub tokens: usize,
    /// Output beats the netlist produced.
    pub beats: u64,
    pub expected_beats: u64,
    pub netlist_cycles: u64,
    pub sim_cycles: u64,
    /// Output trits where the simulator differs from the golden model.
    pub golden_vs_sim: u64,
    /// Beats where the netlist differs from the simulator (value, layer,
    /// order or cycle), plus missing beats.
    pub sim_vs_netlist: u64,
    /// Cycles at which a control output (s_ready, m_valid, m_layer,
    /// m_last) was x or z.
    pub unknown_control: u64,
    pub mismatches: u64,
    pub bit_exact: bool,
    pub first: Option<Mismatch>,
    /// "icarus" (four-state).
    pub simulator: String,
    pub simulator_version: Option<String>,
    /// The netlist and the cell models it was simulated with.
    pub netlist: PathBuf,
    pub cell_models: Vec<PathBuf>,
    pub seconds: f64,
    pub netlist_cycles_per_second: f64,
    pub vcd: Option<PathBuf>,
}

impl Report {
    /// The human summary: netlist, cycles, comparisons, verdict.
    pub fn text(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let models: Vec<String> = self
            .cell_models
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let _ = writeln!(
            s,
            "netlist: {} ({} with {})",
            self.netlist.display(),
            self.simulator_version.as_deref().unwrap_or("icarus"),
            models.join(", ")
        );
        let _ = writeln!(
            s,
            "cycles:  netlist {}, simulator {}; {} of {} beats; {:.1} s ({:.0} netlist cycles/s)",
            self.netlist_cycles,
            self.sim_cycles,
            self.beats,
            self.expected_beats,
            self.seconds,
            self.netlist_cycles_per_second
        );
        let _ = writeln!(
            s,
            "compare: golden vs sim {} differing trits; sim vs netlist {} differing beats; {} cycles with an unknown control output",
            self.golden_vs_sim, self.sim_vs_netlist, self.unknown_control
        );
        hitnet_cosim::write_verdict(
            &mut s,
            self.first.as_ref(),
            self.vcd.as_deref(),
            self.bit_exact,
            "golden = simulator = netlist, every output, same cycles",
        );
        s
    }
}

/// What [`verify`] judges and where it works.
pub struct Setup<'a> {
    pub plan: &'a Plan,
    pub model: &'a IntModel,
    pub stage: Stage,
    pub target: &'a str,
    pub netlist: &'a Netlist,
    /// Scratch folder for the bench (stimulus, compiled bench, log).
    pub work_dir: &'a Path,
    /// Where to write a VCD around the first mismatch.
    pub vcd: Option<&'a Path>,
}

/// Runs the golden model, the cycle simulator and the netlist on one
/// stimulus and compares them beat by beat, cycle by cycle.
pub fn verify(s: &Setup, stim: &Stimulus) -> Result<Report> {
    let plan = s.plan;
    let t0 = std::time::Instant::now();
    let want = golden_outputs(s.model, &stim.tokens);
    let mut sim = Sim::new(plan);
    let mut sim_beats: Vec<Beat> = Vec::new();
    let sim_stats = sim.run(stim.tokens.iter().cloned(), stim.valid, stim.ready, |b| {
        sim_beats.push(b.clone())
    });
    let (golden_vs_sim, mut first) = golden_vs_sim(plan, &want, &sim_beats);
    let expected_beats = sim_stats.beats;
    let max_idle = hitnet_cosim::max_idle(plan);
    let ncyc = sim_stats.total_cycles + max_idle;
    let run = run_bench(s.netlist, plan, stim, ncyc, max_idle, s.work_dir, None)?;
    let mut sim_vs_netlist = 0u64;
    for (n, b) in run.beats.iter().enumerate() {
        if let Some(m) = compare_beat(plan, Between::SimVsNetlist, sim_beats.get(n), b) {
            sim_vs_netlist += 1;
            first.get_or_insert(m);
        }
    }
    let missing = expected_beats.saturating_sub(run.beats.len() as u64);
    if missing > 0 {
        sim_vs_netlist += missing;
        let e = &sim_beats[run.beats.len()];
        first.get_or_insert(Mismatch {
            between: Between::SimVsNetlist,
            token: e.token,
            layer: e.layer,
            element: None,
            expected: None,
            actual: None,
            cycle: None,
            expected_cycle: Some(e.cycle),
            what: format!(
                "missing beats: the netlist stopped after {} of {expected_beats} (no beat for {max_idle} cycles)",
                run.beats.len()
            ),
        });
    }
    let unknown_control = run.unknown_control.len() as u64;
    if let Some((cycle, what)) = run.unknown_control.first() {
        first.get_or_insert(Mismatch {
            between: Between::SimVsNetlist,
            token: 0,
            layer: 0,
            element: None,
            expected: None,
            actual: None,
            cycle: Some(*cycle),
            expected_cycle: None,
            what: format!("{what} unknown (x/z)"),
        });
    }
    let mut vcd = None;
    if let (Some(m), Some(path)) = (&first, s.vcd) {
        if let Some(c) = m.cycle.or(m.expected_cycle) {
            let window = (c.saturating_sub(200), c + 50);
            let wdir = s.work_dir.join("vcd");
            run_bench(s.netlist, plan, stim, ncyc, max_idle, &wdir, Some(window))?;
            std::fs::copy(wdir.join("tb.vcd"), path).map_err(io_err("cannot write", path))?;
            vcd = Some(path.to_path_buf());
        }
    }
    let mismatches = golden_vs_sim + sim_vs_netlist + unknown_control;
    let seconds = t0.elapsed().as_secs_f64();
    Ok(Report {
        stage: s.stage,
        target: s.target.to_string(),
        tokens: stim.tokens.len(),
        beats: run.beats.len() as u64,
        expected_beats,
        netlist_cycles: run.cycles,
        sim_cycles: sim_stats.total_cycles,
        golden_vs_sim,
        sim_vs_netlist,
        unknown_control,
        mismatches,
        bit_exact: mismatches == 0
            && run.beats.len() as u64 == expected_beats
            && run.cycles == sim_stats.total_cycles,
        first,
        simulator: "icarus".into(),
        simulator_version: run.simulator_version.clone(),
        netlist: s.netlist.files.first().cloned().unwrap_or_default(),
        cell_models: s.netlist.files.iter().skip(1).cloned().collect(),
        seconds,
        netlist_cycles_per_second: run.cycles as f64 / run.seconds.max(1e-9),
        vcd,
    })
}

/// Verifies the synthesized netlist (`netlist.v`) a flow run left in
/// `build_dir`, simulated with the models of the Yosys (`yosys_tool`) that
/// wrote it; the bench works in `build_dir/verify-synth`.
pub fn verify_synth_build(
    plan: &Plan,
    model: &IntModel,
    target: &hitnet_fpga::Target,
    yosys_tool: &str,
    build_dir: &Path,
    stim: &Stimulus,
    vcd: Option<&Path>,
) -> Result<Report> {
    let netlist_v = build_dir.join(hitnet_fpga::scripts::files::NETLIST_V);
    if !netlist_v.is_file() {
        return Err(VerifyError::Netlist(format!(
            "{} not found: the build folder holds no synthesized netlist",
            netlist_v.display()
        )));
    }
    let datdir = cells::yosys_datdir(yosys_tool)?;
    let net = cells::netlist_with_models(target.family, &netlist_v, &datdir)?;
    verify(
        &Setup {
            plan,
            model,
            stage: Stage::Synth,
            target: target.name,
            netlist: &net,
            work_dir: &build_dir.join("verify-synth"),
            vcd,
        },
        stim,
    )
}

/// Verifies the routed netlist (`routed.json`) a flow run of `wrapped`
/// left in `build_dir`, at the board's pins against the RTL of the same
/// board top and the golden model (see [`routed`]); the benches work in
/// `build_dir/verify-routed`. Needs a board UART top.
pub fn verify_routed_build(
    model: &IntModel,
    target: &hitnet_fpga::Target,
    yosys_tool: &str,
    build_dir: &Path,
    wrapped: &hitnet_fpga::Wrapped,
    stim: &Stimulus,
) -> Result<routed::RoutedReport> {
    let (Some(board), Some(uart)) = (
        hitnet_fpga::Board::for_target(target),
        wrapped.uart.as_ref(),
    ) else {
        return Err(VerifyError::Netlist(format!(
            "the routed stage runs the chip at its serial pins and needs a board UART top; {} with the {} wrapper has none",
            target.name,
            wrapped.kind.name()
        )));
    };
    let (routed_v, normalized) =
        routed::routed_verilog(yosys_tool, build_dir, board.top, target.family)?;
    let datdir = cells::yosys_datdir(yosys_tool)?;
    let net = cells::netlist_with_models(target.family, &routed_v, &datdir)?;
    let rtl_files: Vec<PathBuf> = wrapped
        .design
        .files
        .iter()
        .filter(|f| {
            !f.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("hitnet_uart"))
        })
        .cloned()
        .collect();
    let mut r = routed::verify_routed(
        &routed::RoutedSetup {
            model,
            target: target.name,
            board: &board,
            uart,
            rtl_files,
            rtl_data: wrapped.design.data_files.clone(),
            routed: &net,
            work_dir: &build_dir.join("verify-routed"),
        },
        stim,
    )?;
    r.ecp5_normalized = normalized;
    Ok(r)
}
