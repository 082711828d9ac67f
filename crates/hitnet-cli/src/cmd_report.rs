//! `hitnet report`: one summary (Markdown, or JSON) of the model, the
//! plan, cycles per token (plan and cycle simulator) and, when `hitnet
//! synth` left a run for the same config in the build folder, resources,
//! Fmax and tokens per second.
use crate::common;
use anyhow::Result;
use hitnet_flow::synth::{SynthSummary, SUMMARY_FILE};
use hitnet_sim::{Pattern, Sim};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The run of this config on this target is reported.
    #[command(flatten)]
    pub design: crate::args::DesignArgs,
    /// Build folder of that run (default: build/<target>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Tokens the cycle simulator runs to measure cycles per token.
    #[arg(long, default_value_t = 16)]
    pub tokens: u64,
    /// Print one JSON object instead of Markdown.
    #[arg(long)]
    pub json: bool,
}

/// What the build folder says about the synth run of this config.
enum SynthRun {
    /// No `hitnet_synth.json` there.
    None,
    /// A run of another config (its array shape, for the message).
    Other(String),
    Found(Box<SynthSummary>),
    /// The file exists but cannot be read.
    Unreadable(String),
}

fn find_run(dir: &Path, config: &serde_json::Value) -> SynthRun {
    if !dir.join(SUMMARY_FILE).exists() {
        return SynthRun::None;
    }
    match hitnet_flow::synth::read_summary(dir) {
        Err(e) => SynthRun::Unreadable(e.to_string()),
        Ok(v) if &v.config == config => SynthRun::Found(Box::new(v)),
        Ok(v) => SynthRun::Other(format!("{} x {} array", v.array.rows, v.array.cols)),
    }
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(num).unwrap_or_else(|| "-".into())
}

