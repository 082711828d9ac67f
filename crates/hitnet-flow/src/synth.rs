//! One synthesis job: generate the accelerator, wrap it for a board (or the
//! characterization wrapper), run Yosys + nextpnr, check the synthesized
//! netlist against the golden model, and leave a [`SynthSummary`] in the
//! build folder. docs/fpga-flow.md describes the folder.
use crate::{io, FlowError, Result};
use hitnet_fpga::accel::EndsKind;
use hitnet_fpga::{
    uart::UartParams, AccelInterface, Executor, FlowOptions, Progress, Step, SynthOnly,
    SynthReport, Target, Wrapped, WrapperKind,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One synthesis job: a planned design on a target in a folder.
pub struct Job<'a> {
    pub loaded: &'a hitnet_model::Loaded,
    pub plan: &'a hitnet_arch::Plan,
    /// The config as JSON, with the shape actually planned.
    pub config_json: serde_json::Value,
    pub target: &'static Target,
    pub wrapper: WrapperKind,
    pub out: &'a Path,
    pub clock_mhz: f64,
    /// The steps to run (hitnet_fpga::Step; `to` is pnr or pack); the
    /// earlier ones are read back from `out`.
    pub from: Step,
    pub to: Step,
    pub executor: Executor,
    pub progress: Progress,
    /// nextpnr seed.
    pub seed: u64,
    /// Tokens simulated on the synthesized netlist (0: no check).
    pub verify_tokens: u64,
    /// Build with placeholder memory images and deploy the model into the
    /// placed design ([`crate::deploy`]), so `hitnet deploy` can put
    /// other models of the same shape into it.
    pub deployable: bool,
}

/// The array a job planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Array {
    pub rows: usize,
    pub cols: usize,
    pub lanes: usize,
}

/// What a job measured: the flow's report plus what only the job knows
/// (plan, cycles, tokens/s, the netlist check). `hitnet synth --json`
/// prints it, [`SUMMARY_FILE`] holds it and `hitnet report` reads it back.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SynthSummary {
    #[serde(flatten)]
    pub report: SynthReport,
    /// Cycles per step: a token, or with the classifier ends a frame
    /// (`step`); tokens_per_second is then frames per second.
    pub cycles_per_token: u64,
    pub tokens_per_second: Option<f64>,
    /// "token", or "frame" (the classifier ends).
    #[serde(default = "token_step")]
    pub step: String,
    /// uart or char.
    pub wrapper: String,
    pub board: Option<String>,
    pub uart: Option<UartParams>,
    pub interface: AccelInterface,
    pub array: Array,
    pub weight_banks: usize,
    /// Weight banks Yosys put in block RAM.
    pub weight_banks_in_bram: usize,
    /// manifest.json's `memories.weight_bram`: inferred or DP16KD.
    pub weight_bram: serde_json::Value,
    /// Whether and how the synthesized netlist was verified.
    pub netlist_verification: serde_json::Value,
    /// SHA-256 of the generated design (hitnet_rtl::design_sha256).
    pub design_sha256: String,
    /// SHA-256 of the wrapper's sources (`hitnet_fpga::accel::wrapper_sha256`):
    /// the build measured is the design inside its wrapper.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapper_sha256: Option<String>,
    /// A deployable build (`--deployable`): the deployment of its own
    /// model into the placed design.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed: Option<crate::deploy::Deployed>,
    pub pnr_seed: u64,
    pub model: serde_json::Value,
    pub config: serde_json::Value,
    /// The language-model ends' flash image (lm.store = "flash"): the
    /// bitstream does not hold the embedding and head; program both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flash: Option<FlashImage>,
}

/// The image the flash store's loader reads at reset.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FlashImage {
    /// `lm_flash.bin` in the build folder.
    pub image: PathBuf,
    pub offset: u64,
    pub bytes: u64,
    /// Cycles from reset until the first word is accepted.
    pub load_cycles: u64,
    /// How to write it next to the bitstream.
    pub program: String,
}

