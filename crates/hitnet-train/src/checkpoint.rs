//! Training checkpoints: one safetensors file holding the float parameters,
//! the optimizer moments and the recurrent state of the batch streams, with
//! the run's description (config, vocabulary, progress) as JSON in the
//! header's metadata. Enough to resume a run exactly where it stopped, and
//! to evaluate the full-precision network behind an exported model.
use crate::error::{Result, TrainError};
use crate::export::FloatLm;
use crate::net::{Params, TrainConfig};
use candle_core::{Device, Tensor};
use hitnet_model::model::Vocab;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

pub const CKPT_FORMAT: &str = "hitnet-train-checkpoint";
pub const CKPT_VERSION: u32 = 1;
const META_KEY: &str = "hitnet_train";

/// Where a run stands.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Optimizer steps done.
    pub step: u64,
    pub total_steps: u64,
    /// Epoch in progress (0-based) and steps done in it.
    pub epoch: usize,
    pub step_in_epoch: u64,
    pub tokens_seen: u64,
    /// Wall-clock seconds spent training so far (over all sessions).
    pub seconds: f64,
}

/// One finished epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochLog {
    pub epoch: usize,
    /// Mean training loss over the epoch, bits per token.
    pub train_bits: f64,
    /// Validation bits per token (as trained: same quantizers, no dropout);
    /// `None` when the validation split is too short.
    pub valid_bits: Option<f64>,
    pub seconds: f64,
    pub tokens_per_second: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CkptMeta {
    pub format: String,
    pub version: u32,
    pub config: TrainConfig,
    pub vocab: Vocab,
    /// The training corpus (file name and token count) so a resume on
    /// another corpus is refused.
    pub corpus: String,
    pub corpus_tokens: usize,
    pub progress: Progress,
    pub history: Vec<EpochLog>,
}

/// A checkpoint in memory: metadata plus f32 tensors by name.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    pub meta: CkptMeta,
    pub tensors: BTreeMap<String, (Vec<usize>, Vec<f32>)>,
    /// Names the file in messages.
    pub file: String,
}

impl Checkpoint {
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = self
            .tensors
            .iter()
            .map(|(n, (s, v))| {
                (
                    n.clone(),
                    s.clone(),
                    v.iter().flat_map(|x| x.to_le_bytes()).collect(),
                )
            })
            .collect();
        let views = bytes
            .iter()
            .map(|(n, s, b)| Ok((n.as_str(), TensorView::new(Dtype::F32, s.clone(), b)?)))
            .collect::<std::result::Result<Vec<_>, safetensors::SafeTensorError>>()
            .map_err(|e| self.corrupt(e.to_string()))?;
        let meta = serde_json::to_string(&self.meta).expect("metadata serializes");
        let info = Some(HashMap::from([(META_KEY.to_string(), meta)]));
        safetensors::serialize(views, &info).map_err(|e| self.corrupt(e.to_string()))
    }

    fn corrupt(&self, msg: String) -> TrainError {
        TrainError::Checkpoint {
            file: self.file.clone(),
            msg,
        }
    }

    /// Writes atomically so an interrupted save keeps the previous checkpoint.
    pub fn save(&self, path: &Path) -> Result<()> {
        hitnet_model::io::write_atomic(path, &self.to_bytes()?)?;
        Ok(())
    }

    pub fn load(path: &Path) -> Result<Checkpoint> {
        use hitnet_model::error::{read_limited, MAX_CHECKPOINT_BYTES};
        let bytes = read_limited(path, MAX_CHECKPOINT_BYTES, "checkpoint")?;
        Checkpoint::from_bytes(&bytes, &path.display().to_string())
    }

    pub fn from_bytes(bytes: &[u8], file: &str) -> Result<Checkpoint> {
        let err = |msg: String| TrainError::Checkpoint {
            file: file.to_string(),
            msg,
        };
        let st = SafeTensors::deserialize(bytes).map_err(|e| err(format!("{e:?}")))?;
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| err(format!("{e:?}")))?;
        let meta_json = header
            .metadata()
            .as_ref()
            .and_then(|m| m.get(META_KEY))
            .ok_or_else(|| {
                err(format!(
                    "no `{META_KEY}` metadata (not written by hitnet train)"
                ))
            })?;
        let meta: CkptMeta =
            serde_json::from_str(meta_json).map_err(|e| err(format!("metadata: {e}")))?;
        if meta.format != CKPT_FORMAT || meta.version != CKPT_VERSION {
            return Err(err(format!(
                "format {:?} version {}, expected {CKPT_FORMAT:?} version {CKPT_VERSION}",
                meta.format, meta.version
            )));
        }
        meta.config.validate().map_err(|e| err(e.to_string()))?;
        let mut tensors = BTreeMap::new();
        for name in st.names() {
            let t = st.tensor(name).map_err(|e| err(format!("{name}: {e:?}")))?;
            if t.dtype() != Dtype::F32 {
                return Err(err(format!("{name}: dtype {:?}, expected F32", t.dtype())));
            }
            let v: Vec<f32> = t
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            if let Some(k) = v.iter().position(|x| !x.is_finite()) {
                return Err(err(format!("{name}[{k}] is not a finite number")));
            }
            tensors.insert(name.clone(), (t.shape().to_vec(), v));
        }
        let ck = Checkpoint {
            meta,
            tensors,
            file: file.to_string(),
        };
        // Every parameter must be present with its shape.
        let v = ck.meta.vocab.tokens.len();
        for (name, shape) in Params::shapes(&ck.meta.config, v) {
            ck.get(&name, &shape)?;
        }
        Ok(ck)
    }

    /// The values of tensor `name`, which must have `shape`.
    pub fn get(&self, name: &str, shape: &[usize]) -> Result<&[f32]> {
        match self.tensors.get(name) {
            None => Err(self.corrupt(format!("tensor `{name}` is missing"))),
            Some((s, _)) if s != shape => Err(self.corrupt(format!(
                "tensor `{name}` has shape {s:?}, expected {shape:?}"
            ))),
            Some((_, v)) => Ok(v),
        }
    }

    pub fn tensor(&self, name: &str, shape: &[usize], dev: &Device) -> Result<Tensor> {
        let v = self.get(name, shape)?;
        Ok(Tensor::from_slice(v, shape, dev)?)
    }

    pub fn params(&self, dev: &Device) -> Result<Params> {
        let v = self.meta.vocab.tokens.len();
        Params::from_named(&self.meta.config, v, &mut |n, s| self.tensor(n, s, dev))
    }

    /// The trained float network.
    pub fn float_lm(&self) -> Result<FloatLm> {
        let p = self.params(&Device::Cpu)?;
        FloatLm::from_params(&self.meta.config, &self.meta.vocab, &p)
    }
}

/// Adds a tensor to a checkpoint's map.
pub fn put(
    map: &mut BTreeMap<String, (Vec<usize>, Vec<f32>)>,
    name: String,
    t: &Tensor,
) -> Result<()> {
    let v = crate::quant::flat(t)?;
    map.insert(name, (t.dims().to_vec(), v));
    Ok(())
}
