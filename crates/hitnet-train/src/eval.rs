//! Evaluation and sampling of a trained language model, one token at a
//! time, through any implementation of the RNN.
//!
//! The RNN is a closure `token id -> last layer's h`: the integer golden
//! model, the float references, or (later) the cycle simulator. The output
//! layer (float, outside the accelerator) turns h into logits:
//! logits = W h + b, with h the last layer's ternary h as -1/0/+1 values
//! (or the continuous h of the full-precision network).
use crate::checkpoint::Checkpoint;
use crate::data::{Corpus, Tokenizer};
use crate::error::{Result, TrainError};
use crate::export::FloatLm;
use crate::net::QuantMode;
use hitnet_model::float::{FloatNet, HMode};
use hitnet_model::model::{OutputLayer, Vocab, VocabLevel};
use hitnet_model::rng::Rng;
use hitnet_model::{Golden, IntModel, QuantModel, QuantParams};
use std::path::Path;

/// Summed negative log-likelihood over a token stream.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Score {
    /// Tokens predicted.
    pub tokens: u64,
    /// Sum of -ln p(token).
    pub nats: f64,
}

impl Score {
    /// Bits per token: bits per character at char level.
    pub fn bits_per_token(&self) -> f64 {
        self.nats / self.tokens.max(1) as f64 / std::f64::consts::LN_2
    }
    /// exp(mean nats): perplexity per word at word level.
    pub fn perplexity(&self) -> f64 {
        (self.nats / self.tokens.max(1) as f64).exp()
    }
}

fn check_h(out: &OutputLayer, len: usize) -> Result<()> {
    if len != out.cols {
        return Err(TrainError::invalid(
            "h",
            format!(
                "the RNN produced {len} values but the output layer has {} columns",
                out.cols
            ),
        ));
    }
    Ok(())
}

/// logits = W h + b.
pub fn logits(out: &OutputLayer, h: &[f32], dst: &mut Vec<f32>) {
    dst.clear();
    dst.extend(out.bias.iter().enumerate().map(|(r, &b)| {
        let row = &out.weight[r * out.cols..(r + 1) * out.cols];
        b + row.iter().zip(h).map(|(w, x)| w * x).sum::<f32>()
    }));
}

/// -ln softmax(logits)[target], in f64.
pub fn nll(logits: &[f32], target: u32) -> f64 {
    let m = logits.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)) as f64;
    let z: f64 = logits.iter().map(|&l| (l as f64 - m).exp()).sum();
    m + z.ln() - logits[target as usize] as f64
}

/// Scores `tokens`: token t goes through `step` (which returns the last
/// layer's h: f32, or ternary i8 from the golden model and the simulator)
/// and the output layer predicts token t + 1.
pub fn score<E, F, T>(out: &OutputLayer, tokens: &[u32], mut step: F) -> Result<Score, E>
where
    E: From<TrainError>,
    F: FnMut(u32) -> Result<Vec<T>, E>,
    T: Copy + Into<f32>,
{
    let mut s = Score::default();
    let mut lg = Vec::with_capacity(out.rows);
    for w in tokens.windows(2) {
        let h = as_f32(step(w[0])?);
        check_h(out, h.len())?;
        logits(out, &h, &mut lg);
        s.nats += nll(&lg, w[1]);
        s.tokens += 1;
    }
    Ok(s)
}

/// Sampling settings.
#[derive(Clone, Copy, Debug)]
pub struct SampleOptions {
    /// Softmax temperature; 0 picks the most likely token.
    pub temperature: f64,
    pub seed: u64,
}

/// Feeds `prompt` (at least one token) through `step`, then samples `n`
/// tokens, each fed back. Returns the sampled tokens. `step` returns h as
/// in [`score`].
pub fn generate<E, F, T>(
    out: &OutputLayer,
    prompt: &[u32],
    n: usize,
    opts: SampleOptions,
    mut step: F,
) -> Result<Vec<u32>, E>
where
    E: From<TrainError>,
    F: FnMut(u32) -> Result<Vec<T>, E>,
    T: Copy + Into<f32>,
{
    if prompt.is_empty() {
        return Err(TrainError::invalid("prompt", "at least one token is needed to start").into());
    }
    if !(opts.temperature.is_finite() && opts.temperature >= 0.0) {
        return Err(TrainError::invalid(
            "temperature",
            format!("{} is not a finite number >= 0", opts.temperature),
        )
        .into());
    }
    let mut rng = Rng::new(opts.seed);
    let mut lg = Vec::with_capacity(out.rows);
    let mut h = Vec::new();
    for &t in prompt {
        h = as_f32(step(t)?);
    }
    let mut res = Vec::with_capacity(n);
    for _ in 0..n {
        check_h(out, h.len())?;
        logits(out, &h, &mut lg);
        let next = sample(&lg, opts.temperature, &mut rng);
        res.push(next);
        h = as_f32(step(next)?);
    }
    Ok(res)
}