pub fn run(a: Args) -> Result<ExitCode> {
    if a.tokens < 2 {
        return Err(common::bad_input(
            "invalid value for `--tokens`: at least 2 tokens are needed to measure a period",
        ));
    }
    let pl = common::load_plan(a.design.config.as_deref())?;
    let target = common::fpga_target(a.design.target.as_deref(), &pl.loaded)?;
    let dir = a
        .out
        .clone()
        .unwrap_or_else(|| common::default_build_dir(target));
    let p = &pl.plan;
    let im = &pl.loaded.int;
    let m = &pl.loaded.model;

    // Cycle simulator on a short stream, input always valid, output always ready.
    let tokens = common::stimulus(1, a.tokens, im.input_size);
    let stats = Sim::new(p).run(tokens, Pattern::Always, Pattern::Always, |_| {});
    let measured = stats.period().unwrap_or(stats.total_cycles as f64);

    let w = &p.widths;
    let weight_bits = (p.rows * p.weight_depth * 2 * p.cols) as u64;
    let bias_bits = (p.lanes * p.bias_depth) as u64 * w.bias as u64;
    let state_bits = (p.lanes * p.state_depth) as u64 * (w.cell + w.lfsr) as u64;
    let table_bits = (p.images().post_table.len() + p.images().tanh_table.len()) as u64
        * w.act as u64
        * p.lanes as u64;
    let config = common::config_json(&pl.loaded);
    let run = find_run(&dir, &config);
    let fpga = match &run {
        SynthRun::Found(v) => {
            let r = &v.report;
            serde_json::json!({
                "target": r.target,
                "build_dir": dir,
                "fits": r.fits,
                "overflow": r.overflow,
                "utilization": r.utilization,
                "fmax_mhz": r.fmax_mhz,
                "clock_mhz_target": r.clock_mhz_target,
                "timing_met": r.timing_met,
                "tokens_per_second": v.tokens_per_second,
                "cycles_per_token": v.cycles_per_token,
                "wrapper": v.wrapper,
                "weight_banks_in_bram": v.weight_banks_in_bram,
                "yosys_version": r.yosys_version,
                "yosys_tool": r.yosys_tool,
                "nextpnr_version": r.nextpnr_version,
                "critical_path": r.clocks.first().map(|c| &c.critical_path),
                "bitstream": r.bitstream,
            })
        }
        _ => serde_json::Value::Null,
    };
    let fpga_note = match &run {
        SynthRun::None => format!(
            "no synth run in {}; run `hitnet synth --target {}{}`",
            dir.display(),
            target.name,
            a.design
                .config
                .as_ref()
                .map(|c| format!(" --config {}", c.display()))
                .unwrap_or_default()
        ),
        SynthRun::Other(shape) => format!(
            "the synth run in {} is of another config ({shape}); rerun `hitnet synth` for this one",
            dir.display()
        ),
        SynthRun::Unreadable(e) => format!("cannot read the synth run: {e}"),
        SynthRun::Found(_) => String::new(),
    };

    if a.json {
        common::print_json(&serde_json::json!({
            "model": common::model_json(&pl.loaded),
            "plan": {
                "rows": p.rows, "cols": p.cols, "lanes": p.lanes, "steps": p.steps,
                "tree_depth": p.tree_depth, "in_trits": p.in_trits, "out_trits": p.out_trits,
                "widths": p.widths,
                "memory": {
                    "weight_banks": p.rows, "weight_words": p.weight_depth,
                    "weight_word_bits": 2 * p.cols, "weight_bits": weight_bits,
                    "bias_words_per_lane": p.bias_depth, "bias_bits": bias_bits,
                    "state_words_per_lane": p.state_depth, "state_bits": state_bits,
                    "table_bits": table_bits,
                },
            },
            "cycles": {
                "plan_per_token": p.cycles.per_token,
                "bound_per_token": p.cycles.bound_per_token,
                "utilization": p.cycles.utilization,
                "simulated_per_token": measured,
                "simulated_tokens": a.tokens,
                "formula": p.cycles.formula,
            },
            "fpga": fpga,
            "fpga_note": if fpga_note.is_empty() { serde_json::Value::Null } else { fpga_note.clone().into() },
        }))?;
        return Ok(ExitCode::SUCCESS);
    }

    let mut s = String::new();
    let _ = writeln!(s, "# HitNet accelerator report\n");
    let _ = writeln!(s, "## Model\n");
    let _ = writeln!(
        s,
        "| cell | inputs | hidden | layers | ternary weights | zero weights | source |\n|---|---|---|---|---|---|---|"
    );
    let _ = writeln!(
        s,
        "| {} | {} | {} | {} | {} | {:.1}% | {} |\n",
        m.cell.name().to_uppercase(),
        m.input_size,
        m.hidden_size,
        m.layers.len(),
        m.weight_count(),
        100.0 * m.zero_fraction(),
        pl.loaded.source
    );
    let _ = writeln!(s, "## Plan\n");
    let _ = writeln!(
        s,
        "Array {} x {} ({} products per cycle), {} post/element-wise lane(s), {} serial steps, adder tree depth {}; {} input trits and {} output trits per beat.\n",
        p.rows, p.cols, p.rows * p.cols, p.lanes, p.steps, p.tree_depth, p.in_trits, p.out_trits
    );
    let _ = writeln!(
        s,
        "| memory | words | bits per word | bits |\n|---|---|---|---|"
    );
    let _ = writeln!(
        s,
        "| weights ({} banks) | {} per bank | {} | {} |",
        p.rows,
        p.weight_depth,
        2 * p.cols,
        weight_bits
    );
    let _ = writeln!(
        s,
        "| bias ({} lane(s)) | {} per lane | {} | {} |",
        p.lanes, p.bias_depth, w.bias, bias_bits
    );
    let _ = writeln!(
        s,
        "| state: cell + LFSR ({} lane(s)) | {} per lane | {} | {} |",
        p.lanes,
        p.state_depth,
        w.cell + w.lfsr,
        state_bits
    );
    let _ = writeln!(
        s,
        "| activation tables ({} lane(s)) | {} | {} | {} |\n",
        p.lanes,
        p.images().post_table.len() + p.images().tanh_table.len(),
        w.act,
        table_bits
    );
    let _ = writeln!(
        s,
        "Widths: accumulator {}, scale multiplier {}, product {}, pre-activation {}, activation {}, cell {}, LFSR {} bits.\n",
        w.acc, w.mult, w.prod, w.pre, w.act, w.cell, w.lfsr
    );
    let _ = writeln!(s, "## Cycles per token\n");
    let _ = writeln!(
        s,
        "- plan: {} (bound {:.1}, array utilization {:.1}%)\n- cycle simulator, {} tokens back to back: {:.1}\n- {}\n",
        p.cycles.per_token,
        p.cycles.bound_per_token,
        100.0 * p.cycles.utilization,
        a.tokens,
        measured,
        p.cycles.formula
    );
    let _ = writeln!(s, "## FPGA: {}\n", target.name);
    if let SynthRun::Found(v) = &run {
        let r = &v.report;
        let _ = writeln!(
            s,
            "Build folder {}, wrapper {}, yosys {} ({}), nextpnr {}.\n",
            dir.display(),
            v.wrapper,
            r.yosys_version,
            r.yosys_tool,
            r.nextpnr_version.as_deref().unwrap_or("?")
        );
        let _ = writeln!(s, "| resource | used | available | % |\n|---|---|---|---|");
        for (k, x) in &r.utilization {
            let _ = writeln!(
                s,
                "| {k} | {} | {} | {} |",
                x.used,
                x.available,
                num(x.percent)
            );
        }
        let _ = writeln!(s);
        if r.fits {
            let _ = writeln!(
                s,
                "- Fmax post-route: {} MHz (target {} MHz, {})\n- tokens per second at Fmax: {} ({} cycles per token)\n- weight banks in block RAM: {} of {}",
                opt(r.fmax_mhz),
                num(r.clock_mhz_target),
                if r.timing_met == Some(true) { "met" } else { "missed" },
                v.tokens_per_second
                    .map(|t| format!("{t:.0}"))
                    .unwrap_or_else(|| "-".into()),
                v.cycles_per_token,
                v.weight_banks_in_bram,
                v.weight_banks
            );
            if let Some(c) = r.clocks.first().filter(|c| !c.critical_path.is_empty()) {
                let _ = writeln!(
                    s,
                    "- critical path: `{}`",
                    hitnet_fpga::report::short_path(&c.critical_path)
                );
            }
        } else {
            let _ = writeln!(s, "Does not fit:");
            for o in &r.overflow {
                let _ = writeln!(
                    s,
                    "- {}: {} used, {} available ({} over)",
                    o.resource, o.used, o.available, o.excess
                );
            }
        }
    } else {
        let _ = writeln!(s, "{fpga_note}.");
    }
    crate::out!("{s}");
    Ok(ExitCode::SUCCESS)
}
