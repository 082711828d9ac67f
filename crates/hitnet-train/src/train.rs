//! The training loop: truncated BPTT over parallel streams, AdamW with a
//! global gradient-norm clip, linear warm-up then cosine learning-rate
//! decay, dropout, checkpoint/resume, and an indicatif progress bar with
//! the running loss.
use crate::checkpoint::{put, Checkpoint, CkptMeta, EpochLog, Progress, CKPT_FORMAT, CKPT_VERSION};
use crate::data::{split_range, Corpus, Split};
use crate::error::{Result, TrainError};
use crate::export::FloatLm;
use crate::net::{forward, loss, loss_sum, zero_state, LayerState, Params, TrainConfig};
use candle_core::{Device, Tensor, Var};
use hitnet_model::model::Vocab;
use hitnet_model::rng::{splitmix64, Rng};
use hitnet_model::QuantModel;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How a training run is carried out (the model is in `config`).
#[derive(Clone, Debug)]
pub struct TrainOptions {
    pub config: TrainConfig,
    /// The exported hitnet model file (JSON).
    pub out: PathBuf,
    /// Where checkpoints are written (and read on resume).
    pub checkpoint: PathBuf,
    /// Save a checkpoint every this many steps (0: at epoch ends only).
    pub checkpoint_every: u64,
    /// Stop this session after this many steps (checkpoint and export
    /// still happen); `None` runs to the last epoch.
    pub max_steps: Option<u64>,
    /// Draw the progress bar (stderr, only on a terminal).
    pub progress: bool,
}

pub struct TrainReport {
    pub model: QuantModel,
    pub progress: Progress,
    pub history: Vec<EpochLog>,
    /// Training tokens per second in this session.
    pub tokens_per_second: f64,
    /// True when every epoch is done.
    pub finished: bool,
}

/// Adam with decoupled weight decay. Our own (not candle_nn's) so that its
/// moments can be checkpointed and a resumed run continues exactly.
pub(crate) struct Adam {
    m: Vec<Tensor>,
    v: Vec<Tensor>,
}

const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPS: f64 = 1e-8;

impl Adam {
    pub(crate) fn zeros(vars: &[(String, &Var)]) -> Result<Adam> {
        let z = |v: &Var| v.as_tensor().zeros_like();
        Ok(Adam {
            m: vars
                .iter()
                .map(|(_, v)| z(v))
                .collect::<candle_core::Result<_>>()?,
            v: vars
                .iter()
                .map(|(_, v)| z(v))
                .collect::<candle_core::Result<_>>()?,
        })
    }

    /// `t` is the 1-based step number (bias correction).
    pub(crate) fn step(
        &mut self,
        vars: &[(String, &Var)],
        grads: &[Tensor],
        lr: f64,
        wd: f64,
        t: u64,
    ) -> Result<()> {
        let c1 = 1.0 - BETA1.powi(t as i32);
        let c2 = 1.0 - BETA2.powi(t as i32);
        for (k, ((_, var), g)) in vars.iter().zip(grads).enumerate() {
            self.m[k] = ((&self.m[k] * BETA1)? + (g * (1.0 - BETA1))?)?;
            self.v[k] = ((&self.v[k] * BETA2)? + (g.sqr()? * (1.0 - BETA2))?)?;
            let mhat = (&self.m[k] / c1)?;
            let vhat = (&self.v[k] / c2)?;
            let upd = (mhat / (vhat.sqrt()? + EPS)?)?;
            let w = var.as_tensor();
            let upd = if wd > 0.0 { (upd + (w * wd)?)? } else { upd };
            var.set(&(w - (upd * lr)?)?)?;
        }
        Ok(())
    }
}

/// The gradients of `loss` for `vars` (zero where a var is unused),
/// scaled down together when their global norm exceeds `clip` (0: off).
pub(crate) fn clipped_grads(
    loss: &Tensor,
    vars: &[(String, &Var)],
    clip: f64,
) -> Result<Vec<Tensor>> {
    let grads = loss.backward()?;
    let mut gs = Vec::with_capacity(vars.len());
    let mut sq = 0f64;
    for (_, v) in vars {
        let g = match grads.get(v.as_tensor()) {
            Some(g) => g.clone(),
            None => v.as_tensor().zeros_like()?,
        };
        sq += g.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
        gs.push(g);
    }
    let norm = sq.sqrt();
    if clip > 0.0 && norm > clip {
        let f = clip / norm;
        for g in &mut gs {
            *g = (&*g * f)?;
        }
    }
    Ok(gs)
}

