//! A whole evaluation, as `hitnet eval` runs it: load a language model,
//! score a stretch of a corpus with each implementation of its RNN (the
//! float references, the integer golden model and the cycle-accurate
//! simulator of the accelerator, checked h for h against the golden
//! model), and sample text from one of them.
//!
//! [`evaluate`] returns an [`EvalReport`] (its serialization is the JSON
//! report) and tells a caller each result as it is measured
//! ([`EvalEvent`], with the model it concerns), so that a long run can be
//! printed as it goes.
use crate::data::{split_range, Corpus, Split, Tokenizer};
use crate::error::TrainError;
use crate::eval::{score, Lm, SampleOptions, Score, Variant};
use hitnet_model::model::VocabLevel;
use hitnet_model::QuantParams;
use serde::{Serialize, Serializer};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What runs the RNN: one of the model's variants or the simulated
/// accelerator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Runner {
    FullPrecision,
    AsTrained,
    QuantizedFloat,
    Golden,
    /// The cycle-accurate simulator of the accelerator.
    Simulator,
}

impl Runner {
    /// The model variant, `None` for the simulator.
    pub fn variant(self) -> Option<Variant> {
        match self {
            Runner::FullPrecision => Some(Variant::FullPrecision),
            Runner::AsTrained => Some(Variant::AsTrained),
            Runner::QuantizedFloat => Some(Variant::QuantizedFloat),
            Runner::Golden => Some(Variant::Golden),
            Runner::Simulator => None,
        }
    }
    pub fn name(self) -> &'static str {
        self.variant().map_or("simulator", Variant::name)
    }
    /// How messages name it: "the golden model", "the simulated accelerator".
    fn subject(self) -> String {
        match self.variant() {
            Some(v) => format!("the {} model", v.name()),
            None => "the simulated accelerator".into(),
        }
    }
}

impl From<Variant> for Runner {
    fn from(v: Variant) -> Self {
        match v {
            Variant::FullPrecision => Runner::FullPrecision,
            Variant::AsTrained => Runner::AsTrained,
            Variant::QuantizedFloat => Runner::QuantizedFloat,
            Variant::Golden => Runner::Golden,
        }
    }
}

impl Serialize for Runner {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// What to evaluate.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// A hitnet model (.json), a config (.toml) pointing at one, or a
    /// training checkpoint (adds the full-precision network).
    pub model: PathBuf,
    /// The corpus to score, if any.
    pub corpus: Option<PathBuf>,
    pub split: Split,
    /// Score only the first N tokens of the split.
    pub max_tokens: Option<usize>,
    /// The variants that score; `None`: every one the model has.
    pub variants: Option<Vec<Variant>>,
    /// Also score with the simulated accelerator and compare its h with
    /// the golden model's.
    pub simulator: bool,
    /// The simulated array; `None`: the config's (when `model` is a
    /// config), else 8 x 16.
    pub rows: Option<usize>,
    pub cols: Option<usize>,
    /// Text to sample, if any.
    pub generate: Option<GenerateOptions>,
}

/// Text sampling.
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    /// Tokens to sample.
    pub tokens: usize,
    pub with: Runner,
    /// Text that starts generation; `None` or empty: a newline / `<eos>`.
    pub prompt: Option<String>,
    pub sample: SampleOptions,
}

/// The model evaluated.
#[derive(Clone, Debug, Serialize)]
pub struct ModelInfo {
    pub model: String,
    pub level: VocabLevel,
    pub cell: &'static str,
    pub input_size: usize,
    pub hidden_size: usize,
    pub layers: usize,
    /// Tokens in the vocabulary.
    pub vocab: usize,
    pub quant: QuantParams,
    /// The training-time quantization (known from a checkpoint).
    pub trained_quant: Option<&'static str>,
}

impl ModelInfo {
    /// What a token is: "char" or "word".
    pub fn unit(&self) -> &'static str {
        match self.level {
            VocabLevel::Char => "char",
            VocabLevel::Word => "word",
        }
    }
}

