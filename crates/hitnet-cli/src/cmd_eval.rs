//! `hitnet eval`: bits per character / perplexity per word of a language
//! model on a corpus, for each implementation of its RNN (full precision
//! when a checkpoint is given, quantized float, integer golden, the
//! simulated accelerator), and text sampled from it. The evaluation is
//! `hitnet_train::evaluate`; this prints its results as they come.
use crate::common;
use anyhow::Result;
use hitnet_train::{EvalOptions, GenerateOptions, Runner, SampleOptions, Split};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A hitnet model (.json), a config (.toml) pointing at one, or a
    /// training checkpoint (.ckpt, adds the full-precision network).
    #[arg(long)]
    pub model: PathBuf,
    /// Text corpus to score.
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Test split (.ts) of a sequence classifier: accuracy and confusion
    /// matrix of each implementation (MODEL: its .json or .float.json).
    #[arg(long, conflicts_with_all = ["corpus", "generate"])]
    pub test: Option<PathBuf>,
    /// Part of the corpus: the 90/5/5 split of training, or all of it.
    #[arg(long, value_enum, default_value = "test")]
    pub split: Split,
    /// Score only the first N tokens of the split.
    #[arg(long)]
    pub max_tokens: Option<usize>,
    /// Only these variants [default: every one the model has].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub variants: Vec<Runner>,
    /// Sample N tokens from the model and print them (1..=1000000: the
    /// text is kept until it is printed).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub generate: Option<u64>,
    /// The variant that generates (`simulator`: the simulated accelerator).
    #[arg(long, value_enum, default_value = "golden")]
    pub generate_with: Runner,
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
    if let Some(test) = a.test {
        let opts = hitnet_train::classify_eval::ClassifyEvalOptions {
            model: a.model,
            test,
            rows: a.rows,
            cols: a.cols,
            simulator: true,
            seed: a.seed,
        };
        let r = hitnet_train::classify_eval::evaluate_classifier(&opts)?;
        common::emit(a.json, &r, || r.text())?;
        return Ok(ExitCode::SUCCESS);
    }
    anyhow::ensure!(
        a.corpus.is_some() || a.generate.is_some(),
        "nothing to do: give --corpus FILE to score, --generate N to sample, or --test FILE.ts (a classifier)"
    );
    let opts = EvalOptions {
        model: a.model,
        corpus: a.corpus,
        split: a.split,
        max_tokens: a.max_tokens,
        variants: (!a.variants.is_empty())
            .then(|| a.variants.iter().filter_map(|v| v.variant()).collect()),
        simulator: a.simulator || a.variants.contains(&Runner::Simulator),
        rows: a.rows,
        cols: a.cols,
        generate: a.generate.map(|n| GenerateOptions {
            tokens: n as usize,
            with: a.generate_with,
            prompt: a.prompt,
            sample: SampleOptions {
                temperature: a.temperature,
                seed: a.seed,
            },
        }),
    };
    let json = a.json;
    let report = hitnet_train::evaluate(&opts, &mut |m, ev| -> Result<()> {
        if !json {
            common::write_out(format_args!("{}", ev.text(m)), "")?;
        }
        Ok(())
    })?;
    if json {
        common::print_json(&serde_json::to_value(&report)?)?;
    }
    Ok(ExitCode::SUCCESS)
}
