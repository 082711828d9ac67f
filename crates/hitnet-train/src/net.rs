//! The language model in candle: embedding -> HitNet RNN -> output layer,
//! with quantization in the loop.
//!
//! Layout: layer l holds `w_x` (I x G*H), `w_h` (H x G*H), `b_ih`, `b_hh`
//! (G*H), so a batch computes `x W_x` for every step at once and `h W_h`
//! per step. Column `g*H + j` is PyTorch's row `g*H + j` (gates i,f,g,o or
//! r,z,n); the export transposes. The equations are those of
//! docs/arithmetic.md in real numbers (`hitnet_model::float`), slope lambda:
//! LSTM  i,f,o = s(l p), g = tanh(l p), c' = f c + i g, h_pre = o tanh(l c')
//! GRU   r,u = s(l p), n = tanh(l (p_nx + r p_nh)), s' = n + u (s - n), h_pre = s'
//! and h = BTQ(h_pre) when activations are quantized (the GRU carries s and
//! feeds h = Q(s) to the matrices, as the accelerator does).
use crate::error::Result;
use crate::quant::{btq_ste, embedding_trits, flat, straight_through, threshold_ste, ttq_layer};
use candle_core::{DType, Device, Tensor, Var, D};
use hitnet_model::error::check_range;
use hitnet_model::model::VocabLevel;
use hitnet_model::rng::Rng;
use hitnet_model::CellKind;
use serde::{Deserialize, Serialize};

/// Which tensors are ternary during training.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuantMode {
    /// Full precision: float weights, float embedding, continuous h.
    Fp,
    /// TTQ weights only (continuous h).
    Ttq,
    /// BTQ activations only (float weights).
    Btq,
    /// TTQ weights and BTQ activations: what the accelerator runs.
    Hybrid,
}

impl QuantMode {
    pub fn name(self) -> &'static str {
        match self {
            QuantMode::Fp => "fp",
            QuantMode::Ttq => "ttq",
            QuantMode::Btq => "btq",
            QuantMode::Hybrid => "hybrid",
        }
    }
    pub fn parse(s: &str) -> Option<QuantMode> {
        Some(match s {
            "fp" => QuantMode::Fp,
            "ttq" => QuantMode::Ttq,
            "btq" => QuantMode::Btq,
            "hybrid" => QuantMode::Hybrid,
            _ => return None,
        })
    }
    pub fn ternary_weights(self) -> bool {
        matches!(self, QuantMode::Ttq | QuantMode::Hybrid)
    }
    pub fn ternary_h(self) -> bool {
        matches!(self, QuantMode::Btq | QuantMode::Hybrid)
    }
    /// The layer-0 input is ternary in every quantized mode: it is what the
    /// accelerator consumes, and only the full-precision baseline is exempt.
    pub fn ternary_embedding(self) -> bool {
        self != QuantMode::Fp
    }
}

/// Everything that defines a training run (stored in checkpoints and in
/// the exported model's `meta`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    pub level: VocabLevel,
    pub cell: CellKind,
    /// Width of the (ternary) embedding = the RNN's input_size.
    pub embed: usize,
    pub hidden: usize,
    pub layers: usize,
    pub quant: QuantMode,
    /// Sloping factor lambda of every sigmoid and tanh.
    pub slope: f64,
    /// TTQ threshold factor (D = t * mean|W|).
    pub weight_threshold: f64,
    /// Ternary activations by a threshold (`|h| > t` gives sign(h), the
    /// accelerator's `activation = "threshold"`) instead of BTQ sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act_threshold: Option<f64>,
    pub epochs: usize,
    /// Parallel streams per batch.
    pub batch: usize,
    /// Truncated BPTT length.
    pub seq_len: usize,
    pub lr: f64,
    /// The cosine schedule ends at lr * min_lr_frac.
    pub min_lr_frac: f64,
    /// Linear warm-up steps.
    pub warmup: u64,
    /// Global gradient-norm clip.
    pub clip: f64,
    pub dropout: f64,
    /// Decoupled weight decay (AdamW).
    pub weight_decay: f64,
    pub seed: u64,
    /// Knowledge distillation from a trained teacher (training only: the
    /// network evaluated and exported is the student, unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distill: Option<Distill>,
    /// Warm start: the weights of this trained checkpoint (same vocabulary
    /// and shapes; e.g. the full-precision run) instead of the random
    /// initialisation. The optimizer and the schedule start afresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<String>,
    /// Learned gate scales: each gate's TTQ scale times a trained factor
    /// exp(g) (Zhu et al.'s trained scale; the hardware has one scale per
    /// gate, so the exported model is still exactly what it computes).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub learn_scale: bool,
}

