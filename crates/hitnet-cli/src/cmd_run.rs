//! `hitnet run`: the golden model over a seeded random ternary input
//! stream (hitnet_flow::simulate::golden); with `--generate`, text from a
//! language model's integer ends (hitnet_model::lm, the definition the
//! chip is to reproduce).
use crate::common;
use anyhow::Result;
use hitnet_model::lm::LmEnds;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub stream: crate::args::StreamArgs,
    /// Generate text after this prompt with the model's integer embedding,
    /// int8 head and Gumbel-max sampler (a language model only).
    #[arg(long, value_name = "PROMPT")]
    pub generate: Option<String>,
    /// Tokens to generate after the prompt (with --generate).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub chars: u32,
    /// Sampling temperature (0 = greedy; with --generate).
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f64,
    /// Seed of the sampler's LFSR (with --generate).
    #[arg(long, default_value_t = 1)]
    pub sample_seed: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let loaded = common::load_model(a.stream.cfg.config.as_deref())?;
    if let Some(prompt) = &a.generate {
        return generate(&a, &loaded, prompt);
    }
    let r = hitnet_flow::simulate::golden(&loaded, a.stream.seed, a.stream.tokens);
    common::emit(a.json, &r, || r.text(&loaded))?;
    Ok(ExitCode::SUCCESS)
}

#[derive(serde::Serialize)]
struct Generated {
    prompt: String,
    temperature: f64,
    sample_seed: u64,
    /// Token ids of the generated text.
    tokens: Vec<usize>,
    text: String,
}

fn generate(a: &Args, loaded: &hitnet_model::Loaded, prompt: &str) -> Result<ExitCode> {
    let ends = LmEnds::from_model(&loaded.model, a.temperature, a.sample_seed)
        .map_err(|e| common::bad_input(format!("{}: {e}", loaded.source)))?;
    if prompt.is_empty() {
        return Err(common::bad_input(
            "--generate: the prompt is empty; give at least one character",
        ));
    }
    let toks = ends.encode(prompt).map_err(|ch| {
        common::bad_input(format!(
            "--generate: {ch:?} is not in the model's vocabulary ({} tokens); use only characters the model was trained on",
            ends.vocab()
        ))
    })?;
    let mut g = hitnet_model::Golden::new(&loaded.int);
    let out = ends.generate(&mut g, &toks, a.chars as usize - 1);
    let tokens = out[toks.len() - 1..].to_vec();
    let r = Generated {
        prompt: prompt.to_string(),
        temperature: a.temperature,
        sample_seed: a.sample_seed,
        text: ends.decode(&tokens),
        tokens,
    };
    common::emit(a.json, &r, || format!("{}{}\n", r.prompt, r.text))?;
    Ok(ExitCode::SUCCESS)
}