/// One implementation's score on the corpus.
#[derive(Clone, Debug, Serialize)]
pub struct RunResult {
    pub variant: Runner,
    /// Tokens predicted.
    pub tokens: u64,
    pub bits_per_token: f64,
    pub perplexity: f64,
    pub seconds: f64,
    /// The simulated accelerator (simulator only).
    #[serde(flatten)]
    pub accelerator: Option<AcceleratorRun>,
}

/// How the simulated accelerator ran.
#[derive(Clone, Debug, Serialize)]
pub struct AcceleratorRun {
    /// Steady-state cycles per token.
    pub cycles_per_token: f64,
    /// "ROWSxCOLS".
    pub array: String,
}

/// The simulator against the golden model, h for h.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Fidelity {
    #[serde(rename = "simulator_matches_golden")]
    pub matches: bool,
    /// Tokens whose last-layer h differs.
    #[serde(rename = "simulator_mismatched_tokens")]
    pub mismatched: u64,
    /// Tokens of the scored stretch.
    #[serde(skip)]
    pub tokens: usize,
}

/// The scores on a corpus.
#[derive(Clone, Debug, Serialize)]
pub struct Scored {
    pub corpus: String,
    pub split: &'static str,
    /// Tokens of the scored stretch (one fewer are predicted).
    #[serde(skip)]
    pub split_tokens: usize,
    pub results: Vec<RunResult>,
    #[serde(flatten)]
    pub simulator: Option<Fidelity>,
    /// (golden - quantized float) / quantized float, in bits per token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub golden_vs_quantized_float: Option<f64>,
}

/// Sampled text.
#[derive(Clone, Debug, Serialize)]
pub struct Generated {
    pub variant: Runner,
    /// Tokens sampled (after the prompt).
    pub tokens: usize,
    pub temperature: f64,
    pub seed: u64,
    /// The prompt, then the sampled tokens, decoded.
    pub text: String,
}

/// Everything an evaluation measured.
#[derive(Clone, Debug, Serialize)]
pub struct EvalReport {
    #[serde(flatten)]
    pub info: ModelInfo,
    #[serde(flatten)]
    pub scored: Option<Scored>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated: Option<Generated>,
}