/// `--distill TEACHER.ckpt`: the loss is (1 - weight) cross-entropy +
/// weight T^2 KL(teacher || student) at temperature T (Hinton et al.).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Distill {
    /// The teacher's training checkpoint (same vocabulary).
    pub teacher: String,
    pub weight: f64,
    pub temperature: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            level: VocabLevel::Char,
            cell: CellKind::Lstm,
            embed: 128,
            hidden: 128,
            layers: 1,
            quant: QuantMode::Hybrid,
            slope: 2.0,
            weight_threshold: 0.7,
            act_threshold: None,
            epochs: 3,
            batch: 32,
            seq_len: 64,
            lr: 5e-3,
            min_lr_frac: 0.05,
            warmup: 100,
            clip: 1.0,
            dropout: 0.1,
            weight_decay: 0.0,
            seed: 1,
            distill: None,
            init: None,
            learn_scale: false,
        }
    }
}

impl TrainConfig {
    pub fn validate(&self) -> Result<()> {
        check_range("hidden", self.hidden, 1, 4096)?;
        check_range("embed", self.embed, 1, 4096)?;
        check_range("layers", self.layers, 1, hitnet_model::config::MAX_LAYERS)?;
        check_range("epochs", self.epochs, 1, 100_000)?;
        check_range("batch", self.batch, 1, 4096)?;
        check_range("seq-len", self.seq_len, 1, 4096)?;
        check_range("slope", self.slope, 1e-3, 64.0)?;
        check_range("weight-threshold", self.weight_threshold, 0.0, 10.0)?;
        if let Some(t) = self.act_threshold {
            check_range("act-threshold", t, 0.0, 1.0)?;
        }
        check_range("lr", self.lr, 1e-9, 10.0)?;
        check_range("min-lr-frac", self.min_lr_frac, 0.0, 1.0)?;
        check_range("clip", self.clip, 0.0, 1e9)?;
        check_range("dropout", self.dropout, 0.0, 0.95)?;
        check_range("weight-decay", self.weight_decay, 0.0, 1.0)?;
        if self.learn_scale && !self.quant.ternary_weights() {
            return Err(crate::error::TrainError::invalid(
                "learn-scale",
                "learned gate scales scale ternary weights: use --quant ttq or hybrid",
            ));
        }
        if let Some(d) = &self.distill {
            check_range("distill-weight", d.weight, 0.0, 1.0)?;
            check_range("distill-temperature", d.temperature, 0.1, 100.0)?;
        }
        Ok(())
    }

    /// The network as the first log line of a training run names it,
    /// `kind` after the cell: "LSTM{kind} 64x256 (2 layers), hybrid
    /// quantization, slope 2".
    pub fn network_line(&self, kind: &str) -> String {
        format!(
            "{}{kind} {}x{} ({} layer{}), {} quantization, slope {}",
            self.cell.name().to_uppercase(),
            self.embed,
            self.hidden,
            self.layers,
            if self.layers == 1 { "" } else { "s" },
            self.quant.name(),
            self.slope
        )
    }

    pub fn layer_input(&self, l: usize) -> usize {
        if l == 0 {
            self.embed
        } else {
            self.hidden
        }
    }
}