/// Learning rate at `step` (0-based) of `total`: linear warm-up, then a
/// cosine decay to `lr * min_lr_frac`.
pub fn lr_at(cfg: &TrainConfig, step: u64, total: u64) -> f64 {
    let warm = cfg.warmup.min(total / 4);
    if step < warm {
        return cfg.lr * (step + 1) as f64 / warm as f64;
    }
    let span = total.saturating_sub(warm).max(1) as f64;
    let x = ((step - warm) as f64 / span).min(1.0);
    let f =
        cfg.min_lr_frac + (1.0 - cfg.min_lr_frac) * 0.5 * (1.0 + (std::f64::consts::PI * x).cos());
    cfg.lr * f
}

/// A stream of tokens cut into `b` parallel streams of length `len`,
/// read in windows of `t` steps.
#[derive(Clone, Copy, Debug)]
pub struct Streams {
    pub b: usize,
    pub len: usize,
    pub t: usize,
}

impl Streams {
    /// Up to `batch` streams, each at least `seq_len + 1` tokens long when
    /// the data allows (tiny corpora get fewer, shorter streams).
    pub fn new(n: usize, batch: usize, seq_len: usize) -> Option<Streams> {
        if n < 2 {
            return None;
        }
        let b = (n / (seq_len + 1)).clamp(1, batch);
        Some(Streams {
            b,
            len: n / b,
            t: seq_len,
        })
    }
    pub fn windows(&self) -> u64 {
        (self.len - 1).div_ceil(self.t) as u64
    }
    /// Time-major inputs and targets of window `k`, and its length.
    pub fn window(&self, tokens: &[u32], k: u64, dev: &Device) -> Result<(Tensor, Tensor, usize)> {
        let start = k as usize * self.t;
        let tl = self.t.min(self.len - 1 - start);
        let mut x = Vec::with_capacity(tl * self.b);
        let mut y = Vec::with_capacity(tl * self.b);
        for s in 0..tl {
            for st in 0..self.b {
                let p = st * self.len + start + s;
                x.push(tokens[p]);
                y.push(tokens[p + 1]);
            }
        }
        Ok((Tensor::new(x, dev)?, Tensor::new(y, dev)?, tl))
    }
}

/// Bits per token of `tokens` under the training-time network (same
/// quantizers, no dropout), read as parallel streams. `None` when there
/// are fewer than 2 tokens.
pub fn evaluate_batched(
    cfg: &TrainConfig,
    p: &Params,
    tokens: &[u32],
    seed: u64,
) -> Result<Option<f64>> {
    let dev = Device::Cpu;
    let Some(s) = Streams::new(tokens.len(), cfg.batch, cfg.seq_len) else {
        return Ok(None);
    };
    let mut state = zero_state(cfg, s.b, &dev)?;
    let mut rng = Rng::new(seed);
    let mut nats = 0.0;
    let mut count = 0usize;
    for k in 0..s.windows() {
        let (x, y, tl) = s.window(tokens, k, &dev)?;
        let logits = forward(cfg, p, &x, s.b, &mut state, false, &mut rng)?;
        nats += loss_sum(&logits, &y)?;
        count += tl * s.b;
    }
    Ok(Some(nats / count as f64 / std::f64::consts::LN_2))
}

struct Trainer<'a> {
    cfg: TrainConfig,
    dev: Device,
    params: Params,
    adam: Adam,
    data: &'a [u32],
    streams: Streams,
    state: Vec<LayerState>,
    teacher: Option<Teacher>,
}

/// The distillation teacher: a trained network and its own stream state.
struct Teacher {
    cfg: TrainConfig,
    params: Params,
    state: Vec<LayerState>,
    weight: f64,
    temperature: f64,
}