/// A job's summary and the wrapped design it built.
pub struct Outcome {
    pub summary: SynthSummary,
    pub wrapped: Wrapped,
}

impl Outcome {
    /// The human summary: array, the flow's table, weights, speed, the
    /// netlist check, board and how to rerun.
    pub fn text(&self) -> String {
        use std::fmt::Write as _;
        let v = &self.summary;
        let r = &v.report;
        let w = &self.wrapped;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "array:   {} x {}, {} lane(s); wrapper {}{}",
            v.array.rows,
            v.array.cols,
            v.array.lanes,
            w.kind.name(),
            w.board.map(|b| format!(" ({b})")).unwrap_or_default()
        );
        s += &r.table();
        let (in_bram, banks) = (v.weight_banks_in_bram, v.weight_banks);
        let _ = writeln!(
            s,
            "weights: {in_bram} of {banks} weight banks in block RAM{}",
            if in_bram < banks {
                " (the others went to logic or LUT RAM: see memories in the synth log)"
            } else if v.weight_bram["primitive"] == "DP16KD" {
                " (DP16KD primitives, output register on)"
            } else {
                ""
            }
        );
        let step = &v.step;
        let _ = match v.tokens_per_second {
            Some(tps) => writeln!(
                s,
                "speed:   {} cycles per {step} (plan) -> {tps:.0} {step}s/s at the post-route Fmax {:.2} MHz",
                v.cycles_per_token,
                r.fmax_mhz.unwrap_or(0.0)
            ),
            None => writeln!(
                s,
                "speed:   {} cycles per {step} (plan); no {step}s/s without a routed Fmax",
                v.cycles_per_token
            ),
        };
        let nv = &v.netlist_verification;
        let _ = if nv["verified"] == true && step == "frame" {
            writeln!(
                s,
                "netlist: synthesized netlist BIT-EXACT against the golden model and the simulator ({} frames, {} sequences: classes, logits, same cycles; Icarus with Yosys's cell models)",
                nv["frames"], nv["sequences"]
            )
        } else if nv["verified"] == true {
            writeln!(
                s,
                "netlist: synthesized netlist BIT-EXACT against the golden model and the simulator ({} tokens, {} beats, same cycles; Icarus with Yosys's cell models)",
                nv["tokens"], nv["beats"]
            )
        } else {
            writeln!(
                s,
                "netlist: {}",
                nv["reason"].as_str().unwrap_or("not verified")
            )
        };
        if let Some(b) = w.board {
            let _ = writeln!(
                s,
                "board:   {b}; the UART top runs the accelerator on the board oscillator, a PLL would give it the Fmax"
            );
        }
        if let Some(d) = &self.summary.deployed {
            let _ = writeln!(
                s,
                "deploy:  built with placeholder memories; the model put in ({} memories, {} block RAMs, {:.2} s); another model of this shape: hitnet deploy --build {} --config NEW.toml --out DIR",
                d.replaced.len(),
                d.block_rams,
                d.seconds,
                r.out_dir.display()
            );
        }
        if let Some(f) = &self.summary.flash {
            let _ = writeln!(
                s,
                "flash:   the embedding and head are not in the bitstream: {} bytes at {:#x}, loaded in {} cycles after reset; program them with {}",
                f.bytes, f.offset, f.load_cycles, f.program
            );
        }
        let _ = writeln!(
            s,
            "rerun:   sh {}/run.sh (plain scripts, no Rust needed)",
            r.out_dir.display()
        );
        s
    }
}

fn token_step() -> String {
    "token".into()
}

/// Writes `design`'s flash image (`lm_flash.bin`) into `out`.
pub fn write_flash_image(
    out: &Path,
    f: &hitnet_arch::lm::FlashLayout,
    design: &hitnet_rtl::Design,
) -> Result<FlashImage> {
    let name = hitnet_arch::lm::FLASH_BIN;
    let image = out.join(name);
    let (_, bytes) = design
        .files
        .iter()
        .find(|(n, _)| n == name)
        .expect("a flash store's design holds its image");
    std::fs::write(&image, bytes).map_err(io(&image))?;
    Ok(FlashImage {
        program: format!("iceprog -o {:#x} {}", f.offset, image.display()),
        image,
        offset: f.offset,
        bytes: f.bytes,
        load_cycles: f.load_cycles,
    })
}