/// Column blocks of a layer's gate matrix (LSTM i f g o; GRU r z n_x n_h,
/// the gates of `hitnet_model::model::gate_specs` in order), each with one
/// TTQ scale.
pub const GATE_BLOCKS: usize = 4;

/// Trainable parameters.
pub struct Params {
    pub emb: Var,
    pub layers: Vec<LayerParams>,
    pub out_w: Var,
    pub out_b: Var,
}

pub struct LayerParams {
    pub w_x: Var,
    pub w_h: Var,
    pub b_ih: Var,
    pub b_hh: Var,
    /// `--learn-scale`: the log of each gate's scale factor, in the order
    /// of the gate matrix's column blocks (LSTM i f g o, GRU r z n_x n_h).
    pub gain: Option<Var>,
}

impl Params {
    /// PyTorch-style initialisation: U(-1/sqrt(H), 1/sqrt(H)) for the RNN
    /// and the output layer, N(0, 1) for the embedding (so its TTQ trits are
    /// spread), LSTM forget-gate bias +1.
    pub fn init(cfg: &TrainConfig, vocab: usize, dev: &Device) -> Result<Params> {
        let mut rng = Rng::new(cfg.seed ^ 0x696e_6974); // "init"
        let layers = LayerParams::init(cfg, &mut rng, dev)?;
        let (out_w, out_b) = dense_init(vocab, cfg.hidden, &mut rng, dev)?;
        let mut rng = Rng::new(cfg.seed ^ 0x0065_6d62); // "emb"
        let emb: Vec<f32> = (0..vocab * cfg.embed)
            .map(|_| rng.normal() as f32)
            .collect();
        let emb = Var::from_vec(emb, (vocab, cfg.embed), dev)?;
        Ok(Params {
            emb,
            layers,
            out_w,
            out_b,
        })
    }

    /// Every parameter with its checkpoint name, in a fixed order.
    pub fn named(&self) -> Vec<(String, &Var)> {
        let mut v = vec![("emb".to_string(), &self.emb)];
        v.extend(LayerParams::named(&self.layers));
        v.push(("out.w".into(), &self.out_w));
        v.push(("out.b".into(), &self.out_b));
        v
    }

    /// The expected shape of each named parameter.
    pub fn shapes(cfg: &TrainConfig, vocab: usize) -> Vec<(String, Vec<usize>)> {
        let gh = cfg.cell.gates() * cfg.hidden;
        let mut v = vec![("emb".to_string(), vec![vocab, cfg.embed])];
        for l in 0..cfg.layers {
            v.push((format!("l{l}.w_x"), vec![cfg.layer_input(l), gh]));
            v.push((format!("l{l}.w_h"), vec![cfg.hidden, gh]));
            v.push((format!("l{l}.b_ih"), vec![gh]));
            v.push((format!("l{l}.b_hh"), vec![gh]));
            if cfg.learn_scale {
                v.push((format!("l{l}.gain"), vec![GATE_BLOCKS]));
            }
        }
        v.push(("out.w".into(), vec![vocab, cfg.hidden]));
        v.push(("out.b".into(), vec![vocab]));
        v
    }

    /// Builds parameters from named tensors (a checkpoint), checking shapes.
    pub fn from_named(
        cfg: &TrainConfig,
        vocab: usize,
        get: &mut dyn FnMut(&str, &[usize]) -> Result<Tensor>,
    ) -> Result<Params> {
        let mut var = |name: &str, shape: Vec<usize>| -> Result<Var> {
            Ok(Var::from_tensor(&get(name, &shape)?)?)
        };
        let shapes = Params::shapes(cfg, vocab);
        let mut it = shapes.into_iter();
        let mut next = || -> Result<Var> {
            let (n, s) = it.next().expect("shape list");
            var(&n, s)
        };
        let emb = next()?;
        let mut layers = Vec::new();
        for _ in 0..cfg.layers {
            layers.push(LayerParams {
                w_x: next()?,
                w_h: next()?,
                b_ih: next()?,
                b_hh: next()?,
                gain: if cfg.learn_scale { Some(next()?) } else { None },
            });
        }
        let out_w = next()?;
        let out_b = next()?;
        Ok(Params {
            emb,
            layers,
            out_w,
            out_b,
        })
    }
}