impl Teacher {
    /// The teacher of `cfg.distill` (none without one). Its vocabulary must
    /// be the corpus's.
    fn load(cfg: &TrainConfig, vocab: &Vocab, b: usize, dev: &Device) -> Result<Option<Teacher>> {
        let Some(d) = &cfg.distill else {
            return Ok(None);
        };
        let ck = Checkpoint::load(Path::new(&d.teacher))?;
        if ck.meta.vocab != *vocab {
            return Err(TrainError::invalid(
                "distill",
                format!(
                    "{}: the teacher's vocabulary is not this corpus's",
                    d.teacher
                ),
            ));
        }
        let tcfg = ck.meta.config.clone();
        Ok(Some(Teacher {
            params: ck.params(dev)?,
            state: zero_state(&tcfg, b, dev)?,
            cfg: tcfg,
            weight: d.weight,
            temperature: d.temperature,
        }))
    }

    /// The distillation loss of `student` logits on window `x`:
    /// T^2 * mean over tokens of KL(softmax(teacher / T) || softmax(student / T)),
    /// up to the teacher's entropy (constant for the student).
    fn loss(&mut self, x: &Tensor, b: usize, student: &Tensor, rng: &mut Rng) -> Result<Tensor> {
        let t = self.temperature;
        let tl = forward(&self.cfg, &self.params, x, b, &mut self.state, false, rng)?;
        for s in &mut self.state {
            s.h = s.h.detach();
            s.c = s.c.detach();
        }
        let p = candle_nn::ops::softmax(&(tl.detach() / t)?, candle_core::D::Minus1)?;
        let ls = candle_nn::ops::log_softmax(&(student / t)?, candle_core::D::Minus1)?;
        let n = student.dim(0)? as f64;
        Ok(((p * ls)?.sum_all()? * (-t * t / n))?)
    }
}

impl Trainer<'_> {
    /// One optimizer step on window `k`; returns the mean loss (nats/token)
    /// and the number of tokens.
    fn step(&mut self, step: u64, k: u64, lr: f64) -> Result<(f32, usize)> {
        let (x, y, tl) = self.streams.window(self.data, k, &self.dev)?;
        let mut rng = Rng::new(splitmix64(self.cfg.seed) ^ splitmix64(step));
        let logits = forward(
            &self.cfg,
            &self.params,
            &x,
            self.streams.b,
            &mut self.state,
            true,
            &mut rng,
        )?;
        let l = loss(&logits, &y)?;
        let lv = l.to_scalar::<f32>()?;
        let l = match &mut self.teacher {
            Some(t) => {
                let w = t.weight;
                let kd = t.loss(&x, self.streams.b, &logits, &mut rng)?;
                ((l * (1.0 - w))? + (kd * w)?)?
            }
            None => l,
        };
        if !lv.is_finite() {
            return Err(TrainError::Diverged { step, loss: lv });
        }
        let named = self.params.named();
        let gs = clipped_grads(&l, &named, self.cfg.clip)?;
        self.adam
            .step(&named, &gs, lr, self.cfg.weight_decay, step + 1)?;
        // Truncated BPTT: the state crosses windows, its gradient does not.
        for s in &mut self.state {
            s.h = s.h.detach();
            s.c = s.c.detach();
        }
        Ok((lv, tl * self.streams.b))
    }

    fn checkpoint(&self, meta: &CkptMeta, file: &str) -> Result<Checkpoint> {
        let mut tensors = BTreeMap::new();
        for (k, (n, v)) in self.params.named().iter().enumerate() {
            put(&mut tensors, n.clone(), v.as_tensor())?;
            put(&mut tensors, format!("adam.m.{n}"), &self.adam.m[k])?;
            put(&mut tensors, format!("adam.v.{n}"), &self.adam.v[k])?;
        }
        for (l, s) in self.state.iter().enumerate() {
            put(&mut tensors, format!("state.l{l}.h"), &s.h)?;
            put(&mut tensors, format!("state.l{l}.c"), &s.c)?;
        }
        Ok(Checkpoint {
            meta: meta.clone(),
            tensors,
            file: file.to_string(),
        })
    }
}