/// The summary file a synth run leaves in its folder (read by `report`).
pub const SUMMARY_FILE: &str = "hitnet_synth.json";

/// Reads the [`SUMMARY_FILE`] in `dir`.
pub fn read_summary(dir: &Path) -> Result<SynthSummary> {
    let path = dir.join(SUMMARY_FILE);
    let text = std::fs::read_to_string(&path).map_err(io(&path))?;
    serde_json::from_str(&text).map_err(|e| {
        FlowError::Input(format!(
            "{}: not a summary this hitnet writes ({e}); run hitnet synth again",
            path.display()
        ))
    })
}

/// Netlists up to this many cells (LUTs + FFs + carries) are verified by
/// `hitnet synth` by default: every iCE40 design and small ECP5 ones.
/// Bigger ones take longer in Icarus than place and route (the PTB LSTM on
/// ecp5-85k, ~40,000 cells, spent over 10 minutes compiling the bench
/// alone): `hitnet verify --stage synth` runs them on request.
pub const MAX_VERIFY_CELLS: u64 = 20_000;

/// Generates, wraps and builds one design, checks its netlist and writes
/// the summary.
pub fn run(job: &Job) -> Result<Outcome> {
    // A failed run must not leave the previous summary for `report` to show.
    let _ = std::fs::remove_file(job.out.join(SUMMARY_FILE));
    // With [lm]: hitnet_lm around the core, in the board's LM top; with
    // [classifier]: hitnet_cls in the board's classifier top.
    let ends = crate::ends::Ends::of(job.loaded, job.plan)?;
    let (lm, cls) = (ends.lm(), ends.cls());
    let ends_kind = ends.kind();
    if let Some(e) = cls {
        e.check_uart_rate(
            job.plan,
            &hitnet_fpga::accel::ends_board(job.target, EndsKind::Cls)?,
        )?;
    }
    let (design, wrapped) = crate::wrap_design(
        ends.generate(
            job.plan,
            job.config_json.clone(),
            crate::bram_for_target(job.target.name),
            job.deployable,
        ),
        job.target,
        job.wrapper,
        job.out,
        job.clock_mhz,
    )?;
    if job.to < Step::Pnr || job.from > job.to {
        return Err(FlowError::Input(format!(
            "--from {} --to {}: a build ends with pnr or pack and starts no later (hitnet verify --stage synth stops after synthesis)",
            job.from, job.to
        )));
    }
    let deploy = if job.deployable {
        Some(crate::deploy::prepare(
            job.out,
            job.target,
            job.plan,
            &ends,
            &design,
            crate::model_json(job.loaded),
        )?)
    } else {
        None
    };
    let mut design_in = wrapped.design.clone();
    design_in.pnr_seed = job.seed;
    let opts = FlowOptions {
        toolchain: None,
        progress: job.progress.clone(),
        from: job.from,
        to: job.to,
        dsp: hitnet_fpga::DspPolicy::Fallback,
        executor: job.executor.clone(),
    };
    hitnet_fpga::flow::check_tools(job.target, &opts)?;
    let synthesized = hitnet_fpga::run_synth(&design_in, job.target, job.out, &opts)?;
    if let (Some(info), true) = (&deploy, job.from <= Step::Verify) {
        // The netlist check simulates the synthesized netlist with the
        // model's contents put in by the rule the deployment applies.
        crate::deploy::model_netlist(job.out, info, &design)?;
    }
    let netlist_verification = verify_step(job, &synthesized, lm, cls)?;
    let opts = FlowOptions {
        from: job.from.max(Step::Pnr),
        ..opts
    };
    if deploy.is_some() && job.from > Step::Pnr {
        crate::deploy::restore_placed(job.out, job.target.family)?;
    }
    let report = hitnet_fpga::run_flow(&design_in, job.target, job.out, &opts)?;
    let deployed = match &deploy {
        Some(info) if report.fits => Some(crate::deploy::finish(
            job.out,
            job.out,
            info,
            &design,
            crate::model_json(job.loaded),
            true,
        )?),
        _ => None,
    };
    // The flash store's image, as generated, next to the bitstream.
    let flash = match ends.flash() {
        Some(f) => Some(write_flash_image(job.out, &f, &design)?),
        None => None,
    };
    // The ends: cycles between two generated tokens, or two frames.
    let cycles = ends.cycles_per_step(job.plan);
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
        report
            .memories
            .iter()
            .filter(|m| m.memory.contains(".wbank") && m.in_block_ram())
            .count()
    };
    let p = job.plan;
    let summary = SynthSummary {
        tokens_per_second: report.tokens_per_second(cycles),
        cycles_per_token: cycles,
        step: if cls.is_some() { "frame" } else { "token" }.into(),
        wrapper: wrapped.kind.name().to_string(),
        board: wrapped.board.map(str::to_string),
        uart: wrapped.uart.clone(),
        interface: wrapped.interface,
        array: Array {
            rows: p.rows,
            cols: p.cols,
            lanes: p.lanes,
        },
        weight_banks: p.rows,
        weight_banks_in_bram: in_bram,
        weight_bram: wb.clone(),
        netlist_verification,
        design_sha256: design.sha256(),
        wrapper_sha256: hitnet_fpga::accel::wrapper_sha256_for(wrapped.kind, job.target, ends_kind)
            .ok(),
        deployed,
        pnr_seed: job.seed,
        model: crate::model_json(job.loaded),
        config: job.config_json.clone(),
        report,
        flash,
    };
    let path = job.out.join(SUMMARY_FILE);
    let text = serde_json::to_string_pretty(&summary).expect("summary serializes") + "\n";
    std::fs::write(&path, text).map_err(io(&path))?;
    Ok(Outcome { summary, wrapped })
}

