//! `hitnet synth`: generate the accelerator, wrap it for a board (or the
//! characterization wrapper), run Yosys + nextpnr, report resources, Fmax
//! and tokens per second. docs/fpga-flow.md describes the build folder.
use crate::common;
use anyhow::{Context, Result};
use hitnet_fpga::{FlowOptions, Progress, SynthReport, Target, Wrapped, WrapperKind};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Config file (TOML); the built-in default config when absent.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// FPGA target (ice40-up5k, ice40-hx8k, ecp5-25k, ecp5-45k, ecp5-85k);
    /// default: hw.target of the config.
    #[arg(long)]
    pub target: Option<String>,
    /// Build folder (default: build/<target>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// uart: the board's UART top (iCEBreaker, iCE40-HX8K Breakout, ULX3S); char: the
    /// characterization wrapper. Default: uart where the target has a board.
    #[arg(long)]
    pub wrapper: Option<String>,
    /// Timing target for place and route in MHz (default: hw.clock_mhz).
    #[arg(long)]
    pub clock_mhz: Option<f64>,
    /// Stop after place and route (no bitstream).
    #[arg(long)]
    pub no_bitstream: bool,
    /// nextpnr placement seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Tokens of the netlist check after synthesis (iCE40 targets; 0: skip it).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pub verify_tokens: u64,
    /// Print one JSON object (the SynthReport plus cycles and tokens/s) instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// One synthesis job: a planned design on a target in a folder.
pub(crate) struct Job<'a> {
    pub loaded: &'a hitnet_model::Loaded,
    pub plan: &'a hitnet_arch::Plan,
    /// The config as JSON, with the shape actually planned.
    pub config_json: serde_json::Value,
    pub target: &'static Target,
    pub wrapper: WrapperKind,
    pub out: &'a Path,
    pub clock_mhz: f64,
    pub bitstream: bool,
    pub progress: Progress,
    /// nextpnr seed.
    pub seed: u64,
    /// Tokens simulated on the synthesized netlist (0: no check).
    pub verify_tokens: u64,
}

/// What a job measured.
pub(crate) struct Outcome {
    pub report: SynthReport,
    pub wrapped: Wrapped,
    pub cycles_per_token: u64,
    pub tokens_per_second: Option<f64>,
    /// Weight banks yosys put in block RAM, and how many there are.
    pub weight_banks_in_bram: (usize, usize),
    /// manifest.json's `memories.weight_bram`: inferred or DP16KD.
    pub weight_bram: serde_json::Value,
    /// Whether and how the synthesized netlist was verified.
    pub netlist_verification: serde_json::Value,
    /// SHA-256 of the generated design (hitnet_rtl::design_sha256).
    pub design_sha256: String,
}

/// The summary file a synth run leaves in its folder (read by `report`).
pub(crate) const SUMMARY_FILE: &str = "hitnet_synth.json";