impl LayerParams {
    /// The RNN layers of `cfg`, U(-1/sqrt(H), 1/sqrt(H)), LSTM forget-gate
    /// bias +1.
    pub fn init(cfg: &TrainConfig, rng: &mut Rng, dev: &Device) -> Result<Vec<LayerParams>> {
        let h = cfg.hidden;
        let gh = cfg.cell.gates() * h;
        let k = 1.0 / (h as f64).sqrt();
        let mut layers = Vec::new();
        for l in 0..cfg.layers {
            let i = cfg.layer_input(l);
            let w_x = Var::from_vec(uniform(rng, i * gh, k), (i, gh), dev)?;
            let w_h = Var::from_vec(uniform(rng, h * gh, k), (h, gh), dev)?;
            let mut b_ih = uniform(rng, gh, k);
            if cfg.cell == CellKind::Lstm {
                for b in &mut b_ih[h..2 * h] {
                    *b += 1.0;
                }
            }
            let b_ih = Var::from_vec(b_ih, gh, dev)?;
            let b_hh = Var::from_vec(uniform(rng, gh, k), gh, dev)?;
            let gain = if cfg.learn_scale {
                Some(Var::from_vec(vec![0f32; GATE_BLOCKS], GATE_BLOCKS, dev)?)
            } else {
                None
            };
            layers.push(LayerParams {
                w_x,
                w_h,
                b_ih,
                b_hh,
                gain,
            });
        }
        Ok(layers)
    }
}

impl LayerParams {
    /// The layers' parameters with their checkpoint names (`l{l}.w_x`, ...).
    pub fn named(layers: &[LayerParams]) -> Vec<(String, &Var)> {
        let mut v = Vec::new();
        for (l, p) in layers.iter().enumerate() {
            v.push((format!("l{l}.w_x"), &p.w_x));
            v.push((format!("l{l}.w_h"), &p.w_h));
            v.push((format!("l{l}.b_ih"), &p.b_ih));
            v.push((format!("l{l}.b_hh"), &p.b_hh));
            if let Some(g) = &p.gain {
                v.push((format!("l{l}.gain"), g));
            }
        }
        v
    }
}

/// `n` draws of U(-s, s).
fn uniform(rng: &mut Rng, n: usize, s: f64) -> Vec<f32> {
    (0..n)
        .map(|_| ((rng.uniform() * 2.0 - 1.0) * s) as f32)
        .collect()
}

/// A dense layer from `cols` inputs to `rows` outputs: weight (rows x
/// cols) and bias, U(-1/sqrt(cols), 1/sqrt(cols)).
pub fn dense_init(rows: usize, cols: usize, rng: &mut Rng, dev: &Device) -> Result<(Var, Var)> {
    let k = 1.0 / (cols as f64).sqrt();
    let w = Var::from_vec(uniform(rng, rows * cols, k), (rows, cols), dev)?;
    let b = Var::from_vec(uniform(rng, rows, k), rows, dev)?;
    Ok((w, b))
}

/// Recurrent state of one layer for a batch of streams (kept detached
/// between truncated-BPTT windows).
#[derive(Clone)]
pub struct LayerState {
    /// The h fed back (ternary in BTQ modes).
    pub h: Tensor,
    /// LSTM cell state or GRU continuous state s.
    pub c: Tensor,
}

pub fn zero_state(cfg: &TrainConfig, batch: usize, dev: &Device) -> Result<Vec<LayerState>> {
    (0..cfg.layers)
        .map(|_| {
            let z = Tensor::zeros((batch, cfg.hidden), DType::F32, dev)?;
            Ok(LayerState { h: z.clone(), c: z })
        })
        .collect()
}