/// `reports/verify.json`: the netlist check and the synthesis it checked.
#[derive(Serialize, Deserialize)]
struct VerifyFile {
    step: String,
    /// `inputs_sha256` of the synthesis step whose netlist was checked.
    inputs_sha256: String,
    result: serde_json::Value,
}

/// The verify step: runs the netlist check on the netlist just
/// synthesized, or, when the run starts later, reads back the check of
/// that same netlist.
fn verify_step(
    job: &Job,
    syn: &SynthOnly,
    lm: Option<&crate::lm::Ends>,
    cls: Option<&crate::cls::Ends>,
) -> Result<serde_json::Value> {
    let path = Step::Verify.report_file(job.out);
    if job.from > Step::Verify {
        let resume = |reason: String| {
            FlowError::Fpga(hitnet_fpga::FpgaError::Resume {
                dir: job.out.to_path_buf(),
                step: job.from.name(),
                reason,
            })
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            resume(format!(
                "no report of the verify step ({}: {e})",
                path.display()
            ))
        })?;
        let f: VerifyFile = serde_json::from_str(&text)
            .map_err(|e| resume(format!("{} is not a verify report ({e})", path.display())))?;
        if f.inputs_sha256 != syn.inputs_sha256 {
            return Err(resume(
                "the verify step checked another synthesis run".into(),
            ));
        }
        return Ok(f.result);
    }
    let _ = std::fs::remove_file(&path);
    let result = verify_netlist(job, syn, lm, cls)?;
    let f = VerifyFile {
        step: Step::Verify.name().into(),
        inputs_sha256: syn.inputs_sha256.clone(),
        result,
    };
    let text = serde_json::to_string_pretty(&f).expect("verify report serializes") + "\n";
    std::fs::write(&path, text).map_err(io(&path))?;
    Ok(f.result)
}

