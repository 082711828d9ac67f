//! Sequence classification of real-valued multichannel series (UEA `.ts`
//! sets: IMU gestures, LPC frames): input quantizer -> HitNet RNN -> class
//! head, trained with quantization in the loop, exported as a hitnet model
//! with a `classifier` (`hitnet_model::classify`, docs/arithmetic.md
//! section 10), and evaluated through every implementation of the RNN.
//!
//! Training sees each channel normalised with the training split's mean and
//! standard deviation; input trit j = (channel c, copy k) is
//! `tern(a_j * xn_c + b_j)` with `tern(v) = [v > 1/2] - [v < -1/2]` and a
//! straight-through gradient, a learned "affine, then threshold". The
//! export folds normalisation and affine into the integer thresholds of
//! the fixed-point samples, which the golden model and the accelerator's
//! host (later its input stage) compare against.
use crate::error::{Result, TrainError};
use crate::export::{float_rnn, quant_params};
use crate::net::{dense_init, rnn_forward, zero_state, LayerParams, TrainConfig};
use crate::quant::{flat, straight_through};
use crate::train::{clipped_grads, lr_at, Adam};
use crate::uea::TsDataset;
use candle_core::{Device, Tensor, Var};
use hitnet_model::classify::{
    ClassHead, Classifier, InputQuantizer, InputTrit, Pool, SAMPLE_MAX, SAMPLE_MIN,
};
use hitnet_model::error::check_range;
use hitnet_model::rng::{splitmix64, Rng};
use hitnet_model::QuantModel;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Instant;

/// Everything that defines a classifier training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifyConfig {
    /// The RNN and the optimiser. `embed` is the number of input trits
    /// (channels x `trits_per_channel`, set from the data); `level` and
    /// `seq_len` are unused (a step is a whole series).
    pub core: TrainConfig,
    /// Input trits per channel (each its own affine and thresholds); 0
    /// before training: [`auto_trits_per_channel`] of the data.
    pub trits_per_channel: usize,
    pub pool: Pool,
    /// Fraction of each class of the training split held out to choose
    /// the epoch whose network is kept.
    pub valid_frac: f64,
}

impl Default for ClassifyConfig {
    fn default() -> Self {
        ClassifyConfig {
            core: TrainConfig {
                hidden: 32,
                embed: 0,
                epochs: 60,
                batch: 8,
                lr: 5e-3,
                warmup: 20,
                dropout: 0.0,
                ..TrainConfig::default()
            },
            trits_per_channel: 0,
            pool: Pool::Last,
            valid_frac: 0.2,
        }
    }
}

impl ClassifyConfig {
    pub fn validate(&self) -> Result<()> {
        // 0: chosen from the data (auto_trits_per_channel).
        if self.trits_per_channel != 0 {
            check_range("trits-per-channel", self.trits_per_channel, 1, 64)?;
        }
        check_range("valid-frac", self.valid_frac, 0.0, 0.5)?;
        let mut core = self.core.clone();
        core.embed = core.embed.max(1);
        core.validate()
    }
}

/// The default input width: 4 trits per channel, and at least 16 input
/// trits in all (a univariate series gets 16 thresholds of its one value).
pub fn auto_trits_per_channel(channels: usize) -> usize {
    4.max(16usize.div_ceil(channels.max(1)))
}

/// Per-channel normalisation fitted on the training split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Normalizer {
    pub mean: Vec<f64>,
    /// Standard deviation (1 for a constant channel).
    pub std: Vec<f64>,
    /// Largest |value| seen: sets the fixed-point format.
    pub max_abs: f64,
}

impl Normalizer {
    pub fn fit(ds: &TsDataset) -> Normalizer {
        let c = ds.channels;
        let (mut s, mut s2, mut n, mut max_abs) = (vec![0f64; c], vec![0f64; c], 0f64, 0f64);
        for f in ds.series.iter().flat_map(|s| &s.values) {
            for (k, &v) in f.iter().enumerate() {
                let v = v as f64;
                s[k] += v;
                s2[k] += v * v;
                max_abs = max_abs.max(v.abs());
            }
            n += 1.0;
        }
        let n = n.max(1.0);
        let mean: Vec<f64> = s.iter().map(|&v| v / n).collect();
        let std = (0..c)
            .map(|k| {
                let var = (s2[k] / n - mean[k] * mean[k]).max(0.0);
                if var > 1e-12 {
                    var.sqrt()
                } else {
                    1.0
                }
            })
            .collect();
        Normalizer { mean, std, max_abs }
    }

