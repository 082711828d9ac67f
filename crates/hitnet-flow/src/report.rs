//! `hitnet report`: one summary of the model, the plan, cycles per token
//! (plan and cycle simulator) and, when `hitnet synth` left a run of the
//! same config in the build folder, resources, Fmax and tokens per second;
//! as JSON or Markdown.
use crate::synth::{SynthSummary, SUMMARY_FILE};
use hitnet_fpga::Target;
use hitnet_sim::{Pattern, Sim};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What the build folder says about the synth run of this config.
pub enum SynthRun {
    /// No `hitnet_synth.json` there.
    None,
    /// A run of another config (its array shape, for the message).
    Other(String),
    Found(Box<SynthSummary>),
    /// The file exists but cannot be read.
    Unreadable(String),
}

pub fn find_run(dir: &Path, config: &serde_json::Value) -> SynthRun {
    if !dir.join(SUMMARY_FILE).exists() {
        return SynthRun::None;
    }
    match crate::synth::read_summary(dir) {
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

/// The simulator needs two tokens to measure a period.
pub fn check_tokens(tokens: u64) -> crate::Result<()> {
    if tokens < 2 {
        return Err(crate::FlowError::Input(
            "invalid value for `--tokens`: at least 2 tokens are needed to measure a period".into(),
        ));
    }
    Ok(())
}

/// The report of one config on one target.
pub struct Report<'a> {
    pub loaded: &'a hitnet_model::Loaded,
    pub plan: &'a hitnet_arch::Plan,
    pub target: &'static Target,
    /// The build folder looked in.
    pub dir: PathBuf,
    /// The config file, for the command the note suggests.
    pub config_path: Option<PathBuf>,
    /// Tokens the cycle simulator ran.
    pub tokens: u64,
    /// Cycles per token the simulator measured.
    pub measured: f64,
    pub run: SynthRun,
}

/// Memory sizes in bits.
struct Bits {
    weights: u64,
    bias: u64,
    state: u64,
    tables: u64,
    table_words: usize,
}

impl Report<'_> {
    /// Runs the cycle simulator for `tokens` tokens (input always valid,
    /// output always ready) and looks for the synth run in `dir`.
    pub fn build<'a>(
        loaded: &'a hitnet_model::Loaded,
        plan: &'a hitnet_arch::Plan,
        target: &'static Target,
        dir: &Path,
        config_path: Option<&Path>,
        tokens: u64,
    ) -> crate::Result<Report<'a>> {
        check_tokens(tokens)?;
        let stim = crate::stimulus(1, tokens, loaded.int.input_size);
        let stats = Sim::new(plan).run(stim, Pattern::Always, Pattern::Always, |_| {});
        Ok(Report {
            loaded,
            plan,
            target,
            dir: dir.to_path_buf(),
            config_path: config_path.map(Path::to_path_buf),
            tokens,
            measured: stats.period().unwrap_or(stats.total_cycles as f64),
            run: find_run(dir, &crate::config_json(loaded)),
        })
    }

    fn bits(&self) -> Bits {
        let p = self.plan;
        let w = &p.widths;
        let table_words = p.images().post_table.len() + p.images().tanh_table.len();
        Bits {
            weights: (p.rows * p.weight_depth * 2 * p.cols) as u64,
            bias: (p.lanes * p.bias_depth) as u64 * w.bias as u64,
            state: (p.lanes * p.state_depth) as u64 * (w.cell + w.lfsr) as u64,
            tables: table_words as u64 * w.act as u64 * p.lanes as u64,
            table_words,
        }
    }

    /// Why there are no FPGA figures (empty when there are).
    pub fn fpga_note(&self) -> String {
        let dir = &self.dir;
        match &self.run {
            SynthRun::None => format!(
                "no synth run in {}; run `hitnet synth --target {}{}`",
                dir.display(),
                self.target.name,
                self.config_path
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
        }
    }

    pub fn json(&self) -> serde_json::Value {
        let p = self.plan;
        let b = self.bits();
        let fpga = match &self.run {
            SynthRun::Found(v) => {
                let r = &v.report;
                serde_json::json!({
                    "target": r.target,
                    "build_dir": self.dir,
                    "fits": r.fits,
                    "overflow": r.overflow,
                    "utilization": r.utilization,
                    "fmax_mhz": r.fmax_mhz,
                    "clock_mhz_target": r.clock_mhz_target,
                    "timing_met": r.timing_met,
                    "tokens_per_second": v.tokens_per_second,
                    "cycles_per_token": v.cycles_per_token,
                    "step": v.step,
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
        let note = self.fpga_note();
        serde_json::json!({
            "model": crate::model_json(self.loaded),
            "plan": {
                "rows": p.rows, "cols": p.cols, "lanes": p.lanes, "steps": p.steps,
                "tree_depth": p.tree_depth, "in_trits": p.in_trits, "out_trits": p.out_trits,
                "widths": p.widths,
                "memory": {
                    "weight_banks": p.rows, "weight_words": p.weight_depth,
                    "weight_word_bits": 2 * p.cols, "weight_bits": b.weights,
                    "bias_words_per_lane": p.bias_depth, "bias_bits": b.bias,
                    "state_words_per_lane": p.state_depth, "state_bits": b.state,
                    "table_bits": b.tables,
                },
            },
            "cycles": {
                "plan_per_token": p.cycles.per_token,
                "bound_per_token": p.cycles.bound_per_token,
                "utilization": p.cycles.utilization,
                "simulated_per_token": self.measured,
                "simulated_tokens": self.tokens,
                "formula": p.cycles.formula,
            },
            "fpga": fpga,
            "fpga_note": if note.is_empty() { serde_json::Value::Null } else { note.into() },
        })
    }

    pub fn markdown(&self) -> String {
        let p = self.plan;
        let m = &self.loaded.model;
        let w = &p.widths;
        let b = self.bits();
        let dir = &self.dir;
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
            self.loaded.source
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
        let lanes = format!("({} lane(s))", p.lanes);
        for (what, words, bits_per_word, bits) in [
            (
                format!("weights ({} banks)", p.rows),
                format!("{} per bank", p.weight_depth),
                2 * p.cols,
                b.weights,
            ),
            (
                format!("bias {lanes}"),
                format!("{} per lane", p.bias_depth),
                w.bias as usize,
                b.bias,
            ),
            (
                format!("state: cell + LFSR {lanes}"),
                format!("{} per lane", p.state_depth),
                (w.cell + w.lfsr) as usize,
                b.state,
            ),
            (
                format!("activation tables {lanes}"),
                b.table_words.to_string(),
                w.act as usize,
                b.tables,
            ),
        ] {
            let _ = writeln!(s, "| {what} | {words} | {bits_per_word} | {bits} |");
        }
        let _ = writeln!(s);
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
            self.tokens,
            self.measured,
            p.cycles.formula
        );
        let _ = writeln!(s, "## FPGA: {}\n", self.target.name);
        if let SynthRun::Found(v) = &self.run {
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
                let step = &v.step;
                let _ = writeln!(
                    s,
                    "- Fmax post-route: {} MHz (target {} MHz, {})\n- {step}s per second at Fmax: {} ({} cycles per {step})\n- weight banks in block RAM: {} of {}",
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
            let _ = writeln!(s, "{}.", self.fpga_note());
        }
        s
    }
}