fn as_f32<T: Copy + Into<f32>>(h: Vec<T>) -> Vec<f32> {
    h.into_iter().map(Into::into).collect()
}

fn sample(logits: &[f32], temperature: f64, rng: &mut Rng) -> u32 {
    let best = logits
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
        .unwrap_or(0);
    if temperature == 0.0 {
        return best as u32;
    }
    let m = logits[best] as f64;
    let p: Vec<f64> = logits
        .iter()
        .map(|&l| ((l as f64 - m) / temperature).exp())
        .collect();
    let mut u = rng.uniform() * p.iter().sum::<f64>();
    for (i, &pi) in p.iter().enumerate() {
        if u < pi {
            return i as u32;
        }
        u -= pi;
    }
    best as u32
}

/// Which implementation of the RNN runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// Float weights, continuous h (needs the checkpoint).
    FullPrecision,
    /// The training-time quantization when it is neither of the others
    /// (TTQ-only: ternary weights, continuous h; BTQ-only: float weights,
    /// ternary h). Needs the checkpoint.
    AsTrained,
    /// Ternary weights x scale, ternary h (same LFSR draws), real sigmoid/tanh.
    QuantizedFloat,
    /// The integer golden model: what the accelerator computes.
    Golden,
}

impl Variant {
    pub fn name(self) -> &'static str {
        match self {
            Variant::FullPrecision => "full_precision",
            Variant::AsTrained => "as_trained",
            Variant::QuantizedFloat => "quantized_float",
            Variant::Golden => "golden",
        }
    }
    pub fn describe(self) -> &'static str {
        match self {
            Variant::FullPrecision => "float weights, continuous h",
            Variant::AsTrained => "the training-time quantization",
            Variant::QuantizedFloat => "ternary weights, ternary h, real activations",
            Variant::Golden => "integer golden model (the accelerator)",
        }
    }
}

/// One stream through an RNN: token id -> the last layer's h.
pub type Stepper<'a> = Box<dyn FnMut(u32) -> Result<Vec<f32>> + 'a>;

/// A language model ready to evaluate: the hitnet model (ternary RNN,
/// ternary embedding, float output layer, vocabulary), its integer
/// lowering, and the float network when loaded from a checkpoint.
pub struct Lm {
    pub file: String,
    pub model: QuantModel,
    pub params: QuantParams,
    pub int: IntModel,
    pub float: Option<FloatLm>,
    /// Embedding rows as trits.
    rows: Vec<Vec<i8>>,
}

impl Lm {
    /// Loads a hitnet model file (.json), a config (.toml) whose
    /// `[model] weights` is one, or a training checkpoint (safetensors,
    /// which adds the full-precision network).
    pub fn load(path: &Path) -> Result<Lm> {
        let file = path.display().to_string();
        // The largest of what it may be: a checkpoint.
        use hitnet_model::error::{read_limited, MAX_CHECKPOINT_BYTES};
        let bytes = read_limited(path, MAX_CHECKPOINT_BYTES, "model or checkpoint")?;
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if hitnet_model::import::is_safetensors(&bytes) || matches!(ext, "ckpt" | "safetensors") {
            let ck = Checkpoint::from_bytes(&bytes, &file)?;
            return Lm::from_checkpoint(&ck);
        }
        if ext == "toml" {
            let cfg = hitnet_model::Config::load(path)?;
            let l = hitnet_model::load(&cfg)?;
            return Lm::new(l.model, l.params, &file, None);
        }
        let text = String::from_utf8(bytes).map_err(|_| TrainError::NotLm {
            file: file.clone(),
            msg: "neither a hitnet model (JSON), a config (.toml) nor a checkpoint".into(),
        })?;
        let model = hitnet_model::io::from_json(&text, &file)?;
        let params = model.quant.clone();
        Lm::new(model, params, &file, None)
    }

    pub fn from_checkpoint(ck: &Checkpoint) -> Result<Lm> {
        let flm = ck.float_lm()?;
        let model = flm.export(serde_json::json!({"from_checkpoint": ck.file}))?;
        let params = model.quant.clone();
        Lm::new(model, params, &ck.file, Some(flm))
    }

    pub fn new(
        model: QuantModel,
        params: QuantParams,
        file: &str,
        float: Option<FloatLm>,
    ) -> Result<Lm> {
        let not_lm = |what: &str| {
            TrainError::NotLm {
            file: file.to_string(),
            msg: format!("the model has no {what}, so it is not a language model (train one with `hitnet train`)"),
        }
        };
        let emb = model
            .embedding
            .as_ref()
            .ok_or_else(|| not_lm("embedding"))?;
        model
            .output
            .as_ref()
            .ok_or_else(|| not_lm("output layer"))?;
        let vocab = model.vocab.as_ref().ok_or_else(|| not_lm("vocabulary"))?;
        Tokenizer::new(vocab).map_err(|e| TrainError::NotLm {
            file: file.to_string(),
            msg: e.to_string(),
        })?;
        let rows = (0..emb.table.rows)
            .map(|r| emb.table.row_trits(r))
            .collect();
        let int = IntModel::new(&model, &params)?;
        Ok(Lm {
            file: file.to_string(),
            model,
            params,
            int,
            float,
            rows,
        })
    }