/// The synth-stage netlist check: the netlist's hitnet_top against the
/// simulator and the golden model for `verify_tokens` tokens (two
/// sequences), four-state in Icarus with the vendor cell models (and ours
/// for MULT18X18D and DP16KD on ECP5).
fn verify_netlist(
    job: &Job,
    syn: &SynthOnly,
    lm: Option<&crate::lm::Ends>,
    cls: Option<&crate::cls::Ends>,
) -> Result<serde_json::Value> {
    let skip = |why: &str| serde_json::json!({"stage": "synth", "verified": false, "reason": why});
    if job.verify_tokens == 0 {
        return Ok(skip("skipped (--verify-tokens 0)"));
    }
    // Icarus runs a netlist at roughly 5e5 / cells cycles per second (90
    // cycles/s for the 4,700-cell UP5K design).
    let y = &syn.yosys_summary;
    let cells = y.luts + y.ffs + y.carries;
    if cells > MAX_VERIFY_CELLS {
        return Ok(skip(&format!(
            "not verified automatically: {cells} cells exceed {MAX_VERIFY_CELLS}; run hitnet verify --stage synth"
        )));
    }
    // The verdict of the ends' check: the report, or why the bitstream is
    // wrong.
    let ends_verdict = |what: &str,
                        ok: bool,
                        v: &hitnet_verify::ends::EndsVerdict,
                        report: serde_json::Value|
     -> Result<serde_json::Value> {
        if !ok {
            return Err(FlowError::NetlistDiffers(format!(
                "the synthesized netlist of the {what} differs from the simulator: {} mismatches{}; the bitstream in {} is wrong",
                v.problems(),
                v.first_mismatches.first().map(|m| format!("; first: {m}")).unwrap_or_default(),
                job.out.display()
            )));
        }
        let mut v = report;
        v["stage"] = "synth".into();
        v["verified"] = serde_json::Value::Bool(true);
        v["bit_exact"] = serde_json::Value::Bool(true);
        Ok(v)
    };
    let work = job.out.join("verify");
    let steps = job.verify_tokens as usize;
    if let Some(e) = lm {
        // The kept hitnet_lm of the netlist, token by token and cycle by cycle.
        let net = hitnet_verify::cells::for_synth(job.target.family, syn)?;
        let r = e.check_netlist(job.loaded, job.plan, &net, steps, &work)?;
        return ends_verdict(
            "language-model ends",
            r.ok(),
            &r.verdict,
            serde_json::to_value(&r).expect("report serializes"),
        );
    }
    if let Some(e) = cls {
        // The kept hitnet_cls of the netlist, frame by frame and cycle by
        // cycle: verify_tokens frames in two sequences.
        let net = hitnet_verify::cells::for_synth(job.target.family, syn)?;
        let r = e.check_netlist(job.loaded, job.plan, &net, steps, &work)?;
        return ends_verdict(
            "classifier ends",
            r.ok(),
            &r.verdict,
            serde_json::to_value(&r).expect("report serializes"),
        );
    }
    let mut tokens = crate::stimulus(1, job.verify_tokens, job.plan.layers[0].input_size);
    if let Some(t) = tokens.get_mut(job.verify_tokens as usize / 2) {
        t.first = true;
    }
    let (valid, ready) = crate::patterns(1, 0);
    let stim = hitnet_cosim::Stimulus {
        tokens,
        valid,
        ready,
    };
    let r = hitnet_verify::verify_synth_build(
        job.plan,
        &job.loaded.int,
        job.target,
        &syn.yosys_tool,
        job.out,
        &stim,
        Some(&job.out.join("verify_mismatch.vcd")),
    )?;
    if !r.bit_exact {
        return Err(FlowError::NetlistDiffers(format!(
            "the synthesized netlist differs from the golden model: {} mismatches{}; the bitstream in {} is wrong (see {})",
            r.mismatches,
            r.first.as_ref().map(|m| format!("; first: {m}")).unwrap_or_default(),
            job.out.display(),
            r.vcd.as_ref().map(|v| v.display().to_string()).unwrap_or_default()
        )));
    }
    let mut v = serde_json::to_value(&r).expect("report serializes");
    v["verified"] = serde_json::Value::Bool(true);
    Ok(v)
}