/// One forward pass over a window of `t` steps for `b` streams.
/// `ids` is time-major (index `step * b + stream`), u32. Returns logits
/// (t*b x V), time-major. `train` enables dropout and gradient tracking;
/// `rng` draws BTQ samples and dropout masks.
///
/// Each step is one matmul `[x_t ; h] W` with W = [W_x ; W_h] (for the GRU
/// with the n gate split into an x-only and an h-only block), and each
/// step's input is its own tensor: slicing one big tensor per step would
/// make every step's backward pass pad its gradient to the full window.
pub fn forward(
    cfg: &TrainConfig,
    p: &Params,
    ids: &Tensor,
    b: usize,
    state: &mut [LayerState],
    train: bool,
    rng: &mut Rng,
) -> Result<Tensor> {
    let n = ids.dims1()?;
    let t_len = n / b;
    let param = |v: &Var| param(v, train);
    let emb = param(&p.emb);
    let emb = if cfg.quant.ternary_embedding() {
        let trits = embedding_trits(&flat(&emb)?, cfg.weight_threshold);
        straight_through(&emb, trits.iter().map(|&t| t as f32).collect())?
    } else {
        emb
    };
    let xs: Vec<Tensor> = (0..t_len)
        .map(|t| emb.index_select(&ids.narrow(0, t * b, b)?, 0))
        .collect::<candle_core::Result<_>>()?;
    let xs = rnn_forward(cfg, &p.layers, xs, state, train, rng)?;
    let x = Tensor::cat(&xs, 0)?; // (t*b, H), time-major
    let logits = x.matmul(&param(&p.out_w).t()?)?;
    Ok(logits.broadcast_add(&param(&p.out_b))?)
}

