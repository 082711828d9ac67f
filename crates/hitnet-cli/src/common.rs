//! Helpers shared by the commands.
use anyhow::{Context, Result};
use hitnet_model::config::{Config, DEFAULT_CONFIG};
use std::path::Path;

/// An error with a specific exit code (2 = bad input, the default; 1 = a
/// verification that ran and failed).
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub msg: String,
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.msg)
    }
}
impl std::error::Error for CliError {}

/// The config at `path`, or the built-in default config.
pub fn load_config(path: Option<&Path>) -> Result<Config> {
    match path {
        Some(p) => Ok(Config::load(p)?),
        None => Ok(Config::parse(DEFAULT_CONFIG, "<built-in default config>")?),
    }
}

/// Loads config and model, adding which config to the message.
pub fn load_model(path: Option<&Path>) -> Result<hitnet_model::Loaded> {
    let cfg = load_config(path)?;
    let what = path
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "<built-in default config>".into());
    hitnet_model::load(&cfg).with_context(|| format!("loading the model of {what}"))
}

/// An error chain on one line: "outer: inner: root".
pub fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = e
        .chain()
        .map(|c| c.to_string().replace('\n', " "))
        .collect();
    parts.dedup();
    parts.join(": ")
}

pub fn print_json(v: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(v).expect("json"));
}

/// Model summary as JSON (shared by run, check and report).
pub fn model_json(l: &hitnet_model::Loaded) -> serde_json::Value {
    let m = &l.model;
    serde_json::json!({
        "cell": m.cell.name(),
        "input_size": m.input_size,
        "hidden_size": m.hidden_size,
        "layers": m.layers.len(),
        "source": l.source.to_string(),
        "weights": m.weight_count(),
        "zero_fraction": m.zero_fraction(),
        "quant": l.params,
    })
}

pub fn model_line(l: &hitnet_model::Loaded) -> String {
    let m = &l.model;
    format!(
        "{} {} in, {} hidden, {} layer{} ({}); {} ternary weights, {:.1}% zero",
        m.cell.name().to_uppercase(),
        m.input_size,
        m.hidden_size,
        m.layers.len(),
        if m.layers.len() == 1 { "" } else { "s" },
        l.source,
        m.weight_count(),
        100.0 * m.zero_fraction()
    )
}
