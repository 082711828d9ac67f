//! `hitnet bench`: golden-model tokens/s against a float f32 step of the same
//! size, measured in the same run (medians of repeated batches).
use anyhow::Result;
use hitnet_model::config::{CellKind, Config};
use hitnet_model::float::FloatNet;
use hitnet_model::{defaults, rng::random_input, Golden};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Config file; default: the PTB-size 1x300 LSTM with 300 inputs.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Timed batches (the median is reported).
    #[arg(long, default_value_t = 15)]
    pub batches: usize,
    /// Tokens per batch.
    #[arg(long, default_value_t = 200)]
    pub tokens: usize,
    #[arg(long)]
    pub json: bool,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub fn run(a: Args) -> Result<ExitCode> {
    let cfg = match &a.config {
        Some(p) => Config::load(p)?,
        None => Config::new(CellKind::Lstm, 300, 300, 1),
    };
    let loaded = hitnet_model::load(&cfg)?;
    let m = &cfg.model;
    let fm = defaults::default_float_model(m.cell, m.input_size, m.hidden_size, m.layers, m.seed);
    let fnet = FloatNet::full_precision(&fm, &loaded.params);
    let xs: Vec<Vec<i8>> = (0..a.tokens as u64)
        .map(|t| random_input(1, t, m.input_size))
        .collect();
    let xf: Vec<Vec<f32>> = xs
        .iter()
        .map(|x| x.iter().map(|&v| v as f32).collect())
        .collect();
    let mut g = Golden::new(&loaded.int);
    let mut fs = fnet.initial_state();
    let mut gold = Vec::new();
    let mut flt = Vec::new();
    let mut sink = 0i64;
    // Interleave the two so machine noise hits both alike.
    for _ in 0..a.batches.max(1) {
        let t0 = Instant::now();
        for x in &xs {
            sink += g.step_last(x).iter().map(|&v| v as i64).sum::<i64>();
        }
        gold.push(a.tokens as f64 / t0.elapsed().as_secs_f64());
        let t0 = Instant::now();
        for x in &xf {
            let o = fnet.step(&mut fs, x);
            sink += o.last().map(|h| h[0] as i64).unwrap_or(0);
        }
        flt.push(a.tokens as f64 / t0.elapsed().as_secs_f64());
    }
    std::hint::black_box(sink);
    let (gm, fmed) = (median(gold), median(flt));
    let ratio = gm / fmed;
    let name = format!(
        "{} {} in, {} hidden, {} layer(s)",
        m.cell.name(),
        m.input_size,
        m.hidden_size,
        m.layers
    );
    if a.json {
        crate::common::print_json(&serde_json::json!({
            "model": name,
            "golden_tokens_per_second": gm,
            "float_f32_tokens_per_second": fmed,
            "ratio": ratio,
            "batches": a.batches,
            "tokens_per_batch": a.tokens,
        }));
    } else {
        println!("model: {name}");
        println!(
            "golden (bit-sliced ternary): {gm:>10.0} tokens/s (median of {} batches)",
            a.batches
        );
        println!("float f32 step:              {fmed:>10.0} tokens/s");
        println!("ratio golden/float:          {ratio:>10.2}x");
    }
    Ok(ExitCode::SUCCESS)
}