/// Makes `out` (exit 2 when impossible) and checks it is writable.
pub(crate) fn prepare_out(out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| {
        common::bad_input(format!(
            "cannot create the build folder {}: {e}; choose another --out",
            out.display()
        ))
    })?;
    let probe = out.join(".hitnet-write-test");
    std::fs::write(&probe, b"").map_err(|e| {
        common::bad_input(format!(
            "cannot write into the build folder {}: {e}; choose another --out",
            out.display()
        ))
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

pub(crate) fn check_clock(mhz: f64) -> Result<f64> {
    if hitnet_model::config::clock_ok(mhz) {
        Ok(mhz)
    } else {
        Err(common::bad_input(format!(
            "invalid value for `--clock-mhz` / `hw.clock_mhz`: {mhz} is not a frequency in (0, {}] MHz",
            hitnet_model::config::MAX_CLOCK_MHZ
        )))
    }
}

pub(crate) fn wrapper_kind(name: Option<&str>, target: &Target) -> Result<WrapperKind> {
    let kind = match name {
        Some(n) => WrapperKind::from_name(n).map_err(|_| {
            common::bad_input(format!(
                "invalid value for `--wrapper`: '{n}'; valid: uart, char"
            ))
        })?,
        None => WrapperKind::default_for(target),
    };
    if kind == WrapperKind::Uart && hitnet_fpga::Board::for_target(target).is_none() {
        return Err(common::bad_input(format!(
            "no board with a UART top for {}; use --wrapper char",
            target.name
        )));
    }
    Ok(kind)
}

/// Generates, wraps and builds one design.
pub(crate) fn run_job(job: &Job) -> Result<Outcome> {
    // A failed run must not leave the previous summary for `report` to show.
    let _ = std::fs::remove_file(job.out.join(SUMMARY_FILE));
    let gen_dir = job.out.join("gen");
    let design = hitnet_rtl::generate_with(
        job.plan,
        job.config_json.clone(),
        common::bram_for_target(job.target.name),
    );
    design
        .write(&gen_dir)
        .with_context(|| format!("writing the generated design to {}", gen_dir.display()))?;
    let wrapped = hitnet_fpga::wrap(
        &gen_dir,
        &job.out.join("wrapper"),
        job.wrapper,
        job.target,
        job.clock_mhz,
    )
    .map_err(common::fpga_error)?;
    let opts = FlowOptions {
        toolchain: None,
        progress: job.progress.clone(),
        bitstream: job.bitstream,
        dsp_fallback: true,
    };
    let mut design_in = wrapped.design.clone();
    design_in.pnr_seed = job.seed;
    let report = hitnet_fpga::run_flow(&design_in, job.target, job.out, &opts)
        .map_err(common::fpga_error)?;
    let netlist_verification = verify_netlist(job, &report)?;
    let cycles = job.plan.cycles.per_token;
    let banks: Vec<_> = report
        .memories
        .iter()
        .filter(|m| m.memory.contains(".wbank"))
        .collect();
    // DP16KD banks are block RAM by construction (instantiated primitives,
    // not memories Yosys could map to logic), provided Yosys kept them all.
    let wb = &design.manifest["memories"]["weight_bram"];
    let in_bram = if wb["primitive"] == "DP16KD" {
        let blocks = wb["blocks"].as_u64().unwrap_or(u64::MAX);
        if report.yosys_summary.bram >= blocks {
            job.plan.rows
        } else {
            0
        }
    } else {
        banks.iter().filter(|m| m.in_block_ram()).count()
    };
    let outcome = Outcome {
        tokens_per_second: report.tokens_per_second(cycles),
        cycles_per_token: cycles,
        weight_banks_in_bram: (in_bram, job.plan.rows),
        weight_bram: wb.clone(),
        netlist_verification,
        design_sha256: design.sha256(),
        wrapped,
        report,
    };
    let summary = summary_json(job, &outcome);
    let path = job.out.join(SUMMARY_FILE);
    std::fs::write(&path, serde_json::to_string_pretty(&summary)? + "\n")
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(outcome)
}

/// Netlists up to this many cells (LUTs + FFs + carries) are verified by
/// `hitnet synth` by default: every iCE40 design and small ECP5 ones.
/// Bigger ones take longer in Icarus than place and route (the PTB LSTM on
/// ecp5-85k, ~40,000 cells, spent over 10 minutes compiling the bench
/// alone): `hitnet verify --stage synth` runs them on request.
pub(crate) const MAX_VERIFY_CELLS: u64 = 20_000;

/// The synth-stage netlist check `hitnet synth` runs by default: the
/// netlist's hitnet_top against the simulator and the golden model for
/// `verify_tokens` tokens (two sequences), four-state in Icarus with the
/// vendor cell models (and ours for MULT18X18D and DP16KD on ECP5).
fn verify_netlist(job: &Job, report: &hitnet_fpga::SynthReport) -> Result<serde_json::Value> {
    let skip = |why: &str| serde_json::json!({"stage": "synth", "verified": false, "reason": why});
    if job.verify_tokens == 0 {
        return Ok(skip("skipped (--verify-tokens 0)"));
    }
    // Icarus runs a netlist at roughly 5e5 / cells cycles per second (90
    // cycles/s for the 4,700-cell UP5K design).
    let cells = report.yosys_summary.luts + report.yosys_summary.ffs + report.yosys_summary.carries;
    if cells > MAX_VERIFY_CELLS {
        return Ok(skip(&format!(
            "not verified automatically: {cells} cells exceed {MAX_VERIFY_CELLS}; run hitnet verify --stage synth"
        )));
    }
    let mut tokens = common::stimulus(1, job.verify_tokens, job.plan.layers[0].input_size);
    if let Some(t) = tokens.get_mut(job.verify_tokens as usize / 2) {
        t.first = true;
    }
    let (valid, ready) = common::patterns(1, 0);
    let stim = hitnet_cosim::Stimulus {
        tokens,
        valid,
        ready,
    };
    let r = hitnet_verify::verify_synth_build(
        job.plan,
        &job.loaded.int,
        job.target,
        &report.yosys_tool,
        job.out,
        &stim,
        Some(&job.out.join("verify_mismatch.vcd")),
    )
    .map_err(crate::cmd_verify::verify_error)?;
    if !r.bit_exact {
        return Err(crate::common::CliError {
            code: 1,
            msg: format!(
                "the synthesized netlist differs from the golden model: {} mismatches{}; the bitstream in {} is wrong (see {})",
                r.mismatches,
                r.first.as_ref().map(|m| format!("; first: {m}")).unwrap_or_default(),
                job.out.display(),
                r.vcd.as_ref().map(|v| v.display().to_string()).unwrap_or_default()
            ),
        }
        .into());
    }
    let mut v = serde_json::to_value(&r)?;
    v["verified"] = serde_json::Value::Bool(true);
    Ok(v)
}

/// The `--json` object and the content of `hitnet_synth.json`: the
/// SynthReport plus what only the CLI knows (plan, cycles, tokens/s).
pub(crate) fn summary_json(job: &Job, o: &Outcome) -> serde_json::Value {
    let p = job.plan;
    let mut v = serde_json::to_value(&o.report).unwrap_or_default();
    let extra = serde_json::json!({
        "cycles_per_token": o.cycles_per_token,
        "tokens_per_second": o.tokens_per_second,
        "wrapper": o.wrapped.kind.name(),
        "board": o.wrapped.board,
        "uart": o.wrapped.uart,
        "interface": o.wrapped.interface,
        "array": {"rows": p.rows, "cols": p.cols, "lanes": p.lanes},
        "weight_banks": o.weight_banks_in_bram.1,
        "weight_banks_in_bram": o.weight_banks_in_bram.0,
        "weight_bram": o.weight_bram,
        "netlist_verification": o.netlist_verification,
        "design_sha256": o.design_sha256,
        "pnr_seed": job.seed,
        "model": common::model_json(job.loaded),
        "config": job.config_json,
    });
    if let (Some(m), serde_json::Value::Object(e)) = (v.as_object_mut(), extra) {
        m.extend(e);
    }
    v
}

/// Human summary: the flow's table plus cycles and tokens/s.
pub(crate) fn print_text(o: &Outcome) -> Result<()> {
    let r = &o.report;
    crate::out!("{}", r.table());
    let (in_bram, banks) = o.weight_banks_in_bram;
    crate::outln!(
        "weights: {in_bram} of {banks} weight banks in block RAM{}",
        if in_bram < banks {
            " (the others went to logic or LUT RAM: see memories in the synth log)"
        } else if o.weight_bram["primitive"] == "DP16KD" {
            " (DP16KD primitives, output register on)"
        } else {
            ""
        }
    );
    match o.tokens_per_second {
        Some(tps) => crate::outln!(
            "speed:   {} cycles per token (plan) -> {tps:.0} tokens/s at the post-route Fmax {:.2} MHz",
            o.cycles_per_token,
            r.fmax_mhz.unwrap_or(0.0)
        ),
        None => crate::outln!(
            "speed:   {} cycles per token (plan); no tokens/s without a routed Fmax",
            o.cycles_per_token
        ),
    }
    let nv = &o.netlist_verification;
    if nv["verified"] == true {
        crate::outln!(
            "netlist: synthesized netlist BIT-EXACT against the golden model and the simulator ({} tokens, {} beats, same cycles; Icarus with Yosys's cell models)",
            nv["tokens"], nv["beats"]
        );
    } else {
        crate::outln!(
            "netlist: {}",
            nv["reason"].as_str().unwrap_or("not verified")
        );
    }
    if let Some(b) = o.wrapped.board {
        crate::outln!(
            "board:   {b}; the UART top runs the accelerator on the board oscillator, a PLL would give it the Fmax"
        );
    }
    crate::outln!(
        "rerun:   sh {}/run.sh (plain scripts, no Rust needed)",
        r.out_dir.display()
    );
    Ok(())
}

pub fn run(a: Args) -> Result<ExitCode> {
    let pl = common::load_plan(a.config.as_deref())?;
    let target = common::fpga_target(a.target.as_deref(), &pl.loaded)?;
    let wrapper = wrapper_kind(a.wrapper.as_deref(), target)?;
    let clock = check_clock(a.clock_mhz.unwrap_or(pl.loaded.config.hw.clock_mhz))?;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| common::default_build_dir(target));
    prepare_out(&out)?;
    let job = Job {
        loaded: &pl.loaded,
        plan: &pl.plan,
        config_json: common::config_json(&pl.loaded),
        target,
        wrapper,
        out: &out,
        clock_mhz: clock,
        bitstream: !a.no_bitstream,
        progress: Progress::Stderr,
        seed: a.seed,
        verify_tokens: a.verify_tokens,
    };
    let o = run_job(&job)?;
    if a.json {
        common::print_json(&summary_json(&job, &o))?;
    } else {
        crate::outln!("model:   {}", common::model_line(&pl.loaded));
        crate::outln!(
            "array:   {} x {}, {} lane(s); wrapper {}{}",
            pl.plan.rows,
            pl.plan.cols,
            pl.plan.lanes,
            o.wrapped.kind.name(),
            o.wrapped
                .board
                .map(|b| format!(" ({b})"))
                .unwrap_or_default()
        );
        print_text(&o)?;
    }
    Ok(ExitCode::SUCCESS)
}