    /// Fraction bits of the 16-bit samples: the most that keep the
    /// training split's largest value in range.
    pub fn frac_bits(&self) -> u32 {
        (0..=24u32)
            .rev()
            .find(|&f| self.max_abs * f64::from(1u32 << f) <= SAMPLE_MAX as f64)
            .unwrap_or(0)
    }

    /// One series normalised, time-major `[t * C + c]`.
    fn apply(&self, values: &[Vec<f32>]) -> Vec<f32> {
        let mut out = Vec::with_capacity(values.len() * self.mean.len());
        for f in values {
            for (k, &v) in f.iter().enumerate() {
                out.push(((v as f64 - self.mean[k]) / self.std[k]) as f32);
            }
        }
        out
    }
}

/// Trainable parameters: input affine (a, b per input trit), RNN, head.
struct Params {
    in_a: Var,
    in_b: Var,
    layers: Vec<LayerParams>,
    out_w: Var,
    out_b: Var,
}

impl Params {
    /// Input copy k of a channel starts as a ternary "window" centred at
    /// k's point of [-1, 1] (a thermometer code of the normalised value).
    fn init(cfg: &ClassifyConfig, classes: usize, dev: &Device) -> Result<Params> {
        let k = cfg.trits_per_channel;
        let j = cfg.core.embed;
        let centre = |i: usize| {
            if k == 1 {
                0.0
            } else {
                -1.0 + 2.0 * (i % k) as f32 / (k - 1) as f32
            }
        };
        let in_a = Var::from_vec(vec![1f32; j], j, dev)?;
        let in_b = Var::from_vec((0..j).map(|i| -centre(i)).collect(), j, dev)?;
        let mut rng = Rng::new(cfg.core.seed ^ 0x636c_6173); // "clas"
        let layers = LayerParams::init(&cfg.core, &mut rng, dev)?;
        let (out_w, out_b) = dense_init(classes, cfg.core.hidden, &mut rng, dev)?;
        Ok(Params {
            in_a,
            in_b,
            layers,
            out_w,
            out_b,
        })
    }

    fn named(&self) -> Vec<(String, &Var)> {
        let mut v = vec![
            ("in.a".to_string(), &self.in_a),
            ("in.b".into(), &self.in_b),
        ];
        v.extend(LayerParams::named(&self.layers));
        v.push(("out.w".into(), &self.out_w));
        v.push(("out.b".into(), &self.out_b));
        v
    }

    fn snapshot(&self) -> Result<Tensors> {
        let mut m = BTreeMap::new();
        for (n, v) in self.named() {
            let t = v.as_tensor();
            m.insert(n, (t.dims().to_vec(), flat(t)?));
        }
        Ok(m)
    }

    /// Parameters from named tensors, each checked against `init`'s shape.
    fn from_tensors(
        cfg: &ClassifyConfig,
        classes: usize,
        t: &Tensors,
        file: &str,
    ) -> Result<Params> {
        let dev = Device::Cpu;
        let p = Params::init(cfg, classes, &dev)?;
        p.load(t, file)?;
        Ok(p)
    }

    fn load(&self, t: &Tensors, file: &str) -> Result<()> {
        for (n, v) in self.named() {
            let want = v.as_tensor().dims().to_vec();
            let (shape, data) = t.get(&n).ok_or_else(|| TrainError::Checkpoint {
                file: file.into(),
                msg: format!("tensor `{n}` is missing"),
            })?;
            if *shape != want || data.len() != want.iter().product::<usize>() {
                return Err(TrainError::Checkpoint {
                    file: file.into(),
                    msg: format!("tensor `{n}` has shape {shape:?}, expected {want:?}"),
                });
            }
            v.set(&Tensor::from_vec(data.clone(), want, &Device::Cpu)?)?;
        }
        Ok(())
    }
}