/// `--init FROM.ckpt`: the weights of a trained run whose network has the
/// same cell, widths, depth and vocabulary (its quantization may differ:
/// a full-precision run is the usual start of a quantized fine-tune).
fn warm_start(file: &str, cfg: &TrainConfig, vocab: &Vocab, dev: &Device) -> Result<Params> {
    let ck = Checkpoint::load(Path::new(file))?;
    let bad = |msg: String| TrainError::invalid("init", format!("{file}: {msg}"));
    if ck.meta.vocab != *vocab {
        return Err(bad("its vocabulary is not this corpus's".into()));
    }
    let c = &ck.meta.config;
    if (c.cell, c.embed, c.hidden, c.layers) != (cfg.cell, cfg.embed, cfg.hidden, cfg.layers) {
        return Err(bad(format!(
            "it is {}, this run {}: the cell, --embed, --hidden and --layers must match",
            c.network_line(""),
            cfg.network_line("")
        )));
    }
    ck.params(dev)
}

/// What the corpus gives a run: its vocabulary and token splits.
pub struct Prepared {
    pub vocab: Vocab,
    pub tokens: Vec<u32>,
}

impl Prepared {
    pub fn new(corpus: &Corpus, cfg: &TrainConfig) -> Result<Prepared> {
        let vocab = corpus.build_vocab(cfg.level)?;
        let tokens = corpus.encode(&vocab)?;
        let r = split_range(tokens.len(), Split::Train);
        if r.len() < 2 {
            return Err(TrainError::Corpus {
                file: corpus.file.clone(),
                msg: format!(
                    "{} tokens leave {} for training (the first 90%); at least 2 are needed",
                    tokens.len(),
                    r.len()
                ),
            });
        }
        Ok(Prepared { vocab, tokens })
    }
    pub fn split(&self, s: Split) -> &[u32] {
        &self.tokens[split_range(self.tokens.len(), s)]
    }
}