    pub fn vocab(&self) -> &Vocab {
        self.model.vocab.as_ref().expect("checked in new")
    }
    pub fn output(&self) -> &OutputLayer {
        self.model.output.as_ref().expect("checked in new")
    }
    pub fn level(&self) -> VocabLevel {
        self.vocab().level
    }

    /// The ternary layer-0 input of a token.
    pub fn embed(&self, tok: u32) -> Result<&[i8]> {
        self.rows
            .get(tok as usize)
            .map(Vec::as_slice)
            .ok_or_else(|| {
                TrainError::invalid(
                    "token",
                    format!("{tok} is outside the vocabulary of {}", self.rows.len()),
                )
            })
    }

    /// The corpus as token ids of this model's vocabulary.
    pub fn encode(&self, corpus: &Corpus) -> Result<Vec<u32>> {
        corpus.encode(self.vocab())
    }

    /// The variants this model can run, float first.
    pub fn variants(&self) -> Vec<Variant> {
        let mut v = Vec::new();
        if let Some(f) = &self.float {
            v.push(Variant::FullPrecision);
            if matches!(f.config.quant, QuantMode::Ttq | QuantMode::Btq) {
                v.push(Variant::AsTrained);
            }
        }
        v.push(Variant::QuantizedFloat);
        v.push(Variant::Golden);
        v
    }

    /// The training-time quantization, when known (from a checkpoint).
    pub fn trained_quant(&self) -> Option<QuantMode> {
        self.float.as_ref().map(|f| f.config.quant)
    }

    /// A fresh stream (state at the sequence start) of one variant:
    /// token -> last layer's h.
    pub fn stepper(&self, v: Variant) -> Result<Stepper<'_>> {
        match v {
            Variant::Golden => {
                let mut g = Golden::new(&self.int);
                Ok(Box::new(move |t| {
                    let x = self.embed(t)?;
                    Ok(g.step_last(x).iter().map(|&h| h as f32).collect())
                }))
            }
            Variant::QuantizedFloat => {
                let net = FloatNet::quantized(&self.model, &self.params);
                self.float_stepper(net, None)
            }
            Variant::FullPrecision | Variant::AsTrained => {
                let f = self.float.as_ref().ok_or_else(|| {
                    TrainError::invalid(
                        "model",
                        format!(
                            "{}: the {} variant needs the training checkpoint",
                            self.file,
                            v.name()
                        ),
                    )
                })?;
                let mut net = match (v, f.config.quant) {
                    (Variant::AsTrained, QuantMode::Ttq) => {
                        let mut n = FloatNet::quantized(&self.model, &self.params);
                        n.mode = HMode::Continuous;
                        n
                    }
                    _ => FloatNet::full_precision(&f.rnn, &self.params),
                };
                if v == Variant::AsTrained && f.config.quant == QuantMode::Btq {
                    net.mode = HMode::Ternary;
                }
                self.float_stepper(net, Some(f.input_table()))
            }
        }
    }

    /// A float network fed with `table` rows (V x I, the float embedding)
    /// or, when `None`, the ternary embedding.
    fn float_stepper(&self, net: FloatNet, table: Option<Vec<f32>>) -> Result<Stepper<'_>> {
        let mut st = net.initial_state();
        let width = self.model.input_size;
        Ok(Box::new(move |t| {
            let x: Vec<f32> = match &table {
                Some(tb) => {
                    self.embed(t)?;
                    tb[t as usize * width..(t as usize + 1) * width].to_vec()
                }
                None => self.embed(t)?.iter().map(|&v| v as f32).collect(),
            };
            Ok(net.step(&mut st, &x).pop().unwrap_or_default())
        }))
    }

    pub fn score(&self, v: Variant, tokens: &[u32]) -> Result<Score> {
        let step = self.stepper(v)?;
        score(self.output(), tokens, step)
    }

    pub fn generate(
        &self,
        v: Variant,
        prompt: &[u32],
        n: usize,
        opts: SampleOptions,
    ) -> Result<Vec<u32>> {
        let step = self.stepper(v)?;
        generate(self.output(), prompt, n, opts, step)
    }

    /// A start token for generation when no prompt is given: a newline
    /// (char level) or `<eos>` (word level) when the vocabulary has one.
    pub fn default_prompt(&self) -> Vec<u32> {
        let want = match self.level() {
            VocabLevel::Char => "\n",
            VocabLevel::Word => crate::data::EOS,
        };
        let id = self
            .vocab()
            .tokens
            .iter()
            .position(|t| t == want)
            .unwrap_or(0);
        vec![id as u32]
    }
}