type Tensors = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

fn tern(v: f32) -> f32 {
    if v > 0.5 {
        1.0
    } else if v < -0.5 {
        -1.0
    } else {
        0.0
    }
}

/// Logits (b x classes) of `b` normalised series of `t` steps, each
/// `series[s]` time-major `[t * C + c]`.
fn forward(
    cfg: &ClassifyConfig,
    p: &Params,
    series: &[&[f32]],
    channels: usize,
    train: bool,
    rng: &mut Rng,
) -> Result<Tensor> {
    let dev = Device::Cpu;
    let b = series.len();
    let t_len = series[0].len() / channels;
    let param = |v: &Var| crate::net::param(v, train);
    let k = cfg.trits_per_channel;
    let chan: Vec<u32> = (0..channels * k).map(|j| (j / k) as u32).collect();
    let chan = Tensor::from_vec(chan, channels * k, &dev)?;
    let (a, bias) = (param(&p.in_a), param(&p.in_b));
    let mut xs = Vec::with_capacity(t_len);
    for t in 0..t_len {
        let frame: Vec<f32> = series
            .iter()
            .flat_map(|s| s[t * channels..(t + 1) * channels].iter().copied())
            .collect();
        let f = Tensor::from_vec(frame, (b, channels), &dev)?;
        let v = f
            .index_select(&chan, 1)?
            .broadcast_mul(&a)?
            .broadcast_add(&bias)?;
        xs.push(if cfg.core.quant.ternary_embedding() {
            let q = flat(&v)?.into_iter().map(tern).collect();
            straight_through(&v, q)?
        } else {
            v
        });
    }
    let mut state = zero_state(&cfg.core, b, &dev)?;
    let hs = rnn_forward(&cfg.core, &p.layers, xs, &mut state, train, rng)?;
    let pooled = match cfg.pool {
        Pool::Last => hs.last().expect("t_len >= 1").clone(),
        Pool::Mean => Tensor::stack(&hs, 0)?.mean(0)?,
    };
    Ok(pooled
        .matmul(&param(&p.out_w).t()?)?
        .broadcast_add(&param(&p.out_b))?)
}

/// The series of a split, normalised, with labels.
struct Prepared {
    x: Vec<Vec<f32>>,
    y: Vec<u32>,
}

impl Prepared {
    fn new(ds: &TsDataset, norm: &Normalizer, idx: &[usize]) -> Prepared {
        Prepared {
            x: idx
                .iter()
                .map(|&i| norm.apply(&ds.series[i].values))
                .collect(),
            y: idx.iter().map(|&i| ds.series[i].label as u32).collect(),
        }
    }

    /// Batches of equal-length series (a batch is one length), shuffled.
    fn batches(&self, channels: usize, batch: usize, rng: Option<&mut Rng>) -> Vec<Vec<usize>> {
        let mut by_len: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, x) in self.x.iter().enumerate() {
            by_len.entry(x.len() / channels).or_default().push(i);
        }
        let mut out = Vec::new();
        let mut rng = rng;
        for (_, mut v) in by_len {
            if let Some(r) = rng.as_deref_mut() {
                shuffle(&mut v, r);
            }
            out.extend(v.chunks(batch).map(<[usize]>::to_vec));
        }
        if let Some(r) = rng {
            shuffle(&mut out, r);
        }
        out
    }
}

fn shuffle<T>(v: &mut [T], rng: &mut Rng) {
    for i in (1..v.len()).rev() {
        v.swap(i, rng.below(i as u64 + 1) as usize);
    }
}

/// Stratified hold-out: per class, every k-th series (seeded order) goes
/// to validation, `frac` of them (at least one of a class with two or more).
fn split_valid(ds: &TsDataset, frac: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let (mut fit, mut valid) = (Vec::new(), Vec::new());
    let mut rng = Rng::new(seed ^ 0x7661_6c69); // "vali"
    for c in 0..ds.classes.len() {
        let mut idx: Vec<usize> = (0..ds.series.len())
            .filter(|&i| ds.series[i].label == c)
            .collect();
        shuffle(&mut idx, &mut rng);
        let mut n = (frac * idx.len() as f64).round() as usize;
        if frac > 0.0 && n == 0 && idx.len() >= 2 {
            n = 1;
        }
        valid.extend_from_slice(&idx[..n]);
        fit.extend_from_slice(&idx[n..]);
    }
    fit.sort_unstable();
    valid.sort_unstable();
    (fit, valid)
}