/// The RNN layers over the per-step inputs `xs` (each b x I): returns the
/// last layer's h of every step (b x H each). `state` carries across calls.
pub fn rnn_forward(
    cfg: &TrainConfig,
    layers: &[LayerParams],
    mut xs: Vec<Tensor>,
    state: &mut [LayerState],
    train: bool,
    rng: &mut Rng,
) -> Result<Vec<Tensor>> {
    let Some(x0) = xs.first() else {
        return Ok(xs);
    };
    let dev = x0.device().clone();
    let param = |v: &Var| param(v, train);
    let h = cfg.hidden;
    let lam = cfg.slope;
    for (l, lp) in layers.iter().enumerate() {
        let i = cfg.layer_input(l);
        let (w_x, w_h) = (param(&lp.w_x), param(&lp.w_h));
        let (w_x, w_h) = if cfg.quant.ternary_weights() {
            let q = ttq_layer(
                cfg.cell,
                i,
                h,
                &flat(&w_x)?,
                &flat(&w_h)?,
                cfg.weight_threshold,
            );
            (
                straight_through(&w_x, q.w_x)?,
                straight_through(&w_h, q.w_h)?,
            )
        } else {
            (w_x, w_h)
        };
        let (b_ih, b_hh) = (param(&lp.b_ih), param(&lp.b_hh));
        let (w, bias) = match cfg.cell {
            CellKind::Lstm => (Tensor::cat(&[&w_x, &w_h], 0)?, (b_ih + b_hh)?),
            CellKind::Gru => {
                // Columns [r z | n_x | n_h]: n_x sees only x, n_h only h.
                let zx = Tensor::zeros((i, h), DType::F32, &dev)?;
                let zh = Tensor::zeros((h, h), DType::F32, &dev)?;
                let top = Tensor::cat(&[&w_x, &zx], 1)?;
                let bot = Tensor::cat(
                    &[&w_h.narrow(1, 0, 2 * h)?, &zh, &w_h.narrow(1, 2 * h, h)?],
                    1,
                )?;
                let rz = (b_ih.narrow(0, 0, 2 * h)? + b_hh.narrow(0, 0, 2 * h)?)?;
                let bias = Tensor::cat(
                    &[&rz, &b_ih.narrow(0, 2 * h, h)?, &b_hh.narrow(0, 2 * h, h)?],
                    0,
                )?;
                (Tensor::cat(&[&top, &bot], 0)?, bias)
            }
        };
        // Learned gate scales: column block k (gate k) times exp(gain_k).
        let w = match &lp.gain {
            Some(g) => {
                let cols = param(g)
                    .exp()?
                    .unsqueeze(1)?
                    .broadcast_as((GATE_BLOCKS, h))?
                    .reshape(GATE_BLOCKS * h)?;
                w.broadcast_mul(&cols)?
            }
            None => w,
        };
        let st = &mut state[l];
        let mut hs = Vec::with_capacity(xs.len());
        for x_t in &xs {
            let z = Tensor::cat(&[x_t, &st.h], 1)?;
            let pre = z.matmul(&w)?.broadcast_add(&bias)?;
            let (c_new, h_pre) = match cfg.cell {
                CellKind::Lstm => {
                    let pre = (pre * lam)?;
                    let sig = candle_nn::ops::sigmoid(&pre)?;
                    let ig = sig.narrow(1, 0, h)?;
                    let fg = sig.narrow(1, h, h)?;
                    let og = sig.narrow(1, 3 * h, h)?;
                    let gg = pre.narrow(1, 2 * h, h)?.tanh()?;
                    let c = ((fg * &st.c)? + (ig * gg)?)?;
                    let hp = (og * (&c * lam)?.tanh()?)?;
                    (c, hp)
                }
                CellKind::Gru => {
                    let rz = candle_nn::ops::sigmoid(&(pre.narrow(1, 0, 2 * h)? * lam)?)?;
                    let r = rz.narrow(1, 0, h)?;
                    let u = rz.narrow(1, h, h)?;
                    let npre = (pre.narrow(1, 2 * h, h)? + (r * pre.narrow(1, 3 * h, h)?)?)?;
                    let nn = (npre * lam)?.tanh()?;
                    let s = (&nn + (u * (&st.c - &nn)?)?)?;
                    (s.clone(), s)
                }
            };
            let h_new = if cfg.quant.ternary_h() {
                match cfg.act_threshold {
                    Some(t) => threshold_ste(&h_pre, t)?,
                    None => btq_ste(&h_pre, rng)?,
                }
            } else {
                h_pre
            };
            st.c = c_new;
            st.h = h_new.clone();
            hs.push(h_new);
        }
        if train && cfg.dropout > 0.0 {
            hs = hs
                .iter()
                .map(|x| dropout(x, cfg.dropout, rng, &dev))
                .collect::<Result<_>>()?;
        }
        xs = hs;
    }
    Ok(xs)
}

/// A parameter as the forward pass uses it: tracked for gradients when
/// training, detached otherwise.
pub fn param(v: &Var, train: bool) -> Tensor {
    if train {
        v.as_tensor().clone()
    } else {
        v.as_detached_tensor()
    }
}

/// Inverted dropout with our own seeded generator (reproducible runs).
fn dropout(x: &Tensor, p: f64, rng: &mut Rng, dev: &Device) -> Result<Tensor> {
    let n = x.elem_count();
    let keep = (1.0 / (1.0 - p)) as f32;
    let mask: Vec<f32> = (0..n)
        .map(|_| if rng.uniform() < p { 0.0 } else { keep })
        .collect();
    let mask = Tensor::from_vec(mask, x.shape(), dev)?;
    Ok((x * mask)?)
}

/// Mean cross-entropy (nats per token) of time-major logits against targets.
pub fn loss(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    Ok(candle_nn::loss::cross_entropy(logits, targets)?)
}

/// Sum of cross-entropy in nats (for evaluation over uneven windows).
pub fn loss_sum(logits: &Tensor, targets: &Tensor) -> Result<f64> {
    let lsm = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    let picked = lsm.gather(&targets.unsqueeze(1)?, 1)?;
    Ok(-(picked.sum_all()?.to_scalar::<f32>()? as f64))
}
