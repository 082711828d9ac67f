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
}

impl VariantArg {
    fn variant(self) -> Variant {
        match self {
            VariantArg::FullPrecision => Variant::FullPrecision,
            VariantArg::AsTrained => Variant::AsTrained,
            VariantArg::QuantizedFloat => Variant::QuantizedFloat,
            VariantArg::Golden => Variant::Golden,
        }
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
    /// Sample N tokens from the model and print them.
    #[arg(long, value_name = "N")]
    pub generate: Option<usize>,
    /// The variant that generates.
    #[arg(long, value_enum, default_value = "golden")]
    pub generate_with: VariantArg,
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
        println!(
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
            a.variants.iter().map(|v| v.variant()).collect()
        };
        if !a.json {
            println!(
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
                println!(
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
        report["corpus"] = serde_json::json!(path.display().to_string());
        report["split"] = serde_json::json!(split.name());
        report["results"] = serde_json::json!(rows);
        if let (Some(g), Some(q)) = (by.get(&Variant::Golden), by.get(&Variant::QuantizedFloat)) {
            let rel = (g - q) / q;
            report["golden_vs_quantized_float"] = serde_json::json!(rel);
            if !a.json {
                println!(
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
    if let Some(n) = a.generate {
        let tk = Tokenizer::new(lm.vocab())?;
        let prompt = match &a.prompt {
            Some(p) if !p.is_empty() => tk.encode_prompt(p)?,
            _ => lm.default_prompt(),
        };
        let v = a.generate_with.variant();
        let opts = SampleOptions {
            temperature: a.temperature,
            seed: a.seed,
        };
        let ids = lm
            .generate(v, &prompt, n, opts)
            .with_context(|| format!("generating with the {} model", v.name()))?;
        let text = tk.decode(&prompt) + &tk.decode(&ids);
        if a.json {
            report["generated"] = serde_json::json!({
                "variant": v.name(),
                "tokens": n,
                "temperature": a.temperature,
                "seed": a.seed,
                "text": text,
            });
        } else {
            println!(
                "--- {n} {unit}s sampled by the {} model (temperature {}, seed {}) ---",
                v.name(),
                a.temperature,
                a.seed
            );
            println!("{text}");
            println!("---");
        }
    }
    if a.json {
        common::print_json(&report);
    }
    Ok(ExitCode::SUCCESS)
}
