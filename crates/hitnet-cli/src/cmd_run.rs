//! `hitnet run`: the golden model over a seeded random ternary input stream.
use crate::common;
use anyhow::Result;
use hitnet_model::{rng::random_input, Golden, OutputDigest};
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub cfg: crate::args::ConfigArg,
    /// Number of input vectors (tokens) to run.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub tokens: u64,
    /// Seed of the random input stream.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let loaded = common::load_model(a.cfg.config.as_deref())?;
    let im = &loaded.int;
    let mut g = Golden::new(im);
    let mut digest = OutputDigest::default();
    let layers = im.layers.len();
    let mut counts = vec![[0u64; 3]; layers];
    let t0 = Instant::now();
    for t in 0..a.tokens {
        let x = random_input(a.seed, t, im.input_size);
        let outs = g.step(&x);
        for (l, o) in outs.iter().enumerate() {
            digest.add(l, &o.h);
            for &v in &o.h {
                counts[l][(v + 1) as usize] += 1;
            }
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let tps = a.tokens as f64 / secs.max(1e-9);
    let frac = |c: &[u64; 3]| {
        let n = (c[0] + c[1] + c[2]).max(1) as f64;
        [c[2] as f64 / n, c[1] as f64 / n, c[0] as f64 / n]
    };
    if a.json {
        common::print_json(&serde_json::json!({
            "tokens": a.tokens,
            "seed": a.seed,
            "layers": layers,
            "digest": digest.hex(),
            "output_fractions": counts.iter().map(|c| {
                let f = frac(c);
                serde_json::json!({"plus": f[0], "zero": f[1], "minus": f[2]})
            }).collect::<Vec<_>>(),
            "seconds": secs,
            "tokens_per_second": tps,
            "model": common::model_json(&loaded),
        }))?;
    } else {
        crate::outln!("model:   {}", common::model_line(&loaded));
        let q = &loaded.params;
        crate::outln!(
            "quant:   slope {}, {} activations, F = {} fraction bits, {}-entry tables",
            q.slope,
            q.activation.name(),
            q.frac_bits,
            1u32 << q.lut_bits
        );
        crate::outln!(
            "input:   {} random ternary vectors, seed {}",
            a.tokens,
            a.seed
        );
        for (l, c) in counts.iter().enumerate() {
            let f = frac(c);
            crate::outln!(
                "layer {l}: h_t is +1 {:.1}%, 0 {:.1}%, -1 {:.1}%",
                100.0 * f[0],
                100.0 * f[1],
                100.0 * f[2]
            );
        }
        crate::outln!("digest:  {}", digest.hex());
        crate::outln!(
            "golden:  {} tokens in {:.3} s ({:.0} tokens/s)",
            a.tokens,
            secs,
            tps
        );
    }
    Ok(ExitCode::SUCCESS)
}