/// Trains (or resumes, when `resume` is given) a language model on the
/// first 90% of `corpus`, validates on the next 5% after each epoch,
/// writes checkpoints and finally the exported model `opts.out`.
/// `log` receives one line per epoch and per saved file.
pub fn train(
    corpus: &Corpus,
    opts: &TrainOptions,
    resume: Option<Checkpoint>,
    log: &mut dyn FnMut(&str),
) -> Result<TrainReport> {
    let cfg = opts.config.clone();
    cfg.validate()?;
    let data = Prepared::new(corpus, &cfg)?;
    let dev = Device::Cpu;
    let train_tokens = data.split(Split::Train);
    let valid_tokens = data.split(Split::Valid);
    let streams = Streams::new(train_tokens.len(), cfg.batch, cfg.seq_len).expect("checked above");
    let spe = streams.windows();
    let total = spe * cfg.epochs as u64;
    let ckpt_file = opts.checkpoint.display().to_string();

    let (params, adam, state, mut progress, mut history) = match &resume {
        None => {
            let params = match &cfg.init {
                None => Params::init(&cfg, data.vocab.tokens.len(), &dev)?,
                Some(f) => warm_start(f, &cfg, &data.vocab, &dev)?,
            };
            let adam = Adam::zeros(&params.named())?;
            let state = zero_state(&cfg, streams.b, &dev)?;
            (params, adam, state, Progress::default(), Vec::new())
        }
        Some(ck) => {
            let bad = |msg: String| TrainError::Checkpoint {
                file: ck.file.clone(),
                msg,
            };
            if ck.meta.vocab != data.vocab || ck.meta.corpus_tokens != data.tokens.len() {
                return Err(bad(format!(
                    "it was trained on {} ({} tokens, {} in the vocabulary), not on {} ({} tokens, {})",
                    ck.meta.corpus,
                    ck.meta.corpus_tokens,
                    ck.meta.vocab.tokens.len(),
                    corpus.file,
                    data.tokens.len(),
                    data.vocab.tokens.len()
                )));
            }
            let mut c0 = ck.meta.config.clone();
            c0.epochs = cfg.epochs;
            if c0 != cfg {
                return Err(bad(
                    "its training settings differ from the requested ones (only --epochs may change on resume)".into(),
                ));
            }
            let params = ck.params(&dev)?;
            let named = params.named();
            let mut m = Vec::new();
            let mut v = Vec::new();
            for (n, var) in &named {
                let s = var.as_tensor().dims().to_vec();
                m.push(ck.tensor(&format!("adam.m.{n}"), &s, &dev)?);
                v.push(ck.tensor(&format!("adam.v.{n}"), &s, &dev)?);
            }
            let s = [streams.b, cfg.hidden];
            let state = (0..cfg.layers)
                .map(|l| {
                    Ok(LayerState {
                        h: ck.tensor(&format!("state.l{l}.h"), &s, &dev)?,
                        c: ck.tensor(&format!("state.l{l}.c"), &s, &dev)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            (
                params,
                Adam { m, v },
                state,
                ck.meta.progress.clone(),
                ck.meta.history.clone(),
            )
        }
    };
    progress.total_steps = total;
    let teacher = Teacher::load(&cfg, &data.vocab, streams.b, &dev)?;
    let mut tr = Trainer {
        cfg: cfg.clone(),
        dev: dev.clone(),
        params,
        adam,
        data: train_tokens,
        streams,
        state,
        teacher,
    };
    let meta_of = |progress: &Progress, history: &[EpochLog]| CkptMeta {
        format: CKPT_FORMAT.into(),
        version: CKPT_VERSION,
        config: cfg.clone(),
        vocab: data.vocab.clone(),
        corpus: corpus.file.clone(),
        corpus_tokens: data.tokens.len(),
        progress: progress.clone(),
        history: history.to_vec(),
    };
    log(&format!(
        "training {}, on {}: {} train / {} valid tokens, vocabulary {}; {} streams x {} steps, {} windows per epoch, {} epochs{}",
        cfg.network_line(""),
        corpus.file,
        train_tokens.len(),
        valid_tokens.len(),
        data.vocab.tokens.len(),
        streams.b,
        cfg.seq_len,
        spe,
        cfg.epochs,
        if resume.is_some() {
            format!(", resuming at step {}", progress.step)
        } else {
            String::new()
        }
    ));

    let session_start = Instant::now();
    let mut session_tokens = 0u64;
    let mut session_steps = 0u64;
    let mut stopped = false;
    let mut accounted = 0.0;
    while progress.epoch < cfg.epochs {
        let epoch = progress.epoch;
        let bar = if opts.progress {
            indicatif::ProgressBar::new(spe)
        } else {
            indicatif::ProgressBar::hidden()
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix} [{bar:30}] {pos}/{len} {msg} [{elapsed_precise} < {eta_precise}]",
            )
            .expect("template")
            .progress_chars("=> "),
        );
        bar.set_prefix(format!("epoch {}/{}", epoch + 1, cfg.epochs));
        bar.set_position(progress.step_in_epoch);
        let epoch_start = Instant::now();
        let mut epoch_nats = 0f64;
        let mut epoch_count = 0usize;
        let mut epoch_tokens = 0u64;
        let mut running: Option<f64> = None;
        while progress.step_in_epoch < spe {
            if opts.max_steps.is_some_and(|m| session_steps >= m) {
                stopped = true;
                break;
            }
            let lr = lr_at(&cfg, progress.step, total);
            let (lv, n) = tr.step(progress.step, progress.step_in_epoch, lr)?;
            progress.step += 1;
            progress.step_in_epoch += 1;
            progress.tokens_seen += n as u64;
            session_steps += 1;
            session_tokens += n as u64;
            epoch_tokens += n as u64;
            epoch_nats += lv as f64 * n as f64;
            epoch_count += n;
            let bits = lv as f64 / std::f64::consts::LN_2;
            let r = running.map_or(bits, |r| 0.98 * r + 0.02 * bits);
            running = Some(r);
            let tps = epoch_tokens as f64 / epoch_start.elapsed().as_secs_f64().max(1e-9);
            bar.set_position(progress.step_in_epoch);
            bar.set_message(format!(
                "loss {r:.3} bits/token, {tps:.0} tok/s, lr {lr:.1e}"
            ));
            if opts.checkpoint_every > 0 && progress.step % opts.checkpoint_every == 0 {
                progress.seconds += session_elapsed(&session_start, &mut accounted);
                tr.checkpoint(&meta_of(&progress, &history), &ckpt_file)?
                    .save(&opts.checkpoint)?;
            }
        }
        bar.finish_and_clear();
        if stopped {
            break;
        }
        let secs = epoch_start.elapsed().as_secs_f64();
        let valid = evaluate_batched(&cfg, &tr.params, valid_tokens, cfg.seed ^ 0x76616c)?;
        let rec = EpochLog {
            epoch,
            train_bits: epoch_nats / epoch_count.max(1) as f64 / std::f64::consts::LN_2,
            valid_bits: valid,
            seconds: secs,
            tokens_per_second: epoch_tokens as f64 / secs.max(1e-9),
        };
        log(&format!(
            "epoch {}/{}: train {:.4} bits/token, valid {}, {:.0} s, {:.0} tokens/s",
            epoch + 1,
            cfg.epochs,
            rec.train_bits,
            valid.map_or("n/a (too few tokens)".into(), |v| format!(
                "{v:.4} bits/token"
            )),
            secs,
            rec.tokens_per_second
        ));
        history.push(rec);
        progress.epoch += 1;
        progress.step_in_epoch = 0;
        // Each epoch reads the streams from their start again.
        tr.state = zero_state(&cfg, streams.b, &dev)?;
        if let Some(t) = &mut tr.teacher {
            t.state = zero_state(&t.cfg, streams.b, &dev)?;
        }
    }
    let session_secs = session_start.elapsed().as_secs_f64();
    progress.seconds += session_elapsed(&session_start, &mut accounted);
    let ck = tr.checkpoint(&meta_of(&progress, &history), &ckpt_file)?;
    ck.save(&opts.checkpoint)?;
    log(&format!("wrote checkpoint {}", opts.checkpoint.display()));
    let tps = session_tokens as f64 / session_secs.max(1e-9);
    let flm = FloatLm::from_params(&cfg, &data.vocab, &tr.params)?;
    let meta = serde_json::json!({
        "trained_by": "hitnet train",
        "train": cfg,
        "corpus": corpus.file,
        "corpus_tokens": data.tokens.len(),
        "steps": progress.step,
        "finished": !stopped,
        "history": history,
        "tokens_per_second": tps,
    });
    let model = flm.export(meta)?;
    hitnet_model::io::save(&model, &opts.out)?;
    log(&format!("wrote model {}", opts.out.display()));
    Ok(TrainReport {
        model,
        progress,
        history,
        tokens_per_second: tps,
        finished: !stopped,
    })
}

/// Seconds since `start` not yet accounted in `done` (so periodic
/// checkpoints add each second once).
fn session_elapsed(start: &Instant, done: &mut f64) -> f64 {
    let e = start.elapsed().as_secs_f64();
    let d = e - *done;
    *done = e;
    d
}

/// Times `steps` training steps (after `warmup` untimed ones) on the
/// training split and returns each step's tokens/s. Nothing is written.
pub fn bench(corpus: &Corpus, cfg: &TrainConfig, warmup: u64, steps: u64) -> Result<Vec<f64>> {
    cfg.validate()?;
    let data = Prepared::new(corpus, cfg)?;
    let dev = Device::Cpu;
    let train_tokens = data.split(Split::Train);
    let streams = Streams::new(train_tokens.len(), cfg.batch, cfg.seq_len).expect("checked");
    let params = Params::init(cfg, data.vocab.tokens.len(), &dev)?;
    let adam = Adam::zeros(&params.named())?;
    let state = zero_state(cfg, streams.b, &dev)?;
    let mut tr = Trainer {
        cfg: cfg.clone(),
        dev,
        params,
        adam,
        data: train_tokens,
        streams,
        state,
        teacher: None,
    };
    let mut out = Vec::new();
    for s in 0..warmup + steps {
        let k = s % streams.windows();
        let t0 = Instant::now();
        let (_, n) = tr.step(s, k, cfg.lr)?;
        if s >= warmup {
            out.push(n as f64 / t0.elapsed().as_secs_f64().max(1e-9));
        }
    }
    Ok(out)
}