/// A result as soon as it is known, in report order.
#[derive(Clone, Copy, Debug)]
pub enum EvalEvent<'r> {
    /// The model is loaded.
    Loaded,
    /// The corpus is read: `tokens` tokens of `split` will be scored.
    Corpus {
        file: &'r str,
        split: Split,
        tokens: usize,
    },
    /// One implementation scored the corpus.
    Scored(&'r RunResult),
    /// The simulator compared with the golden model (after its score).
    Fidelity(&'r Fidelity),
    /// Golden against quantized float, relative.
    GoldenVsQuantizedFloat(f64),
    Generated(&'r Generated),
}

impl EvalEvent<'_> {
    /// The text form of this result of the evaluation of `m`.
    pub fn text(&self, m: &ModelInfo) -> String {
        let unit = m.unit();
        let mut s = String::new();
        match *self {
            EvalEvent::Loaded => {
                line(
                    &mut s,
                    format!(
                        "model:  {} ({} {}x{}, {} layer{}, {}-token {unit} vocabulary, slope {}{})",
                        m.model,
                        m.cell.to_uppercase(),
                        m.input_size,
                        m.hidden_size,
                        m.layers,
                        if m.layers == 1 { "" } else { "s" },
                        m.vocab,
                        m.quant.slope,
                        m.trained_quant
                            .map(|q| format!(", trained {q}"))
                            .unwrap_or_default()
                    ),
                );
            }
            EvalEvent::Corpus {
                file,
                split,
                tokens,
            } => line(
                &mut s,
                format!(
                    "corpus: {file}, {} split, {} {unit}s scored",
                    split.name(),
                    tokens - 1
                ),
            ),
            EvalEvent::Scored(r) => {
                let bits = r.bits_per_token;
                match (r.variant.variant(), &r.accelerator) {
                    (Some(v), _) => {
                        let metric = match m.level {
                            VocabLevel::Char => format!("{bits:.4} bits/char"),
                            VocabLevel::Word => {
                                format!("{:.2} perplexity/word ({bits:.4} bits/word)", r.perplexity)
                            }
                        };
                        line(
                            &mut s,
                            format!(
                                "  {:<16} {metric}   {} ({:.1} s, {:.0} tokens/s)",
                                v.name(),
                                v.describe(),
                                r.seconds,
                                r.tokens as f64 / r.seconds.max(1e-9)
                            ),
                        );
                    }
                    (None, acc) => {
                        let acc = acc.as_ref().expect("the simulator reports its run");
                        line(&mut s, format!(
                            "  {:<16} {bits:.4} bits/{unit}   cycle-accurate simulator, {} array, {:.0} cycles/token ({:.1} s)",
                            "simulator",
                            acc.array,
                            acc.cycles_per_token,
                            r.seconds
                        ));
                    }
                }
            }
            EvalEvent::Fidelity(f) => line(
                &mut s,
                format!(
                    "simulator vs golden: {}",
                    if f.matches {
                        format!("every h of all {} tokens identical", f.tokens)
                    } else {
                        format!("{} tokens DIFFER", f.mismatched)
                    }
                ),
            ),
            EvalEvent::GoldenVsQuantizedFloat(rel) => line(
                &mut s,
                format!(
                    "golden vs quantized float: {:+.2}% ({})",
                    100.0 * rel,
                    if rel.abs() <= 0.01 {
                        "within 1%"
                    } else {
                        "MORE than 1% apart"
                    }
                ),
            ),
            EvalEvent::Generated(g) => {
                line(
                    &mut s,
                    format!(
                        "--- {} {unit}s sampled by the {} model (temperature {}, seed {}) ---",
                        g.tokens,
                        g.variant.name(),
                        g.temperature,
                        g.seed
                    ),
                );
                line(&mut s, g.text.to_string());
                line(&mut s, "---".into());
            }
        }
        s
    }
}

fn line(s: &mut String, l: String) {
    s.push_str(&l);
    s.push('\n');
}

/// Errors of an evaluation; each names the file or step at fault.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(
        "{file}: the {split} split has {tokens} token(s); at least 2 are needed (try --split all)"
    )]
    TooFewTokens {
        file: String,
        split: &'static str,
        tokens: usize,
    },
    #[error("planning the accelerator for {file}")]
    Plan {
        file: String,
        #[source]
        source: hitnet_arch::PlanError,
    },
    #[error("scoring {file} with {what}")]
    Scoring {
        file: String,
        what: String,
        #[source]
        source: Box<TrainError>,
    },
    #[error("generating with {what}")]
    Generating {
        what: String,
        #[source]
        source: Box<TrainError>,
    },
}

impl From<hitnet_model::ModelError> for EvalError {
    fn from(e: hitnet_model::ModelError) -> Self {
        EvalError::Train(e.into())
    }
}

/// The accelerator that the simulator runs: `rows` x `cols` when given,
/// else the array of the config when `model` is one (.toml), else 8 x 16.
pub fn accelerator(
    model: &Path,
    lm: &Lm,
    rows: Option<usize>,
    cols: Option<usize>,
) -> Result<hitnet_arch::Plan, EvalError> {
    let mut shape = hitnet_arch::Shape::new(rows.unwrap_or(8), cols.unwrap_or(16));
    if model.extension().is_some_and(|e| e == "toml") {
        let cfg = hitnet_model::Config::load(model)?;
        shape = hitnet_arch::Shape::of(&cfg.hw)
            .at(rows.unwrap_or(cfg.hw.rows), cols.unwrap_or(cfg.hw.cols));
    }
    hitnet_arch::Plan::new(&lm.int, shape).map_err(|source| EvalError::Plan {
        file: model.display().to_string(),
        source,
    })
}

/// The cycle simulator as a step-at-a-time RNN: x_t trits (or a token id
/// through a language model's embedding) -> the last layer's h.
pub struct SimRnn<'s, 'a> {
    stream: hitnet_sim::Stream<'s, 'a>,
    first: bool,
}

