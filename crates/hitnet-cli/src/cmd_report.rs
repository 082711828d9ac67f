//! `hitnet report`: one summary (Markdown, or JSON) of the model, the
//! plan, cycles per token (plan and cycle simulator) and, when `hitnet
//! synth` left a run for the same config in the build folder, resources,
//! Fmax and tokens per second.
use crate::cmd_synth::SUMMARY_FILE;
use crate::common;
use anyhow::Result;
use hitnet_sim::{Pattern, Sim};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Config file (TOML); the built-in default config when absent.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// FPGA target whose synth run to include (default: hw.target).
    #[arg(long)]
    pub target: Option<String>,
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
    Found(serde_json::Value),
    /// The file exists but cannot be read.
    Unreadable(String),
}

fn find_run(dir: &Path, config: &serde_json::Value) -> SynthRun {
    let path = dir.join(SUMMARY_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return SynthRun::None,
        Err(e) => return SynthRun::Unreadable(format!("{}: {e}", path.display())),
    };
    match serde_json::from_str::<serde_json::Value>(&text) {
        Err(e) => SynthRun::Unreadable(format!("{}: {e}", path.display())),
        Ok(v) if &v["config"] == config => SynthRun::Found(v),
        Ok(v) => SynthRun::Other(format!(
            "{} x {} array",
            v["array"]["rows"], v["array"]["cols"]
        )),
    }
}

fn num(v: &serde_json::Value) -> String {
    match v.as_f64() {
        Some(f) if f.fract() == 0.0 => format!("{f:.0}"),
        Some(f) => format!("{f:.2}"),
        None => "-".into(),
    }
}

pub fn run(a: Args) -> Result<ExitCode> {
    if a.tokens < 2 {
        return Err(common::bad_input(
            "invalid value for `--tokens`: at least 2 tokens are needed to measure a period",
        ));
    }
    let pl = common::load_plan(a.config.as_deref())?;
    let target = common::fpga_target(a.target.as_deref(), &pl.loaded)?;
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
        SynthRun::Found(v) => serde_json::json!({
            "target": v["target"],
            "build_dir": dir,
            "fits": v["fits"],
            "overflow": v["overflow"],
            "utilization": v["utilization"],
            "fmax_mhz": v["fmax_mhz"],
            "clock_mhz_target": v["clock_mhz_target"],
            "timing_met": v["timing_met"],
            "tokens_per_second": v["tokens_per_second"],
            "cycles_per_token": v["cycles_per_token"],
            "wrapper": v["wrapper"],
            "weight_banks_in_bram": v["weight_banks_in_bram"],
            "yosys_version": v["yosys_version"],
            "yosys_tool": v["yosys_tool"],
            "nextpnr_version": v["nextpnr_version"],
            "critical_path": v["clocks"][0]["critical_path"],
            "bitstream": v["bitstream"],
        }),
        _ => serde_json::Value::Null,
    };
    let fpga_note = match &run {
        SynthRun::None => format!(
            "no synth run in {}; run `hitnet synth --target {}{}`",
            dir.display(),
            target.name,
            a.config
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
        let _ = writeln!(
            s,
            "Build folder {}, wrapper {}, yosys {} ({}), nextpnr {}.\n",
            dir.display(),
            v["wrapper"].as_str().unwrap_or("?"),
            v["yosys_version"].as_str().unwrap_or("?"),
            v["yosys_tool"].as_str().unwrap_or("?"),
            v["nextpnr_version"].as_str().unwrap_or("?")
        );
        let _ = writeln!(s, "| resource | used | available | % |\n|---|---|---|---|");
        if let Some(u) = v["utilization"].as_object() {
            for (k, x) in u {
                let _ = writeln!(
                    s,
                    "| {k} | {} | {} | {} |",
                    num(&x["used"]),
                    num(&x["available"]),
                    num(&x["percent"])
                );
            }
        }
        let _ = writeln!(s);
        if v["fits"] == true {
            let _ = writeln!(
                s,
                "- Fmax post-route: {} MHz (target {} MHz, {})\n- tokens per second at Fmax: {} ({} cycles per token)\n- weight banks in block RAM: {} of {}",
                num(&v["fmax_mhz"]),
                num(&v["clock_mhz_target"]),
                if v["timing_met"] == true { "met" } else { "missed" },
                v["tokens_per_second"]
                    .as_f64()
                    .map(|t| format!("{t:.0}"))
                    .unwrap_or_else(|| "-".into()),
                v["cycles_per_token"],
                v["weight_banks_in_bram"],
                v["weight_banks"]
            );
            if let Some(cp) = v["clocks"][0]["critical_path"].as_array() {
                let sig: Vec<String> = cp
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect();
                if !sig.is_empty() {
                    let _ = writeln!(
                        s,
                        "- critical path: `{}`",
                        hitnet_fpga::report::short_path(&sig)
                    );
                }
            }
        } else {
            let _ = writeln!(s, "Does not fit:");
            for o in v["overflow"].as_array().into_iter().flatten() {
                let _ = writeln!(
                    s,
                    "- {}: {} used, {} available ({} over)",
                    o["resource"].as_str().unwrap_or("?"),
                    o["used"],
                    o["available"],
                    o["excess"]
                );
            }
        }
    } else {
        let _ = writeln!(s, "{fpga_note}.");
    }
    crate::out!("{s}");
    Ok(ExitCode::SUCCESS)
}
