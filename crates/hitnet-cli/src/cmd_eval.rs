//! `hitnet eval`: bits per character / perplexity per word of a language
//! model on a corpus, for each implementation of its RNN (full precision
//! when a checkpoint is given, quantized float, integer golden), and text
//! sampled from it.
use crate::common;
use anyhow::{Context, Result};
use hitnet_model::model::VocabLevel;
use hitnet_train::{Corpus, Lm, SampleOptions, Split, Tokenizer, Variant};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitArg {
    Train,
    Valid,
    Test,
    All,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VariantArg {
    FullPrecision,
    AsTrained,
    QuantizedFloat,
    Golden,
    /// The cycle-accurate simulator of the accelerator.
    Simulator,
}

impl VariantArg {
    fn variant(self) -> Option<Variant> {
        match self {
            VariantArg::FullPrecision => Some(Variant::FullPrecision),
            VariantArg::AsTrained => Some(Variant::AsTrained),
            VariantArg::QuantizedFloat => Some(Variant::QuantizedFloat),
            VariantArg::Golden => Some(Variant::Golden),
            VariantArg::Simulator => None,
        }
    }
}

/// The accelerator that `--simulator` and `--generate-with simulator` run:
/// the array of the model's config when --model is a config, else --rows/--cols.
fn accelerator(a: &Args, lm: &Lm) -> Result<hitnet_arch::Plan> {
    // A flag wins over the config's array, the config over 8 x 16.
    let (mut rows, mut cols, mut lanes) = (a.rows.unwrap_or(8), a.cols.unwrap_or(16), None);
    if a.model.extension().is_some_and(|e| e == "toml") {
        let cfg = hitnet_model::Config::load(&a.model)?;
        rows = a.rows.unwrap_or(cfg.hw.rows);
        cols = a.cols.unwrap_or(cfg.hw.cols);
        lanes = cfg.hw.post_lanes;
    }
    hitnet_arch::Plan::new(&lm.int, hitnet_arch::Shape { rows, cols, lanes })
        .with_context(|| format!("planning the accelerator for {}", a.model.display()))
}

/// The simulator as a token-at-a-time RNN: token id -> last layer's h.
struct SimRnn<'s, 'a> {
    stream: hitnet_sim::Stream<'s, 'a>,
    lm: &'s Lm,
    first: bool,
}

impl SimRnn<'_, '_> {
    fn step(&mut self, tok: u32) -> Result<Vec<i8>, hitnet_train::TrainError> {
        let x = self.lm.embed(tok)?.to_vec();
        let mut outs = self.stream.push(
            hitnet_sim::Token {
                x,
                first: self.first,
            },
            &mut |_| {},
        );
        self.first = false;
        Ok(outs.pop().unwrap_or_default())
    }
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A hitnet model (.json), a config (.toml) pointing at one, or a
    /// training checkpoint (.ckpt, adds the full-precision network).
    #[arg(long)]
    pub model: PathBuf,
    /// Text corpus to score.
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Part of the corpus: the 90/5/5 split of training, or all of it.
    #[arg(long, value_enum, default_value = "test")]
    pub split: SplitArg,
    /// Score only the first N tokens of the split.
    #[arg(long)]
    pub max_tokens: Option<usize>,
    /// Only these variants [default: every one the model has].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub variants: Vec<VariantArg>,
    /// Sample N tokens from the model and print them (1..=1000000: the
    /// text is kept until it is printed).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub generate: Option<u64>,
    /// The variant that generates (`simulator`: the simulated accelerator).
    #[arg(long, value_enum, default_value = "golden")]
    pub generate_with: VariantArg,
    /// Also run the cycle-accurate simulator of the accelerator on the scored
    /// tokens: its bits per token, and whether every h equals the golden model's.
    #[arg(long)]
    pub simulator: bool,
    /// Array rows of the simulated accelerator (default: the config's, else 8).
    #[arg(long)]
    pub rows: Option<usize>,
    /// Array columns of the simulated accelerator (default: the config's, else 16).
    #[arg(long)]
    pub cols: Option<usize>,
    /// Text that starts generation [default: a newline / <eos>].
    #[arg(long)]
    pub prompt: Option<String>,
    /// Sampling temperature (0: always the most likely token).
    #[arg(long, default_value_t = 0.8)]
    pub temperature: f64,
    /// Seed of the sampler.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    anyhow::ensure!(
        a.corpus.is_some() || a.generate.is_some(),
        "nothing to do: give --corpus FILE to score and/or --generate N to sample"
    );
    let lm = Lm::load(&a.model)?;
    let level = lm.level();
    let unit = match level {
        VocabLevel::Char => "char",
        VocabLevel::Word => "word",
    };
    let mut report = serde_json::json!({
        "model": a.model.display().to_string(),
        "level": unit,
        "cell": lm.model.cell.name(),
        "input_size": lm.model.input_size,
        "hidden_size": lm.model.hidden_size,
        "layers": lm.model.layers.len(),
        "vocab": lm.vocab().tokens.len(),
        "quant": lm.params,
        "trained_quant": lm.trained_quant().map(|q| q.name()),
    });
    if !a.json {
        crate::outln!(
            "model:  {} ({} {}x{}, {} layer{}, {}-token {unit} vocabulary, slope {}{})",
            a.model.display(),
            lm.model.cell.name().to_uppercase(),
            lm.model.input_size,
            lm.model.hidden_size,
            lm.model.layers.len(),
            if lm.model.layers.len() == 1 { "" } else { "s" },
            lm.vocab().tokens.len(),
            lm.params.slope,
            lm.trained_quant()
                .map(|q| format!(", trained {}", q.name()))
                .unwrap_or_default()
        );
    }
    if let Some(path) = &a.corpus {
        let corpus = Corpus::read(path)?;
        let all = lm.encode(&corpus)?;
        let split = match a.split {
            SplitArg::Train => Split::Train,
            SplitArg::Valid => Split::Valid,
            SplitArg::Test => Split::Test,
            SplitArg::All => Split::All,
        };
        let mut toks = &all[hitnet_train::data::split_range(all.len(), split)];
        if let Some(n) = a.max_tokens {
            toks = &toks[..n.min(toks.len())];
        }
        anyhow::ensure!(
            toks.len() >= 2,
            "{}: the {} split has {} token(s); at least 2 are needed (try --split all)",
            path.display(),
            split.name(),
            toks.len()
        );
        let variants: Vec<Variant> = if a.variants.is_empty() {
            lm.variants()
        } else {
            a.variants.iter().filter_map(|v| v.variant()).collect()
        };
        let simulator = a.simulator || a.variants.contains(&VariantArg::Simulator);
        if !a.json {
            crate::outln!(
                "corpus: {}, {} split, {} {unit}s scored",
                path.display(),
                split.name(),
                toks.len() - 1
            );
        }
        let mut rows = Vec::new();
        let mut by = std::collections::HashMap::new();
        for v in variants {
            let t0 = Instant::now();
            let s = lm.score(v, toks).with_context(|| {
                format!("scoring {} with the {} model", path.display(), v.name())
            })?;
            let secs = t0.elapsed().as_secs_f64();
            let bits = s.bits_per_token();
            by.insert(v, bits);
            let metric = match level {
                VocabLevel::Char => format!("{bits:.4} bits/char"),
                VocabLevel::Word => format!(
                    "{:.2} perplexity/word ({bits:.4} bits/word)",
                    s.perplexity()
                ),
            };
            if !a.json {
                crate::outln!(
                    "  {:<16} {metric}   {} ({:.1} s, {:.0} tokens/s)",
                    v.name(),
                    v.describe(),
                    secs,
                    s.tokens as f64 / secs.max(1e-9)
                );
            }
            rows.push(serde_json::json!({
                "variant": v.name(),
                "tokens": s.tokens,
                "bits_per_token": bits,
                "perplexity": s.perplexity(),
                "seconds": secs,
            }));
        }
        if simulator {
            let plan = accelerator(&a, &lm)?;
            let t0 = Instant::now();
            let mut sim = hitnet_sim::Sim::new(&plan);
            let mut rnn = SimRnn {
                stream: sim.stream(hitnet_sim::Pattern::Always, hitnet_sim::Pattern::Always),
                lm: &lm,
                first: true,
            };
            let mut golden = hitnet_model::Golden::new(&lm.int);
            let mut differ = 0u64;
            let s = hitnet_train::eval::score_ternary(lm.output(), toks, |t| {
                let h = rnn.step(t)?;
                let x = lm.embed(t)?;
                if golden.step_last(x) != h {
                    differ += 1;
                }
                Ok::<_, hitnet_train::TrainError>(h)
            })
            .with_context(|| {
                format!("scoring {} with the simulated accelerator", path.display())
            })?;
            let stats = rnn.stream.finish(&mut |_| {});
            let secs = t0.elapsed().as_secs_f64();
            let bits = s.bits_per_token();
            let period = stats.period().unwrap_or(stats.total_cycles as f64);
            if !a.json {
                crate::outln!(
                    "  {:<16} {bits:.4} bits/{unit}   cycle-accurate simulator, {}x{} array, {:.0} cycles/token ({:.1} s)",
                    "simulator",
                    plan.rows,
                    plan.cols,
                    period,
                    secs
                );
                crate::outln!(
                    "simulator vs golden: {}",
                    if differ == 0 {
                        format!("every h of all {} tokens identical", toks.len())
                    } else {
                        format!("{differ} tokens DIFFER")
                    }
                );
            }
            rows.push(serde_json::json!({
                "variant": "simulator",
                "tokens": s.tokens,
                "bits_per_token": bits,
                "perplexity": s.perplexity(),
                "seconds": secs,
                "cycles_per_token": period,
                "array": format!("{}x{}", plan.rows, plan.cols),
            }));
            report["simulator_matches_golden"] = serde_json::json!(differ == 0);
            report["simulator_mismatched_tokens"] = serde_json::json!(differ);
        }
        report["corpus"] = serde_json::json!(path.display().to_string());
        report["split"] = serde_json::json!(split.name());
        report["results"] = serde_json::json!(rows);
        if let (Some(g), Some(q)) = (by.get(&Variant::Golden), by.get(&Variant::QuantizedFloat)) {
            let rel = (g - q) / q;
            report["golden_vs_quantized_float"] = serde_json::json!(rel);
            if !a.json {
                crate::outln!(
                    "golden vs quantized float: {:+.2}% ({})",
                    100.0 * rel,
                    if rel.abs() <= 0.01 {
                        "within 1%"
                    } else {
                        "MORE than 1% apart"
                    }
                );
            }
        }
    }
    if let Some(n) = a.generate.map(|n| n as usize) {
        let tk = Tokenizer::new(lm.vocab())?;
        let prompt = match &a.prompt {
            Some(p) if !p.is_empty() => tk.encode_prompt(p)?,
            _ => lm.default_prompt(),
        };
        let opts = SampleOptions {
            temperature: a.temperature,
            seed: a.seed,
        };
        let (vname, ids) = match a.generate_with.variant() {
            Some(v) => (
                v.name(),
                lm.generate(v, &prompt, n, opts)
                    .with_context(|| format!("generating with the {} model", v.name()))?,
            ),
            None => {
                let plan = accelerator(&a, &lm)?;
                let mut sim = hitnet_sim::Sim::new(&plan);
                let mut rnn = SimRnn {
                    stream: sim.stream(hitnet_sim::Pattern::Always, hitnet_sim::Pattern::Always),
                    lm: &lm,
                    first: true,
                };
                let ids =
                    hitnet_train::eval::generate_ternary(lm.output(), &prompt, n, opts, |t| {
                        rnn.step(t)
                    })
                    .context("generating with the simulated accelerator")?;
                ("simulator", ids)
            }
        };
        let text = tk.decode(&prompt) + &tk.decode(&ids);
        if a.json {
            report["generated"] = serde_json::json!({
                "variant": vname,
                "tokens": n,
                "temperature": a.temperature,
                "seed": a.seed,
                "text": text,
            });
        } else {
            crate::outln!(
                "--- {n} {unit}s sampled by the {} model (temperature {}, seed {}) ---",
                vname,
                a.temperature,
                a.seed
            );
            crate::outln!("{text}");
            crate::outln!("---");
        }
    }
    if a.json {
        common::print_json(&report)?;
    }
    Ok(ExitCode::SUCCESS)
}