impl<'s, 'a> SimRnn<'s, 'a> {
    /// A stream through `sim` (no stalls), at the start of a sequence.
    pub fn new(sim: &'s mut hitnet_sim::Sim<'a>) -> Self {
        use hitnet_sim::Pattern;
        SimRnn {
            stream: sim.stream(Pattern::Always, Pattern::Always),
            first: true,
        }
    }

    /// One step; `first` starts a new sequence (state and LFSRs reset).
    pub fn push(&mut self, x: Vec<i8>, first: bool) -> Vec<i8> {
        let mut outs = self
            .stream
            .push(hitnet_sim::Token { x, first }, &mut |_| {});
        outs.pop().unwrap_or_default()
    }

    /// One token of a language model's single sequence.
    pub fn step(&mut self, lm: &Lm, tok: u32) -> Result<Vec<i8>, TrainError> {
        let x = lm.embed(tok)?.to_vec();
        let first = std::mem::replace(&mut self.first, false);
        Ok(self.push(x, first))
    }

    /// Drains the pipeline; the run's cycle counts.
    pub fn finish(self) -> hitnet_sim::RunStats {
        self.stream.finish(&mut |_| {})
    }
}

fn info(path: &Path, lm: &Lm) -> ModelInfo {
    ModelInfo {
        model: path.display().to_string(),
        level: lm.level(),
        cell: lm.model.cell.name(),
        input_size: lm.model.input_size,
        hidden_size: lm.model.hidden_size,
        layers: lm.model.layers.len(),
        vocab: lm.vocab().tokens.len(),
        quant: lm.params.clone(),
        trained_quant: lm.trained_quant().map(|q| q.name()),
    }
}

fn result(variant: Runner, s: &Score, seconds: f64) -> RunResult {
    RunResult {
        variant,
        tokens: s.tokens,
        bits_per_token: s.bits_per_token(),
        perplexity: s.perplexity(),
        seconds,
        accelerator: None,
    }
}

