//! `hitnet train`: a HitNet language model with quantization in the loop
//! (crates/hitnet-train), exported as a hitnet model file.
use crate::common;
use anyhow::{Context, Result};
use hitnet_model::model::VocabLevel;
use hitnet_model::CellKind;
use hitnet_train::{Checkpoint, Corpus, QuantMode, TrainConfig, TrainOptions};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LevelArg {
    Char,
    Word,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellArg {
    Lstm,
    Gru,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantArg {
    /// Full precision (the baseline).
    Fp,
    /// TTQ weights only.
    Ttq,
    /// BTQ activations only.
    Btq,
    /// TTQ weights and BTQ activations (what the accelerator runs).
    Hybrid,
}

/// Model and optimisation options (each optional so that `--resume` can
/// tell an explicit, conflicting value from a default; boxed to keep the
/// command enum small).
#[derive(clap::Args, Debug)]
pub struct Hyper {
    /// Tokens are characters or whitespace-separated words [default: char].
    #[arg(long, value_enum)]
    pub level: Option<LevelArg>,
    /// Recurrent cell [default: lstm].
    #[arg(long, value_enum)]
    pub cell: Option<CellArg>,
    /// Hidden units per layer [default: 128].
    #[arg(long)]
    pub hidden: Option<usize>,
    /// Width of the ternary embedding = the RNN's input size [default: --hidden].
    #[arg(long)]
    pub embed: Option<usize>,
    /// Recurrent layers [default: 1].
    #[arg(long)]
    pub layers: Option<usize>,
    /// Passes over the training split [default: 3].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// What is ternary during training [default: hybrid].
    #[arg(long, value_enum)]
    pub quant: Option<QuantArg>,
    /// Sloping factor lambda of sigmoid(lambda x) and tanh(lambda x) [default: 2].
    #[arg(long)]
    pub slope: Option<f64>,
    /// TTQ threshold factor t (D = t * mean|W|) [default: 0.7].
    #[arg(long)]
    pub weight_threshold: Option<f64>,
    /// Parallel streams per batch [default: 32].
    #[arg(long)]
    pub batch: Option<usize>,
    /// Truncated BPTT length [default: 64].
    #[arg(long)]
    pub seq_len: Option<usize>,
    /// Peak learning rate (AdamW) [default: 0.005].
    #[arg(long)]
    pub lr: Option<f64>,
    /// Final learning rate as a fraction of --lr (cosine schedule) [default: 0.05].
    #[arg(long)]
    pub min_lr_frac: Option<f64>,
    /// Linear warm-up steps [default: 100].
    #[arg(long)]
    pub warmup: Option<u64>,
    /// Global gradient-norm clip, 0 = off [default: 1].
    #[arg(long)]
    pub clip: Option<f64>,
    /// Dropout on each layer's output [default: 0.1].
    #[arg(long)]
    pub dropout: Option<f64>,
    /// Decoupled weight decay [default: 0].
    #[arg(long)]
    pub weight_decay: Option<f64>,
    /// Seed of initialisation, BTQ draws and dropout [default: 1].
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Text corpus; the first 90% trains, the next 5% validates.
    #[arg(long)]
    pub corpus: PathBuf,
    /// The exported hitnet model (JSON). Required unless --bench.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub hp: Box<Hyper>,
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

fn config_from(a: &Args, base: TrainConfig) -> TrainConfig {
    let a = &a.hp;
    let mut c = base;
    if let Some(v) = a.level {
        c.level = match v {
            LevelArg::Char => VocabLevel::Char,
            LevelArg::Word => VocabLevel::Word,
        };
    }
    if let Some(v) = a.cell {
        c.cell = match v {
            CellArg::Lstm => CellKind::Lstm,
            CellArg::Gru => CellKind::Gru,
        };
    }
    if let Some(v) = a.hidden {
        c.hidden = v;
        c.embed = v;
    }
    if let Some(v) = a.embed {
        c.embed = v;
    }
    if let Some(v) = a.layers {
        c.layers = v;
    }
    if let Some(v) = a.epochs {
        c.epochs = v;
    }
    if let Some(v) = a.quant {
        c.quant = match v {
            QuantArg::Fp => QuantMode::Fp,
            QuantArg::Ttq => QuantMode::Ttq,
            QuantArg::Btq => QuantMode::Btq,
            QuantArg::Hybrid => QuantMode::Hybrid,
        };
    }
    macro_rules! take {
        ($($f:ident),*) => {$( if let Some(v) = a.$f { c.$f = v; } )*};
    }
    take!(
        slope,
        weight_threshold,
        batch,
        seq_len,
        lr,
        min_lr_frac,
        warmup,
        clip,
        dropout,
        weight_decay,
        seed
    );
    c
}

pub fn run(a: Args) -> Result<ExitCode> {
    if let Some(n) = a.threads {
        anyhow::ensure!(n >= 1, "--threads must be at least 1");
        // Read by the tensor library's thread pool when it starts.
        std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    }
    if let Some(steps) = a.bench {
        let corpus = Corpus::read(&a.corpus)?;
        return bench(&a, &corpus, steps);
    }
    let out = a
        .out
        .clone()
        .context("--out MODEL is required (the exported model file)")?;
    let ckpt_path = a.checkpoint.clone().unwrap_or_else(|| {
        let mut p = out.clone().into_os_string();
        p.push(".ckpt");
        PathBuf::from(p)
    });
    // Refuse an unwritable --out or --checkpoint now, before reading the
    // corpus and long before training ends.
    common::check_output_file(&out, "--out")?;
    common::check_output_file(&ckpt_path, "--checkpoint")?;
    let corpus = Corpus::read(&a.corpus)?;
    let (config, resume) = if a.resume {
        let ck = Checkpoint::load(&ckpt_path)
            .with_context(|| "--resume needs the checkpoint of an earlier run".to_string())?;
        let mut want = config_from(&a, ck.meta.config.clone());
        want.epochs = ck.meta.config.epochs;
        if want != ck.meta.config {
            anyhow::bail!(
                "{}: the options differ from the checkpoint's run ({}); --resume continues the same run, only --epochs may change",
                ckpt_path.display(),
                serde_json::to_string(&ck.meta.config)?
            );
        }
        let cfg = config_from(&a, ck.meta.config.clone());
        (cfg, Some(ck))
    } else {
        (config_from(&a, TrainConfig::default()), None)
    };
    let opts = TrainOptions {
        config,
        out: out.clone(),
        checkpoint: ckpt_path,
        checkpoint_every: a.checkpoint_every,
        max_steps: a.max_steps,
        progress: !a.quiet && std::io::stderr().is_terminal(),
    };
    let json = a.json;
    // A failed write to stdout is kept and reported once training stops
    // (the model and checkpoint files are written either way).
    let mut out_err: Option<anyhow::Error> = None;
    let mut log = |s: &str| {
        if json {
            eprintln!("{s}");
        } else if out_err.is_none() {
            if let Err(e) = common::write_out(format_args!("{s}"), "\n") {
                out_err = Some(e);
            }
        }
    };
    let rep = hitnet_train::train(&corpus, &opts, resume, &mut log)
        .with_context(|| format!("training on {}", a.corpus.display()))?;
    if let Some(e) = out_err {
        return Err(e);
    }
    let m = &rep.model;
    if json {
        common::print_json(&serde_json::json!({
            "model": out.display().to_string(),
            "checkpoint": opts.checkpoint.display().to_string(),
            "finished": rep.finished,
            "steps": rep.progress.step,
            "total_steps": rep.progress.total_steps,
            "tokens_seen": rep.progress.tokens_seen,
            "train_seconds": rep.progress.seconds,
            "tokens_per_second": rep.tokens_per_second,
            "history": rep.history,
            "ternary_weights": m.weight_count(),
            "zero_fraction": m.zero_fraction(),
        }))?;
    } else {
        crate::outln!(
            "{}: {} ternary weights ({:.1}% zero), {} steps, {:.0} tokens/s{}",
            out.display(),
            m.weight_count(),
            100.0 * m.zero_fraction(),
            rep.progress.step,
            rep.tokens_per_second,
            if rep.finished {
                String::new()
            } else {
                format!(
                    "; stopped at step {} of {} (continue with --resume)",
                    rep.progress.step, rep.progress.total_steps
                )
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn bench(a: &Args, corpus: &Corpus, steps: u64) -> Result<ExitCode> {
    anyhow::ensure!(steps >= 1, "--bench needs at least 1 step");
    let cfg = config_from(a, TrainConfig::default());
    let mut tps = hitnet_train::bench(corpus, &cfg, a.bench_warmup, steps)
        .with_context(|| format!("benchmarking on {}", a.corpus.display()))?;
    tps.sort_by(|x, y| x.total_cmp(y));
    let median = tps[tps.len() / 2];
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all".into());
    if a.json {
        common::print_json(&serde_json::json!({
            "config": cfg,
            "steps": steps,
            "warmup": a.bench_warmup,
            "threads": threads,
            "tokens_per_step": cfg.batch * cfg.seq_len,
            "median_tokens_per_second": median,
            "min_tokens_per_second": tps[0],
            "max_tokens_per_second": tps[tps.len() - 1],
        }))?;
    } else {
        crate::outln!(
            "train step: {} {}x{} ({} layers), {} quantization, {} streams x {} steps, {} threads",
            cfg.cell.name().to_uppercase(),
            cfg.embed,
            cfg.hidden,
            cfg.layers,
            cfg.quant.name(),
            cfg.batch,
            cfg.seq_len,
            threads
        );
        crate::outln!(
            "tokens/s over {steps} steps: median {median:.0} (min {:.0}, max {:.0})",
            tps[0],
            tps[tps.len() - 1]
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use crate::{common, Cli, Command};
    use clap::Parser;
    use std::path::PathBuf;

    /// A fresh folder under the system temp dir (no extra dev-dependency).
    fn tmpdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("hitnet-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn run(args: &[&str]) -> anyhow::Result<std::process::ExitCode> {
        let cli = Cli::try_parse_from(std::iter::once("hitnet").chain(args.iter().copied()))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        match cli.command {
            Command::Train(a) => super::run(a),
            Command::Eval(a) => crate::cmd_eval::run(a),
            _ => unreachable!(),
        }
    }

    fn err(args: &[&str]) -> String {
        let e = run(args).expect_err("an error");
        let line = common::one_line(&e);
        assert!(!line.contains('\n'), "{line}");
        line
    }

    #[test]
    fn train_eval_and_bad_input() {
        let d = tmpdir("train");
        let corpus = d.join("c.txt");
        std::fs::write(&corpus, "the cat sat on the mat.\n".repeat(40)).unwrap();
        let model = d.join("m.json");
        let s = |p: &PathBuf| p.display().to_string();
        run(&[
            "train",
            "--corpus",
            &s(&corpus),
            "--out",
            &s(&model),
            "--hidden",
            "8",
            "--batch",
            "4",
            "--seq-len",
            "8",
            "--epochs",
            "1",
            "--max-steps",
            "2",
            "--quiet",
        ])
        .unwrap();
        let ckpt = d.join("m.json.ckpt");
        assert!(model.exists() && ckpt.exists());
        for m in [&model, &ckpt] {
            run(&[
                "eval",
                "--model",
                &s(m),
                "--corpus",
                &s(&corpus),
                "--generate",
                "20",
                "--json",
            ])
            .unwrap();
        }
        // Resume may only change --epochs.
        let e = err(&[
            "train",
            "--corpus",
            &s(&corpus),
            "--out",
            &s(&model),
            "--hidden",
            "9",
            "--resume",
        ]);
        assert!(
            e.contains("m.json.ckpt") && e.contains("only --epochs"),
            "{e}"
        );

        let empty = d.join("empty.txt");
        std::fs::write(&empty, "").unwrap();
        let e = err(&[
            "train",
            "--corpus",
            &s(&empty),
            "--out",
            &s(&d.join("x.json")),
        ]);
        assert!(e.contains("empty.txt") && e.contains("empty"), "{e}");
        let bin = d.join("bin.dat");
        std::fs::write(&bin, [0u8, 159, 146, 150, 7, 0, 1]).unwrap();
        let e = err(&["eval", "--model", &s(&model), "--corpus", &s(&bin)]);
        assert!(
            e.contains("bin.dat") && e.contains("not a text corpus"),
            "{e}"
        );
        let other = d.join("other.txt");
        std::fs::write(&other, "Zebras!\n").unwrap();
        let e = err(&["eval", "--model", &s(&model), "--corpus", &s(&other)]);
        assert!(
            e.contains("other.txt") && e.contains("vocabulary mismatch"),
            "{e}"
        );
        let bad = d.join("bad.ckpt");
        std::fs::write(&bad, b"\x10\0\0\0\0\0\0\0{not json at all").unwrap();
        let e = err(&["eval", "--model", &s(&bad), "--corpus", &s(&corpus)]);
        assert!(e.contains("bad.ckpt") && e.contains("checkpoint"), "{e}");
        let e = err(&[
            "train",
            "--corpus",
            &s(&corpus),
            "--out",
            &s(&d.join("y.json")),
            "--resume",
        ]);
        assert!(e.contains("y.json.ckpt"), "{e}");
        let _ = std::fs::remove_dir_all(&d);
    }
}
