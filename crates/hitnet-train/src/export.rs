//! From trained float parameters to a hitnet model file.
//!
//! `FloatLm` is the trained network in plain vectors (PyTorch layout for
//! the RNN, so `FloatModel::quantize` applies the contract's TTQ); `export`
//! turns it into the `QuantModel` the rest of the toolchain runs.
use crate::error::Result;
use crate::net::{LayerParams, Params, TrainConfig};
use crate::quant::{embedding_trits, flat, pytorch_layout};
use hitnet_model::model::{Embedding, FloatLayer, FloatModel, OutputLayer, TernaryMatrix, Vocab};
use hitnet_model::{ActMode, QuantModel, QuantParams};

/// A trained language model with float weights.
#[derive(Clone, Debug)]
pub struct FloatLm {
    pub config: TrainConfig,
    pub vocab: Vocab,
    /// The RNN in PyTorch layout (f64).
    pub rnn: FloatModel,
    /// Latent float embedding, V x I row-major.
    pub embedding: Vec<f32>,
    /// Output layer (V x H) and bias.
    pub out_w: Vec<f32>,
    pub out_b: Vec<f32>,
    /// `--learn-scale`: per layer, each gate's trained scale factor (empty
    /// without).
    pub gate_factors: Vec<Vec<f64>>,
}

impl FloatLm {
    pub fn from_params(cfg: &TrainConfig, vocab: &Vocab, p: &Params) -> Result<FloatLm> {
        Ok(FloatLm {
            config: cfg.clone(),
            vocab: vocab.clone(),
            rnn: float_rnn(cfg, &p.layers)?,
            embedding: flat(p.emb.as_tensor())?,
            out_w: flat(p.out_w.as_tensor())?,
            out_b: flat(p.out_b.as_tensor())?,
            gate_factors: p
                .layers
                .iter()
                .filter_map(|l| l.gain.as_ref())
                .map(|g| {
                    Ok(flat(g.as_tensor())?
                        .iter()
                        .map(|&x| (x as f64).exp())
                        .collect())
                })
                .collect::<Result<_>>()?,
        })
    }

    /// The quantization parameters the exported model records: the
    /// training slope and TTQ threshold, BTQ activations, every other
    /// fixed-point setting at its default.
    pub fn quant_params(&self) -> QuantParams {
        quant_params(&self.config)
    }

    /// The embedding as the network sees it at layer 0: trits (as -1/0/+1)
    /// in the quantized modes, the float table in full precision.
    pub fn input_table(&self) -> Vec<f32> {
        if self.config.quant.ternary_embedding() {
            self.embedding_trits().iter().map(|&t| t as f32).collect()
        } else {
            self.embedding.clone()
        }
    }

    pub fn embedding_trits(&self) -> Vec<i8> {
        embedding_trits(&self.embedding, self.config.weight_threshold)
    }

    /// The hitnet model: TTQ gate matrices (one scale per gate, LSTM gates
    /// over [W_ih | W_hh] jointly), the ternary embedding, the float output
    /// layer, the vocabulary and `meta`.
    pub fn export(&self, meta: serde_json::Value) -> Result<QuantModel> {
        let mut m = self.rnn.quantize(&self.quant_params())?;
        // TTQ of the latent weights as in training, each scale times its
        // learned factor.
        for (layer, f) in m.layers.iter_mut().zip(&self.gate_factors) {
            for (g, f) in layer.gates.iter_mut().zip(f) {
                g.scale *= f;
            }
        }
        let v = self.vocab.tokens.len();
        m.embedding = Some(Embedding {
            table: TernaryMatrix::from_trits(v, self.config.embed, &self.embedding_trits()),
        });
        m.output = Some(OutputLayer {
            rows: v,
            cols: self.config.hidden,
            weight: self.out_w.clone(),
            bias: self.out_b.clone(),
        });
        m.vocab = Some(self.vocab.clone());
        m.meta = meta;
        m.validate()?;
        Ok(m)
    }
}

/// The quantization parameters a model trained with `cfg` records: its
/// slope and TTQ threshold, BTQ activations, every other fixed-point
/// setting at its default.
pub fn quant_params(cfg: &TrainConfig) -> QuantParams {
    let d = QuantParams::default();
    QuantParams {
        slope: cfg.slope,
        activation: if cfg.act_threshold.is_some() {
            ActMode::Threshold
        } else {
            ActMode::Bernoulli
        },
        act_threshold: cfg.act_threshold.unwrap_or(d.act_threshold),
        weight_threshold: cfg.weight_threshold,
        ..d
    }
}

/// The trained RNN layers in PyTorch layout (f64), ready for
/// `FloatModel::quantize`.
pub fn float_rnn(cfg: &TrainConfig, layers: &[LayerParams]) -> Result<FloatModel> {
    let h = cfg.hidden;
    let gh = cfg.cell.gates() * h;
    let to64 = |v: Vec<f32>| v.into_iter().map(|x| x as f64).collect();
    let mut out = Vec::new();
    for (l, lp) in layers.iter().enumerate() {
        let i = cfg.layer_input(l);
        // Training layout (I x G*H) -> PyTorch ((G*H) x I).
        out.push(FloatLayer {
            input_size: i,
            hidden_size: h,
            w_ih: pytorch_layout(&flat(lp.w_x.as_tensor())?, i, gh),
            w_hh: pytorch_layout(&flat(lp.w_h.as_tensor())?, h, gh),
            b_ih: to64(flat(lp.b_ih.as_tensor())?),
            b_hh: to64(flat(lp.b_hh.as_tensor())?),
        });
    }
    Ok(FloatModel {
        cell: cfg.cell,
        input_size: cfg.embed,
        hidden_size: h,
        layers: out,
    })
}
