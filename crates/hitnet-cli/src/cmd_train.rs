//! `hitnet train`: a HitNet language model with quantization in the loop
//! (crates/hitnet-train), exported as a hitnet model file.
use crate::common;
use anyhow::{Context, Result};
use hitnet_train::{ClassifyArgs, Corpus, Overrides, TaskArg, TrainOptions};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to train.
    #[arg(long, value_enum, default_value = "lm")]
    pub task: TaskArg,
    /// Text corpus of --task lm; the first 90% trains, the next 5% validates.
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    #[command(flatten)]
    pub classify: ClassifyArgs,
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
    if a.task == TaskArg::Classify {
        return classify(a);
    }
    anyhow::ensure!(
        a.classify == ClassifyArgs::default(),
        "--train, --test, --trits-per-channel, --pool and --valid-frac belong to --task classify"
    );
    let corpus_path = (a.corpus.clone()).context("--corpus FILE is required for --task lm")?;
    if let Some(steps) = a.bench {
        let corpus = Corpus::read(&corpus_path)?;
        anyhow::ensure!(steps >= 1, "--bench needs at least 1 step");
        let r = hitnet_train::bench_report(&corpus, &a.hp.config(), a.bench_warmup, steps)
            .with_context(|| format!("benchmarking on {}", corpus_path.display()))?;
        common::emit(a.json, &r, || r.text() + "\n")?;
        return Ok(ExitCode::SUCCESS);
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
    let corpus = Corpus::read(&corpus_path)?;
    let (config, resume) = a.hp.resolve(a.resume, &ckpt)?;
    let opts = TrainOptions {
        config,
        out,
        checkpoint: ckpt,
        checkpoint_every: a.checkpoint_every,
        max_steps: a.max_steps,
        progress: !a.quiet && std::io::stderr().is_terminal(),
    };
    let mut log = Log::new(a.json);
    let rep = hitnet_train::train(&corpus, &opts, resume, &mut |s| log.line(s))
        .with_context(|| format!("training on {}", corpus_path.display()))?;
    log.finish()?;
    let s = rep.summary(&opts.out, &opts.checkpoint);
    common::emit(a.json, &s, || s.text() + "\n")?;
    Ok(ExitCode::SUCCESS)
}

/// `--task classify`: train on a .ts split, evaluate on the test split.
fn classify(a: Args) -> Result<ExitCode> {
    anyhow::ensure!(
        a.corpus.is_none() && a.bench.is_none() && !a.resume,
        "--corpus, --bench and --resume belong to --task lm"
    );
    let progress = !a.quiet && std::io::stderr().is_terminal();
    let (train, opts) = a.classify.options(&a.hp, a.out.as_deref(), progress)?;
    common::check_output_file(&opts.out, "--out")?;
    common::check_output_file(&opts.float_out, "--out (its .float.json)")?;
    let mut log = Log::new(a.json);
    let test = a.classify.test.as_deref();
    let r = hitnet_train::classify_eval::classify_job(&train, test, &opts, &mut |s| log.line(s))?;
    log.finish()?;
    common::emit(a.json, &r, || {
        r.test.as_ref().map(|t| t.text()).unwrap_or_default()
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Training's log lines: on stdout, or on stderr under --json. A failed
/// write to stdout is kept and reported once training stops (the model
/// files are written either way).
struct Log {
    json: bool,
    err: Option<anyhow::Error>,
}

impl Log {
    fn new(json: bool) -> Log {
        Log { json, err: None }
    }
    fn line(&mut self, s: &str) {
        if self.json {
            eprintln!("{s}");
        } else if self.err.is_none() {
            self.err = common::write_out(format_args!("{s}"), "\n").err();
        }
    }
    fn finish(self) -> Result<()> {
        self.err.map_or(Ok(()), Err)
    }
}
