//! # hitnet-model
//!
//! The software side of hitnet-hw and the ground truth of everything else:
//! config, TTQ/BTQ quantizers, the activation table generator, the
//! integer-exact golden model, the float reference, model files and import.
//! The arithmetic contract is docs/arithmetic.md.
/// `fn $select() -> fn(args)`: `$body` compiled twice, with and without
/// POPCNT, and the fast one chosen at run time (baseline x86-64 has no
/// POPCNT instruction; `count_ones` is a loop without it). `$body` must be
/// `#[inline(always)]` so the target feature reaches it. Used by the golden
/// model's matrix-vector product and the simulator's array.
#[macro_export]
macro_rules! popcnt_dispatch {
    ($select:ident, $body:ident, fn($($arg:ident: $ty:ty),*)) => {
        fn $select() -> fn($($ty),*) {
            fn portable($($arg: $ty),*) {
                $body($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "popcnt")]
            unsafe fn with_popcnt($($arg: $ty),*) {
                $body($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            fn fast($($arg: $ty),*) {
                // SAFETY: chosen only when the CPU has POPCNT (below).
                unsafe { with_popcnt($($arg),*) }
            }
            #[cfg(target_arch = "x86_64")]
            {
                if std::is_x86_feature_detected!("popcnt") {
                    return fast;
                }
            }
            portable
        }
    };
}

pub mod classify;
pub mod config;
pub mod defaults;
pub mod error;
pub mod fixed;
pub mod float;
pub mod golden;
pub mod import;
pub mod io;
pub mod lfsr;
pub mod lm;
pub mod model;
pub mod rng;
pub mod tables;
pub mod trit;
pub mod widths;

pub use config::{ActMode, CellKind, Config, QuantParams};
pub use error::{ModelError, Result};
pub use golden::{Golden, IntModel, LayerOut};
pub use model::{QuantModel, TernaryMatrix};

use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// Where a model came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelSource {
    /// Seeded default weights.
    Default { seed: u64 },
    /// A hitnet model file.
    File(PathBuf),
    /// A PyTorch safetensors state_dict, quantized on load.
    Safetensors(PathBuf),
}

impl std::fmt::Display for ModelSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelSource::Default { seed } => write!(f, "built-in default (seed {seed})"),
            ModelSource::File(p) => write!(f, "{}", p.display()),
            ModelSource::Safetensors(p) => {
                write!(f, "{} (safetensors, quantized on load)", p.display())
            }
        }
    }
}

/// A config's model, quantized and lowered to integers.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub config: Config,
    pub source: ModelSource,
    pub params: QuantParams,
    pub model: QuantModel,
    pub int: IntModel,
    /// Tensors of an imported safetensors file that are not the recurrent
    /// network's ("name [shape]"; see [`import::Imported::ignored`]).
    pub ignored_tensors: Vec<String>,
    /// Where an imported file's tensors went ("name [shape] -> role").
    pub imported_tensors: Vec<String>,
    /// The ignored tensors hold a language model's embedding and output
    /// layer, which `[model] vocab` would import as the model's ends.
    pub ends_importable: bool,
}