/// How many rows of `logits` have their largest value at the label in `y`.
fn hits(logits: &Tensor, y: &Tensor) -> Result<usize> {
    let pred = logits.argmax(1)?.to_vec1::<u32>()?;
    let y = y.to_vec1::<u32>()?;
    Ok(pred.iter().zip(&y).filter(|(a, b)| a == b).count())
}

/// Accuracy and mean cross-entropy of `p` on a prepared split.
fn score(
    cfg: &ClassifyConfig,
    p: &Params,
    d: &Prepared,
    channels: usize,
    seed: u64,
) -> Result<(f64, f64)> {
    let mut rng = Rng::new(seed);
    let (mut correct, mut nats) = (0usize, 0f64);
    for b in d.batches(channels, 64, None) {
        let xs: Vec<&[f32]> = b.iter().map(|&i| d.x[i].as_slice()).collect();
        let lg = forward(cfg, p, &xs, channels, false, &mut rng)?;
        let y = Tensor::from_vec(
            b.iter().map(|&i| d.y[i]).collect::<Vec<_>>(),
            b.len(),
            lg.device(),
        )?;
        nats += crate::net::loss_sum(&lg, &y)?;
        correct += hits(&lg, &y)?;
    }
    let n = d.y.len().max(1) as f64;
    Ok((correct as f64 / n, nats / n))
}

/// One epoch's record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassifyEpoch {
    pub epoch: usize,
    pub train_loss: f64,
    pub train_accuracy: f64,
    pub valid_accuracy: Option<f64>,
    pub valid_loss: Option<f64>,
    pub seconds: f64,
}

/// The trained network in plain vectors, with what it needs to run on raw
/// series: written next to the model as the full-precision reference
/// (`hitnet eval --model FILE.float.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloatClassifier {
    pub format: String,
    pub version: u32,
    pub config: ClassifyConfig,
    pub problem: String,
    pub channels: usize,
    pub classes: Vec<String>,
    pub norm: Normalizer,
    pub tensors: Tensors,
}

pub const FLOAT_FORMAT: &str = "hitnet-classifier-float";

impl FloatClassifier {
    fn params(&self, file: &str) -> Result<Params> {
        Params::from_tensors(&self.config, self.classes.len(), &self.tensors, file)
    }

    fn tensor(&self, name: &str) -> &[f32] {
        &self.tensors[name].1
    }

    /// The class of each raw series, as the trained network computes it
    /// in floating point (BTQ draws from `seed` in the quantized modes).
    pub fn predict(&self, series: &[Vec<Vec<f32>>], seed: u64) -> Result<Vec<usize>> {
        let p = self.params(&self.problem)?;
        let mut rng = Rng::new(seed);
        series
            .iter()
            .map(|s| {
                if s.is_empty() {
                    return Ok(0);
                }
                let x = self.norm.apply(s);
                let lg = forward(&self.config, &p, &[&x], self.channels, false, &mut rng)?;
                Ok(lg.argmax(1)?.to_vec1::<u32>()?[0] as usize)
            })
            .collect()
    }