/// Runs the evaluation `opts` describes. `on` hears of each result as it
/// is measured, with the model; an error it returns stops the evaluation.
pub fn evaluate<E, F>(opts: &EvalOptions, on: &mut F) -> Result<EvalReport, E>
where
    E: From<EvalError>,
    F: FnMut(&ModelInfo, EvalEvent<'_>) -> Result<(), E>,
{
    let lm = Lm::load(&opts.model).map_err(EvalError::from)?;
    let info = info(&opts.model, &lm);
    on(&info, EvalEvent::Loaded)?;
    let scored = match &opts.corpus {
        Some(path) => Some(score_corpus(opts, &lm, path, &mut |e| on(&info, e))?),
        None => None,
    };
    let generated = match &opts.generate {
        Some(g) => {
            let gen = generate(opts, &lm, g)?;
            on(&info, EvalEvent::Generated(&gen))?;
            Some(gen)
        }
        None => None,
    };
    Ok(EvalReport {
        info,
        scored,
        generated,
    })
}

fn score_corpus<E, F>(opts: &EvalOptions, lm: &Lm, path: &Path, on: &mut F) -> Result<Scored, E>
where
    E: From<EvalError>,
    F: FnMut(EvalEvent<'_>) -> Result<(), E>,
{
    let file = path.display().to_string();
    let corpus = Corpus::read(path).map_err(EvalError::from)?;
    let all = lm.encode(&corpus).map_err(EvalError::from)?;
    let mut toks = &all[split_range(all.len(), opts.split)];
    if let Some(n) = opts.max_tokens {
        toks = &toks[..n.min(toks.len())];
    }
    if toks.len() < 2 {
        return Err(EvalError::TooFewTokens {
            file,
            split: opts.split.name(),
            tokens: toks.len(),
        }
        .into());
    }
    on(EvalEvent::Corpus {
        file: &file,
        split: opts.split,
        tokens: toks.len(),
    })?;
    let variants = opts.variants.clone().unwrap_or_else(|| lm.variants());
    let mut results = Vec::new();
    let (mut golden, mut quantized) = (None, None);
    for v in variants {
        let t0 = Instant::now();
        let s = lm.score(v, toks).map_err(|source| EvalError::Scoring {
            file: file.clone(),
            what: Runner::from(v).subject(),
            source: Box::new(source),
        })?;
        let r = result(v.into(), &s, t0.elapsed().as_secs_f64());
        match v {
            Variant::Golden => golden = Some(r.bits_per_token),
            Variant::QuantizedFloat => quantized = Some(r.bits_per_token),
            _ => {}
        }
        on(EvalEvent::Scored(&r))?;
        results.push(r);
    }
    let mut simulator = None;
    if opts.simulator {
        let (r, f) = simulate(opts, lm, &file, toks)?;
        on(EvalEvent::Scored(&r))?;
        on(EvalEvent::Fidelity(&f))?;
        results.push(r);
        simulator = Some(f);
    }
    let gap = golden.zip(quantized).map(|(g, q)| (g - q) / q);
    if let Some(rel) = gap {
        on(EvalEvent::GoldenVsQuantizedFloat(rel))?;
    }
    Ok(Scored {
        corpus: file,
        split: opts.split.name(),
        split_tokens: toks.len(),
        results,
        simulator,
        golden_vs_quantized_float: gap,
    })
}

/// Scores `toks` with the simulated accelerator, comparing each h with the
/// golden model's.
fn simulate(
    opts: &EvalOptions,
    lm: &Lm,
    file: &str,
    toks: &[u32],
) -> Result<(RunResult, Fidelity), EvalError> {
    let plan = accelerator(&opts.model, lm, opts.rows, opts.cols)?;
    let t0 = Instant::now();
    let mut sim = hitnet_sim::Sim::new(&plan);
    let mut rnn = SimRnn::new(&mut sim);
    let mut golden = hitnet_model::Golden::new(&lm.int);
    let mut differ = 0u64;
    let s = score(lm.output(), toks, |t| {
        let h = rnn.step(lm, t)?;
        if golden.step_last(lm.embed(t)?) != h {
            differ += 1;
        }
        Ok::<_, TrainError>(h)
    })
    .map_err(|source| EvalError::Scoring {
        file: file.to_string(),
        what: Runner::Simulator.subject(),
        source: Box::new(source),
    })?;
    let stats = rnn.finish();
    let mut r = result(Runner::Simulator, &s, t0.elapsed().as_secs_f64());
    r.accelerator = Some(AcceleratorRun {
        cycles_per_token: stats.period().unwrap_or(stats.total_cycles as f64),
        array: format!("{}x{}", plan.rows, plan.cols),
    });
    let f = Fidelity {
        matches: differ == 0,
        mismatched: differ,
        tokens: toks.len(),
    };
    Ok((r, f))
}

fn generate(opts: &EvalOptions, lm: &Lm, g: &GenerateOptions) -> Result<Generated, EvalError> {
    let tk = Tokenizer::new(lm.vocab())?;
    let prompt = match &g.prompt {
        Some(p) if !p.is_empty() => tk.encode_prompt(p)?,
        _ => lm.default_prompt(),
    };
    let failed = |source| EvalError::Generating {
        what: g.with.subject(),
        source: Box::new(source),
    };
    let ids = match g.with.variant() {
        Some(v) => lm
            .generate(v, &prompt, g.tokens, g.sample)
            .map_err(failed)?,
        None => {
            let plan = accelerator(&opts.model, lm, opts.rows, opts.cols)?;
            let mut sim = hitnet_sim::Sim::new(&plan);
            let mut rnn = SimRnn::new(&mut sim);
            crate::eval::generate(lm.output(), &prompt, g.tokens, g.sample, |t| {
                rnn.step(lm, t)
            })
            .map_err(failed)?
        }
    };
    Ok(Generated {
        variant: g.with,
        tokens: g.tokens,
        temperature: g.sample.temperature,
        seed: g.sample.seed,
        text: tk.decode(&prompt) + &tk.decode(&ids),
    })
}