/// Loads (or generates) the model a config describes and checks that the
/// model file agrees with the config's sizes.
pub fn load(cfg: &Config) -> Result<Loaded> {
    cfg.validate()?;
    let m = &cfg.model;
    let mut ignored_tensors = Vec::new();
    let mut imported_tensors = Vec::new();
    let mut ends_importable = false;
    let (model, params, source) = match cfg.weights_path() {
        None => {
            let params = cfg.quant_params(None)?;
            let fm = defaults::default_float_model(
                m.cell,
                m.input_size,
                m.hidden_size,
                m.layers,
                m.seed,
            );
            (
                fm.quantize(&params)?,
                params,
                ModelSource::Default { seed: m.seed },
            )
        }
        Some(path) => {
            let bytes = error::read_limited(&path, error::MAX_MODEL_BYTES, "model file")?;
            if import::is_safetensors(&bytes) {
                let params = cfg.quant_params(None)?;
                let imp = import::import_bytes_all(
                    &bytes,
                    &path.display().to_string(),
                    import::Expect {
                        cell: m.cell,
                        input_size: m.input_size,
                        hidden_size: m.hidden_size,
                        layers: m.layers,
                    },
                )?;
                ignored_tensors = imp.ignored;
                let mut qm = imp.model.quantize(&params)?;
                let file = path.display().to_string();
                for l in 0..m.layers {
                    imported_tensors.push(format!(
                        "weight_ih_l{l}, weight_hh_l{l}, bias_ih_l{l}, bias_hh_l{l} -> layers[{l}]: TTQ-ternarized gates (weight_threshold {}), biases",
                        params.weight_threshold
                    ));
                }
                match (cfg.vocab_path(), imp.lm) {
                    (Some(vp), Some(lm)) => {
                        let tokens = import::read_vocab(&vp, lm.vocab, &lm.embedding_tensor)?;
                        let (trits, _) = model::ttq(&lm.embedding, params.weight_threshold);
                        qm.embedding = Some(model::Embedding {
                            table: TernaryMatrix::from_trits(lm.vocab, m.input_size, &trits),
                        });
                        qm.output = Some(model::OutputLayer {
                            rows: lm.vocab,
                            cols: m.hidden_size,
                            weight: lm.out_w,
                            bias: lm.out_b,
                        });
                        let level = if tokens.iter().all(|t| t.chars().count() == 1) {
                            model::VocabLevel::Char
                        } else {
                            model::VocabLevel::Word
                        };
                        qm.vocab = Some(model::Vocab { level, tokens });
                        qm.validate().map_err(|e| ModelError::ModelFile {
                            file: file.clone(),
                            msg: e.to_string(),
                        })?;
                        let mut used = vec![lm.embedding_tensor.clone(), lm.output_tensor.clone()];
                        imported_tensors.push(format!(
                            "{} -> embedding: TTQ-ternarized over the table (weight_threshold {}), row t = x_0 of token t",
                            lm.embedding_tensor, params.weight_threshold
                        ));
                        imported_tensors.push(format!(
                            "{} -> output layer weight (f32; the ends quantize it to int8 per row)",
                            lm.output_tensor
                        ));
                        match lm.output_bias_tensor {
                            Some(b) => {
                                imported_tensors.push(format!("{b} -> output layer bias"));
                                used.push(b);
                            }
                            None => imported_tensors
                                .push("(no decoder bias saved) -> output layer bias 0".into()),
                        }
                        imported_tensors.push(format!(
                            "{} -> vocabulary ({} tokens)",
                            vp.display(),
                            lm.vocab
                        ));
                        ignored_tensors.retain(|n| !used.contains(n));
                    }
                    (Some(vp), None) => {
                        return Err(ModelError::ModelFile {
                            file,
                            msg: format!(
                                "[model] vocab = {:?} is set, but the file holds no language model's embedding ([V, {}] weight named like encoder or embedding) and output layer ([V, {}] weight named like decoder or fc): remove model.vocab, or save the whole model",
                                vp.display(),
                                m.input_size,
                                m.hidden_size
                            ),
                        })
                    }
                    (None, lm) => ends_importable = lm.is_some(),
                }
                (qm, params, ModelSource::Safetensors(path))
            } else {
                let file = path.display().to_string();
                let text = String::from_utf8(bytes).map_err(|_| ModelError::ModelFile {
                    file: file.clone(),
                    msg: "neither a hitnet model (JSON) nor a safetensors file".into(),
                })?;
                let qm = io::from_json(&text, &file)?;
                let mismatch = |key: &str, cfgv: String, filev: String| {
                    Err(ModelError::ModelFile {
                        file: file.clone(),
                        msg: format!("the file has {key} = {filev} but the config says model.{key} = {cfgv}; make them equal"),
                    })
                };
                if qm.cell != m.cell {
                    return mismatch("cell", m.cell.name().into(), qm.cell.name().into());
                }
                if qm.input_size != m.input_size {
                    return mismatch(
                        "input_size",
                        m.input_size.to_string(),
                        qm.input_size.to_string(),
                    );
                }
                if qm.hidden_size != m.hidden_size {
                    return mismatch(
                        "hidden_size",
                        m.hidden_size.to_string(),
                        qm.hidden_size.to_string(),
                    );
                }
                if qm.layers.len() != m.layers {
                    return mismatch("layers", m.layers.to_string(), qm.layers.len().to_string());
                }
                let params = cfg.quant_params(Some(&qm.quant))?;
                (qm, params, ModelSource::File(path))
            }
        }
    };
    // A model file's numbers are the file's fault: name it.
    let int = IntModel::new(&model, &params).map_err(|e| match (&source, e) {
        (ModelSource::File(p) | ModelSource::Safetensors(p), e @ ModelError::Invalid { .. }) => {
            ModelError::ModelFile {
                file: p.display().to_string(),
                msg: e.to_string(),
            }
        }
        (_, e) => e,
    })?;
    Ok(Loaded {
        config: cfg.clone(),
        source,
        params,
        model,
        int,
        ignored_tensors,
        imported_tensors,
        ends_importable,
    })
}

/// A running SHA-256 over output vectors: the `digest` printed by `run`,
/// `sim` and `cosim`, so runs can be compared by one string.
#[derive(Clone, Default)]
pub struct OutputDigest {
    h: Sha256,
    pub vectors: u64,
}

impl OutputDigest {
    pub fn add(&mut self, layer: usize, trits: &[i8]) {
        self.h.update((layer as u32).to_le_bytes());
        self.h
            .update(trits.iter().map(|&t| t as u8).collect::<Vec<u8>>());
        self.vectors += 1;
    }
    pub fn hex(&self) -> String {
        hex::encode(self.h.clone().finalize())
    }
}