    /// The input quantizer: normalisation and affine folded into integer
    /// thresholds on the fixed-point samples (module doc).
    pub fn input_quantizer(&self) -> InputQuantizer {
        let k = self.config.trits_per_channel;
        let frac_bits = self.norm.frac_bits();
        let unit = f64::from(1u32 << frac_bits);
        let (a, b) = (self.tensor("in.a"), self.tensor("in.b"));
        let trits = (0..self.channels * k)
            .map(|j| {
                let c = j / k;
                let (mean, std) = (self.norm.mean[c], self.norm.std[c]);
                // v(x) = s x + o for the fixed-point sample x.
                let s = a[j] as f64 / (std * unit);
                let o = b[j] as f64 - a[j] as f64 * mean / std;
                let (s, o, neg) = if s < 0.0 {
                    (-s, -o, true)
                } else {
                    (s, o, false)
                };
                let (lo, hi) = if s == 0.0 {
                    let never = (SAMPLE_MIN as i64 - 1, SAMPLE_MAX as i64 + 1);
                    match tern(o as f32) {
                        1.0 => (SAMPLE_MIN as i64 - 1, SAMPLE_MIN as i64),
                        -1.0 => (SAMPLE_MAX as i64, SAMPLE_MAX as i64 + 1),
                        _ => never,
                    }
                } else {
                    // +1 iff s x + o > 1/2; -1 iff s x + o < -1/2.
                    let hi = ((0.5 - o) / s).floor() + 1.0;
                    let lo = ((-0.5 - o) / s).ceil() - 1.0;
                    let clamp = |v: f64, l: i64, h: i64| v.clamp(l as f64, h as f64) as i64;
                    (
                        clamp(lo, SAMPLE_MIN as i64 - 1, SAMPLE_MAX as i64),
                        clamp(hi, SAMPLE_MIN as i64, SAMPLE_MAX as i64 + 1),
                    )
                };
                InputTrit {
                    channel: c,
                    lo: lo as i32,
                    hi: hi as i32,
                    neg,
                }
            })
            .collect();
        InputQuantizer {
            channels: self.channels,
            frac_bits,
            trits,
        }
    }

    /// The head in int8 with one scale (max |w| = 127) and integer biases.
    pub fn head(&self) -> ClassHead {
        let (w, b) = (self.tensor("out.w"), self.tensor("out.b"));
        let h = self.config.core.hidden;
        let m = w.iter().fold(0f32, |m, &v| m.max(v.abs())) as f64;
        let scale = if m > 0.0 { m / 127.0 } else { 1.0 };
        let q = |v: f32| (v as f64 / scale).round();
        ClassHead {
            pool: self.config.pool,
            classes: self.classes.clone(),
            weight: w
                .chunks(h)
                .map(|r| r.iter().map(|&v| q(v).clamp(-127.0, 127.0) as i8).collect())
                .collect(),
            bias: b
                .iter()
                .map(|&v| q(v).clamp(i32::MIN as f64, i32::MAX as f64) as i32)
                .collect(),
            scale,
        }
    }

    /// The hitnet model: TTQ gate matrices, BTQ activations, the input
    /// quantizer and the int8 head.
    pub fn export(&self, meta: serde_json::Value) -> Result<QuantModel> {
        let p = self.params(&self.problem)?;
        let rnn = float_rnn(&self.config.core, &p.layers)?;
        let mut m = rnn.quantize(&quant_params(&self.config.core))?;
        m.classifier = Some(Classifier {
            input: self.input_quantizer(),
            head: self.head(),
        });
        m.meta = meta;
        m.validate()?;
        Ok(m)
    }

    pub fn save(&self, path: &std::path::Path) -> Result<()> {
        let text = serde_json::to_string(self).expect("serializes");
        hitnet_model::io::write_atomic(path, text.as_bytes())?;
        Ok(())
    }

    pub fn from_json(text: &str, file: &str) -> Result<FloatClassifier> {
        let bad = |msg: String| TrainError::Checkpoint {
            file: file.into(),
            msg,
        };
        let f: FloatClassifier = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        if f.format != FLOAT_FORMAT || f.version != 1 {
            return Err(bad(format!(
                "format `{}` version {}, expected `{FLOAT_FORMAT}` version 1",
                f.format, f.version
            )));
        }
        f.config.validate()?;
        let k = f.config.trits_per_channel;
        if k == 0 || f.config.core.embed != f.channels * k {
            return Err(bad(format!(
                "{} input trits for {} channels x {k} trits per channel",
                f.config.core.embed, f.channels
            )));
        }
        if f.norm.mean.len() != f.channels || f.norm.std.len() != f.channels {
            return Err(bad("normalisation does not match the channel count".into()));
        }
        f.params(file)?;
        Ok(f)
    }
}

