//! `hitnet train`: a HitNet language model with quantization in the loop
//! (crates/hitnet-train), exported as a hitnet model file.
use crate::common;
use anyhow::{Context, Result};
use hitnet_train::{Corpus, Overrides, TrainOptions};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Text corpus; the first 90% trains, the next 5% validates.
    #[arg(long)]
    pub corpus: PathBuf,
    /// The exported hitnet model (JSON). Required unless --bench.
    #[arg(long)]
    pub out: Option<PathBuf>,
    // Model and optimisation options (boxed to keep the command enum small).
    #[command(flatten)]
    pub hp: Box<Overrides>,
    /// Checkpoint file [default: OUT.ckpt].
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Save a checkpoint every N steps (0: at epoch ends only).
    #[arg(long, default_value_t = 200)]
    pub checkpoint_every: u64,
    /// Continue the run saved in the checkpoint (only --epochs may change).
    #[arg(long)]
    pub resume: bool,
    /// Stop after N steps in this session (checkpoint and model are written; --resume continues).
    #[arg(long)]
    pub max_steps: Option<u64>,
    /// Measure training throughput over N steps instead of training; writes nothing.
    #[arg(long, value_name = "STEPS")]
    pub bench: Option<u64>,
    /// Untimed steps before --bench measures.
    #[arg(long, default_value_t = 3)]
    pub bench_warmup: u64,
    /// Worker threads of the tensor library [default: all cores].
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Print one JSON object at the end (log lines go to stderr).
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    if let Some(n) = a.threads {
        anyhow::ensure!(n >= 1, "--threads must be at least 1");
        // Read by the tensor library's thread pool when it starts.
        std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    }
    if let Some(steps) = a.bench {
        let corpus = Corpus::read(&a.corpus)?;
        anyhow::ensure!(steps >= 1, "--bench needs at least 1 step");
        let r = hitnet_train::bench_report(&corpus, &a.hp.config(), a.bench_warmup, steps)
            .with_context(|| format!("benchmarking on {}", a.corpus.display()))?;
        return print_bench(&r, a.json);
    }
    let out = a
        .out
        .clone()
        .context("--out MODEL is required (the exported model file)")?;
    let ckpt = hitnet_train::checkpoint_path(&out, a.checkpoint.as_deref());
    // Refuse an unwritable --out or --checkpoint now, before reading the
    // corpus and long before training ends.
    common::check_output_file(&out, "--out")?;
    common::check_output_file(&ckpt, "--checkpoint")?;
    let corpus = Corpus::read(&a.corpus)?;
    let (config, resume) = a.hp.resolve(a.resume, &ckpt)?;
    let opts = TrainOptions {
        config,
        out,
        checkpoint: ckpt,
        checkpoint_every: a.checkpoint_every,
        max_steps: a.max_steps,
        progress: !a.quiet && std::io::stderr().is_terminal(),
    };
    // A failed write to stdout is kept and reported once training stops
    // (the model and checkpoint files are written either way).
    let mut out_err: Option<anyhow::Error> = None;
    let mut log = |s: &str| {
        if a.json {
            eprintln!("{s}");
        } else if out_err.is_none() {
            out_err = common::write_out(format_args!("{s}"), "\n").err();
        }
    };
    let rep = hitnet_train::train(&corpus, &opts, resume, &mut log)
        .with_context(|| format!("training on {}", a.corpus.display()))?;
    if let Some(e) = out_err {
        return Err(e);
    }
    let s = rep.summary(&opts.out, &opts.checkpoint);
    if a.json {
        common::print_json(&serde_json::to_value(&s)?)?;
    } else {
        crate::outln!(
            "{}: {} ternary weights ({:.1}% zero), {} steps, {:.0} tokens/s{}",
            s.model,
            s.ternary_weights,
            100.0 * s.zero_fraction,
            s.steps,
            s.tokens_per_second,
            if s.finished {
                String::new()
            } else {
                format!(
                    "; stopped at step {} of {} (continue with --resume)",
                    s.steps, s.total_steps
                )
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_bench(r: &hitnet_train::BenchReport, json: bool) -> Result<ExitCode> {
    if json {
        common::print_json(&serde_json::to_value(r)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let c = &r.config;
    crate::outln!(
        "train step: {} {}x{} ({} layers), {} quantization, {} streams x {} steps, {} threads",
        c.cell.name().to_uppercase(),
        c.embed,
        c.hidden,
        c.layers,
        c.quant.name(),
        c.batch,
        c.seq_len,
        r.threads
    );
    let s = &r.stats;
    crate::outln!(
        "tokens/s over {} steps: median {:.0} (min {:.0}, max {:.0})",
        r.steps,
        s.median,
        s.min,
        s.max
    );
    Ok(ExitCode::SUCCESS)
}