/// What training did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassifyReport {
    pub model: String,
    pub float: String,
    pub config: ClassifyConfig,
    pub problem: String,
    pub classes: Vec<String>,
    pub channels: usize,
    pub train_series: usize,
    pub valid_series: usize,
    /// The epoch whose network was kept (best validation accuracy, then
    /// loss; the last without a validation split).
    pub best_epoch: usize,
    pub history: Vec<ClassifyEpoch>,
    pub seconds: f64,
    pub ternary_weights: usize,
}

/// Where `train_classifier` writes.
pub struct ClassifyOptions {
    pub config: ClassifyConfig,
    pub out: std::path::PathBuf,
    /// The float reference (default: OUT with `.float.json`).
    pub float_out: std::path::PathBuf,
    pub progress: bool,
}

/// `OUT.float.json` next to `out`.
pub fn float_path(out: &std::path::Path) -> std::path::PathBuf {
    let mut p = out.as_os_str().to_owned();
    p.push(".float.json");
    p.into()
}

/// Trains a classifier on `train` and writes the hitnet model and its
/// float reference. `log` gets one line per epoch.
pub fn train_classifier(
    train: &TsDataset,
    opts: &ClassifyOptions,
    log: &mut dyn FnMut(&str),
) -> Result<ClassifyReport> {
    let t0 = Instant::now();
    let mut cfg = opts.config.clone();
    if cfg.trits_per_channel == 0 {
        cfg.trits_per_channel = auto_trits_per_channel(train.channels);
    }
    cfg.core.embed = train.channels * cfg.trits_per_channel;
    cfg.validate()?;
    let dev = Device::Cpu;
    let norm = Normalizer::fit(train);
    let (fit_idx, valid_idx) = split_valid(train, cfg.valid_frac, cfg.core.seed);
    let fit = Prepared::new(train, &norm, &fit_idx);
    let valid = Prepared::new(train, &norm, &valid_idx);
    let c = train.channels;
    let p = Params::init(&cfg, train.classes.len(), &dev)?;
    let named = p.named();
    let mut adam = Adam::zeros(&named)?;
    let per_epoch = fit.batches(c, cfg.core.batch, None).len() as u64;
    let total = per_epoch * cfg.core.epochs as u64;
    let core = &cfg.core;
    log(&format!(
        "training {}, {} pooling, {} input trits ({} per channel) on {}: {} train / {} valid series, {} classes; {} batches per epoch, {} epochs",
        core.network_line(" classifier"),
        cfg.pool.name(),
        core.embed,
        cfg.trits_per_channel,
        train.problem,
        fit.y.len(),
        valid.y.len(),
        train.classes.len(),
        per_epoch,
        core.epochs
    ));
    let bar = if opts.progress {
        indicatif::ProgressBar::new(total)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut shuffler = Rng::new(splitmix64(core.seed ^ 0x7368_7566)); // "shuf"
    let (mut step, mut history) = (0u64, Vec::new());
    let mut best: Option<(f64, f64, usize, Tensors)> = None;
    for epoch in 0..core.epochs {
        let e0 = Instant::now();
        let (mut nats, mut correct) = (0f64, 0usize);
        for b in fit.batches(c, core.batch, Some(&mut shuffler)) {
            let xs: Vec<&[f32]> = b.iter().map(|&i| fit.x[i].as_slice()).collect();
            let mut rng = Rng::new(splitmix64(core.seed) ^ splitmix64(step));
            let lg = forward(&cfg, &p, &xs, c, true, &mut rng)?;
            let y = Tensor::from_vec(
                b.iter().map(|&i| fit.y[i]).collect::<Vec<_>>(),
                b.len(),
                &dev,
            )?;
            let loss = crate::net::loss(&lg, &y)?;
            let lv = loss.to_scalar::<f32>()?;
            if !lv.is_finite() {
                return Err(TrainError::Diverged { step, loss: lv });
            }
            nats += lv as f64 * b.len() as f64;
            correct += hits(&lg, &y)?;
            let gs = clipped_grads(&loss, &named, core.clip)?;
            adam.step(
                &named,
                &gs,
                lr_at(core, step, total),
                core.weight_decay,
                step + 1,
            )?;
            step += 1;
            bar.inc(1);
        }
        let n = fit.y.len().max(1) as f64;
        let (va, vl) = if valid.y.is_empty() {
            (None, None)
        } else {
            let (a, l) = score(&cfg, &p, &valid, c, core.seed ^ 0x76616c)?;
            (Some(a), Some(l))
        };
        let rec = ClassifyEpoch {
            epoch,
            train_loss: nats / n,
            train_accuracy: correct as f64 / n,
            valid_accuracy: va,
            valid_loss: vl,
            seconds: e0.elapsed().as_secs_f64(),
        };
        bar.suspend(|| {
            log(&format!(
                "epoch {}/{}: train loss {:.4}, accuracy {:.1}%{}",
                epoch + 1,
                core.epochs,
                rec.train_loss,
                100.0 * rec.train_accuracy,
                match (va, vl) {
                    (Some(a), Some(l)) =>
                        format!(", valid accuracy {:.1}% (loss {l:.4})", 100.0 * a),
                    _ => String::new(),
                }
            ))
        });
        history.push(rec);
        // The kept network: best validation accuracy, then loss; without a
        // validation split, the last.
        let key = (va.unwrap_or(0.0), -vl.unwrap_or(0.0));
        if best
            .as_ref()
            .is_none_or(|(a, l, _, _)| (key.0, key.1) >= (*a, *l))
        {
            best = Some((key.0, key.1, epoch, p.snapshot()?));
        }
    }
    bar.finish_and_clear();
    let (_, _, best_epoch, tensors) = best.expect("at least one epoch");
    let fc = FloatClassifier {
        format: FLOAT_FORMAT.into(),
        version: 1,
        config: cfg.clone(),
        problem: train.problem.clone(),
        channels: c,
        classes: train.classes.clone(),
        norm,
        tensors,
    };
    let meta = serde_json::json!({
        "trained_by": "hitnet train --task classify",
        "classify": cfg,
        "problem": train.problem,
        "best_epoch": best_epoch,
        "history": history,
    });
    let model = fc.export(meta)?;
    hitnet_model::io::save(&model, &opts.out)?;
    fc.save(&opts.float_out)?;
    log(&format!(
        "kept epoch {}; wrote model {} and float reference {}",
        best_epoch + 1,
        opts.out.display(),
        opts.float_out.display()
    ));
    Ok(ClassifyReport {
        model: opts.out.display().to_string(),
        float: opts.float_out.display().to_string(),
        config: cfg,
        problem: train.problem.clone(),
        classes: train.classes.clone(),
        channels: c,
        train_series: fit.y.len(),
        valid_series: valid.y.len(),
        best_epoch,
        history,
        seconds: t0.elapsed().as_secs_f64(),
        ternary_weights: model.weight_count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uea::TsSeries;

    /// Two classes told apart by the sign of channel 0's mean; channel 1 noise.
    pub(crate) fn toy(n: usize, len: usize, seed: u64) -> TsDataset {
        let mut rng = Rng::new(seed);
        let series = (0..n)
            .map(|i| {
                let label = i % 2;
                let m = if label == 0 { 2.0 } else { -2.0 };
                let values = (0..len + i % 3)
                    .map(|_| vec![(m + rng.normal()) as f32, (rng.normal() * 5.0) as f32])
                    .collect();
                TsSeries {
                    label,
                    values,
                    line: i + 1,
                }
            })
            .collect();
        TsDataset {
            problem: "Toy".into(),
            channels: 2,
            classes: vec!["up".into(), "down".into()],
            series,
        }
    }

    fn float_ref(a: Vec<f32>, b: Vec<f32>, norm: Normalizer, k: usize) -> FloatClassifier {
        let mut cfg = ClassifyConfig {
            trits_per_channel: k,
            ..ClassifyConfig::default()
        };
        cfg.core.embed = norm.mean.len() * k;
        cfg.core.hidden = 2;
        let j = a.len();
        let mut tensors = BTreeMap::new();
        tensors.insert("in.a".to_string(), (vec![j], a));
        tensors.insert("in.b".to_string(), (vec![j], b));
        tensors.insert(
            "out.w".to_string(),
            (vec![2, 2], vec![0.5, -0.25, 0.0, 1.0]),
        );
        tensors.insert("out.b".to_string(), (vec![2], vec![0.1, -2.0]));
        FloatClassifier {
            format: FLOAT_FORMAT.into(),
            version: 1,
            config: cfg,
            problem: "t".into(),
            channels: norm.mean.len(),
            classes: vec!["a".into(), "b".into()],
            norm,
            tensors,
        }
    }

    /// The exported integer thresholds give the trits of the float
    /// definition tern(a (x - mean) / std + b) on every fixed-point sample,
    /// for positive, negative and zero a.
    #[test]
    fn input_quantizer_matches_the_float_definition() {
        let norm = Normalizer {
            mean: vec![0.3, -1.0],
            std: vec![0.7, 2.5],
            max_abs: 3.9,
        };
        let a = vec![1.3, -0.6, 0.0, 0.0, 2.0, -1.5];
        let b = vec![0.2, -0.1, 0.9, 0.1, -3.0, 4.0];
        let f = float_ref(a.clone(), b.clone(), norm.clone(), 3);
        let q = f.input_quantizer();
        assert_eq!(q.frac_bits, 13); // 3.9 * 2^13 = 31949 <= 32767 < 3.9 * 2^14
        let unit = f64::from(1u32 << q.frac_bits);
        let mut checked = 0;
        for x in (SAMPLE_MIN..=SAMPLE_MAX).step_by(7) {
            for c in 0..2 {
                let mut frame = [0i32; 2];
                frame[c] = x;
                let got = q.trits(&frame);
                for j in (0..6).filter(|j| j / 3 == c) {
                    let xn = (x as f64 / unit - norm.mean[c]) / norm.std[c];
                    let v = a[j] as f64 * xn + b[j] as f64;
                    if (v.abs() - 0.5).abs() < 1e-9 {
                        continue; // on a threshold: either side is fine
                    }
                    assert_eq!(got[j] as f32, tern(v as f32), "x {x} trit {j} v {v}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 20_000);
    }

    #[test]
    fn head_is_int8_with_one_scale() {
        let norm = Normalizer {
            mean: vec![0.0],
            std: vec![1.0],
            max_abs: 1.0,
        };
        let f = float_ref(vec![1.0, 1.0], vec![0.0, 0.0], norm, 2);
        let h = f.head();
        assert_eq!(h.weight, vec![vec![64, -32], vec![0, 127]]);
        assert_eq!(h.bias, vec![13, -254]);
        assert!((h.scale - 1.0 / 127.0).abs() < 1e-12);
    }

    #[test]
    fn stratified_split_keeps_every_class() {
        let ds = toy(10, 5, 1);
        let (fit, valid) = split_valid(&ds, 0.2, 3);
        assert_eq!(fit.len() + valid.len(), 10);
        assert_eq!(valid.len(), 2);
        let labels: Vec<usize> = valid.iter().map(|&i| ds.series[i].label).collect();
        assert!(labels.contains(&0) && labels.contains(&1));
        assert_eq!(split_valid(&ds, 0.0, 3).1.len(), 0);
    }

    #[test]
    fn batches_are_one_length_each() {
        let ds = toy(12, 4, 2);
        let norm = Normalizer::fit(&ds);
        let p = Prepared::new(&ds, &norm, &(0..12).collect::<Vec<_>>());
        let mut rng = Rng::new(1);
        let bs = p.batches(2, 3, Some(&mut rng));
        let mut seen: Vec<usize> = bs.iter().flatten().copied().collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..12).collect::<Vec<_>>());
        for b in &bs {
            assert!(b.len() <= 3);
            assert!(b.iter().all(|&i| p.x[i].len() == p.x[b[0]].len()));
        }
    }

    #[test]
    fn config_is_validated() {
        let mut c = ClassifyConfig::default();
        assert!(c.validate().is_ok());
        c.trits_per_channel = 65;
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("trits-per-channel"), "{e}");
        let auto = [1, 2, 4, 6, 12].map(auto_trits_per_channel);
        assert_eq!(auto, [16, 8, 4, 4, 4]);
        c.trits_per_channel = 2;
        c.valid_frac = 0.9;
        assert!(c.validate().unwrap_err().to_string().contains("valid-frac"));
    }
}
