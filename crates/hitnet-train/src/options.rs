//! What a training run is asked for: options that override a
//! [`TrainConfig`] (the defaults, or a checkpoint's run on `--resume`),
//! the resume rule, and where the model and checkpoint go.
//!
//! With the `clap` feature, [`Overrides`] is a `clap::Args` group (the
//! `hitnet train` flags and their help live here, once).
use crate::checkpoint::Checkpoint;
use crate::error::{Result, TrainError};
use crate::net::{QuantMode, TrainConfig};
use hitnet_model::model::VocabLevel;
use hitnet_model::CellKind;
use std::path::{Path, PathBuf};

/// `--level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum LevelArg {
    Char,
    Word,
}

/// `--cell`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum CellArg {
    Lstm,
    Gru,
}

/// `--quant`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
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

impl From<LevelArg> for VocabLevel {
    fn from(v: LevelArg) -> Self {
        match v {
            LevelArg::Char => VocabLevel::Char,
            LevelArg::Word => VocabLevel::Word,
        }
    }
}

impl From<CellArg> for CellKind {
    fn from(v: CellArg) -> Self {
        match v {
            CellArg::Lstm => CellKind::Lstm,
            CellArg::Gru => CellKind::Gru,
        }
    }
}

impl From<QuantArg> for QuantMode {
    fn from(v: QuantArg) -> Self {
        match v {
            QuantArg::Fp => QuantMode::Fp,
            QuantArg::Ttq => QuantMode::Ttq,
            QuantArg::Btq => QuantMode::Btq,
            QuantArg::Hybrid => QuantMode::Hybrid,
        }
    }
}

/// Model and optimisation options (each optional so that a resumed run can
/// tell an explicit, conflicting value from a default).
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct Overrides {
    /// Tokens are characters or whitespace-separated words [default: char].
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub level: Option<LevelArg>,
    /// Recurrent cell [default: lstm].
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub cell: Option<CellArg>,
    /// Hidden units per layer [default: 128].
    #[cfg_attr(feature = "clap", arg(long))]
    pub hidden: Option<usize>,
    /// Width of the ternary embedding = the RNN's input size [default: --hidden].
    #[cfg_attr(feature = "clap", arg(long))]
    pub embed: Option<usize>,
    /// Recurrent layers [default: 1].
    #[cfg_attr(feature = "clap", arg(long))]
    pub layers: Option<usize>,
    /// Passes over the training split [default: 3].
    #[cfg_attr(feature = "clap", arg(long))]
    pub epochs: Option<usize>,
    /// What is ternary during training [default: hybrid].
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub quant: Option<QuantArg>,
    /// Sloping factor lambda of sigmoid(lambda x) and tanh(lambda x) [default: 2].
    #[cfg_attr(feature = "clap", arg(long))]
    pub slope: Option<f64>,
    /// TTQ threshold factor t (D = t * mean|W|) [default: 0.7].
    #[cfg_attr(feature = "clap", arg(long))]
    pub weight_threshold: Option<f64>,
    /// Ternary activations by threshold T in (0, 1): |h| > T gives sign(h),
    /// else 0 (the accelerator's `activation = "threshold"`), instead of
    /// BTQ sampling [default: BTQ].
    #[cfg_attr(feature = "clap", arg(long))]
    pub act_threshold: Option<f64>,
    /// Parallel streams per batch [default: 32].
    #[cfg_attr(feature = "clap", arg(long))]
    pub batch: Option<usize>,
    /// Truncated BPTT length [default: 64].
    #[cfg_attr(feature = "clap", arg(long))]
    pub seq_len: Option<usize>,
    /// Peak learning rate (AdamW) [default: 0.005].
    #[cfg_attr(feature = "clap", arg(long))]
    pub lr: Option<f64>,
    /// Final learning rate as a fraction of --lr (cosine schedule) [default: 0.05].
    #[cfg_attr(feature = "clap", arg(long))]
    pub min_lr_frac: Option<f64>,
    /// Linear warm-up steps [default: 100].
    #[cfg_attr(feature = "clap", arg(long))]
    pub warmup: Option<u64>,
    /// Global gradient-norm clip, 0 = off [default: 1].
    #[cfg_attr(feature = "clap", arg(long))]
    pub clip: Option<f64>,
    /// Dropout on each layer's output [default: 0.1].
    #[cfg_attr(feature = "clap", arg(long))]
    pub dropout: Option<f64>,
    /// Decoupled weight decay [default: 0].
    #[cfg_attr(feature = "clap", arg(long))]
    pub weight_decay: Option<f64>,
    /// Seed of initialisation, BTQ draws and dropout [default: 1].
    #[cfg_attr(feature = "clap", arg(long))]
    pub seed: Option<u64>,
    /// Distil from this trained checkpoint (e.g. the full-precision run of
    /// the same corpus): training only, the exported model is the student.
    #[cfg_attr(feature = "clap", arg(long, value_name = "TEACHER.ckpt"))]
    pub distill: Option<PathBuf>,
    /// Weight of the distillation term [default: 0.5].
    #[cfg_attr(feature = "clap", arg(long, requires = "distill"))]
    pub distill_weight: Option<f64>,
    /// Temperature of the distillation softmax [default: 2].
    #[cfg_attr(feature = "clap", arg(long, requires = "distill"))]
    pub distill_temperature: Option<f64>,
    /// Start from the weights of this trained checkpoint (same vocabulary and
    /// shapes, e.g. the full-precision run) instead of a random initialisation;
    /// the optimizer and learning-rate schedule start afresh.
    #[cfg_attr(feature = "clap", arg(long, value_name = "FROM.ckpt"))]
    pub init: Option<PathBuf>,
    /// Learn each gate's scale (a trained factor on its TTQ scale; the
    /// hardware's one scale per gate, so what is exported still runs exactly).
    #[cfg_attr(feature = "clap", arg(long))]
    pub learn_scale: bool,
}

impl Overrides {
    /// `base` with every option that is set replaced (`hidden` also sets
    /// `embed`, unless `embed` is set too).
    pub fn apply(&self, base: TrainConfig) -> TrainConfig {
        let mut c = base;
        if let Some(v) = self.level {
            c.level = v.into();
        }
        if let Some(v) = self.cell {
            c.cell = v.into();
        }
        if let Some(v) = self.hidden {
            c.hidden = v;
            c.embed = v;
        }
        if let Some(v) = self.embed {
            c.embed = v;
        }
        if let Some(v) = self.quant {
            c.quant = v.into();
        }
        macro_rules! take {
            ($($f:ident),*) => {$( if let Some(v) = self.$f { c.$f = v; } )*};
        }
        take!(
            layers,
            epochs,
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
        if self.act_threshold.is_some() {
            c.act_threshold = self.act_threshold;
        }
        if let Some(f) = &self.init {
            c.init = Some(f.display().to_string());
        }
        if self.learn_scale {
            c.learn_scale = true;
        }
        if let Some(t) = &self.distill {
            let d = c.distill.take();
            c.distill = Some(crate::net::Distill {
                teacher: t.display().to_string(),
                weight: self
                    .distill_weight
                    .or(d.as_ref().map(|d| d.weight))
                    .unwrap_or(0.5),
                temperature: (self.distill_temperature)
                    .or(d.as_ref().map(|d| d.temperature))
                    .unwrap_or(2.0),
            });
        }
        c
    }

    /// The config of a new run: the defaults with these options.
    pub fn config(&self) -> TrainConfig {
        self.apply(TrainConfig::default())
    }

    /// The config that continues the run saved in `ck`: these options may
    /// change `epochs` only; any other that differs from the saved run is
    /// [`TrainError::ResumeDiffers`], naming `path`.
    pub fn resume_config(&self, ck: &Checkpoint, path: &Path) -> Result<TrainConfig> {
        let saved = &ck.meta.config;
        let mut want = self.apply(saved.clone());
        want.epochs = saved.epochs;
        if want != *saved {
            return Err(TrainError::ResumeDiffers {
                checkpoint: path.to_path_buf(),
                saved: Box::new(saved.clone()),
            });
        }
        Ok(self.apply(saved.clone()))
    }

    /// A new run (`resume` false), or the run in the checkpoint at
    /// `checkpoint` continued: its config, and the checkpoint when resumed.
    /// A checkpoint that cannot be loaded is [`TrainError::ResumeLoad`].
    pub fn resolve(
        &self,
        resume: bool,
        checkpoint: &Path,
    ) -> Result<(TrainConfig, Option<Checkpoint>)> {
        if !resume {
            return Ok((self.config(), None));
        }
        let ck = Checkpoint::load(checkpoint).map_err(|e| TrainError::ResumeLoad(Box::new(e)))?;
        let cfg = self.resume_config(&ck, checkpoint)?;
        Ok((cfg, Some(ck)))
    }
}

/// `--task`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum TaskArg {
    /// A language model on a text corpus (--corpus).
    #[default]
    Lm,
    /// A sequence classifier on real-valued series (--train, UEA .ts).
    Classify,
}

/// `--pool`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum PoolArg {
    /// The last step's h.
    Last,
    /// The mean of h over the series.
    Mean,
}

/// The options of `--task classify`.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ClassifyArgs {
    /// Training split of --task classify (UEA/UCR .ts).
    #[cfg_attr(feature = "clap", arg(long))]
    pub train: Option<PathBuf>,
    /// Test split (.ts) of --task classify: evaluated after training.
    #[cfg_attr(feature = "clap", arg(long))]
    pub test: Option<PathBuf>,
    /// Input trits per channel, each with its own affine and thresholds
    /// [default: 4, and at least 16 input trits in all].
    #[cfg_attr(feature = "clap", arg(long))]
    pub trits_per_channel: Option<usize>,
    /// How the class head sees the series of h [default: last].
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub pool: Option<PoolArg>,
    /// Fraction of each class of --train held out to pick the epoch [default: 0.2].
    #[cfg_attr(feature = "clap", arg(long))]
    pub valid_frac: Option<f64>,
}

impl ClassifyArgs {
    /// The classifier's config: its defaults with `hp` and these options.
    /// Options that only a language model has are refused.
    pub fn config(&self, hp: &Overrides) -> Result<crate::classify::ClassifyConfig> {
        let lm_only = [
            ("level", hp.level.is_some()),
            ("embed", hp.embed.is_some()),
            ("seq-len", hp.seq_len.is_some()),
            ("distill", hp.distill.is_some()),
            ("init", hp.init.is_some()),
            ("learn-scale", hp.learn_scale),
        ];
        if let Some((k, _)) = lm_only.iter().find(|(_, set)| *set) {
            return Err(TrainError::invalid(
                *k,
                "a language-model option that --task classify does not use (its input width comes from the data and --trits-per-channel)",
            ));
        }
        let mut c = crate::classify::ClassifyConfig::default();
        let embed = c.core.embed;
        c.core = hp.apply(c.core);
        c.core.embed = embed;
        if let Some(v) = self.trits_per_channel {
            if v == 0 {
                return Err(TrainError::invalid(
                    "trits-per-channel",
                    "0 is not in [1, 64]",
                ));
            }
            c.trits_per_channel = v;
        }
        if let Some(v) = self.pool {
            c.pool = match v {
                PoolArg::Last => hitnet_model::classify::Pool::Last,
                PoolArg::Mean => hitnet_model::classify::Pool::Mean,
            };
        }
        if let Some(v) = self.valid_frac {
            c.valid_frac = v;
        }
        c.validate()?;
        Ok(c)
    }

    /// The training split and what to write (`out` and its float
    /// reference `OUT.float.json`).
    pub fn options(
        &self,
        hp: &Overrides,
        out: Option<&Path>,
        progress: bool,
    ) -> Result<(PathBuf, crate::classify::ClassifyOptions)> {
        let train = (self.train.clone())
            .ok_or_else(|| TrainError::invalid("train", "--task classify needs --train FILE.ts"))?;
        let out = out.ok_or_else(|| {
            TrainError::invalid("out", "--out MODEL is required (the exported model file)")
        })?;
        let opts = crate::classify::ClassifyOptions {
            config: self.config(hp)?,
            float_out: crate::classify::float_path(out),
            out: out.to_path_buf(),
            progress,
        };
        Ok((train, opts))
    }
}

/// The checkpoint file: `checkpoint` when given, else `OUT.ckpt`.
pub fn checkpoint_path(out: &Path, checkpoint: Option<&Path>) -> PathBuf {
    checkpoint.map(Path::to_path_buf).unwrap_or_else(|| {
        let mut p = out.as_os_str().to_owned();
        p.push(".ckpt");
        PathBuf::from(p)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_apply_and_hidden_sets_embed() {
        let o = Overrides {
            hidden: Some(9),
            quant: Some(QuantArg::Ttq),
            cell: Some(CellArg::Gru),
            level: Some(LevelArg::Word),
            seed: Some(7),
            layers: Some(2),
            ..Overrides::default()
        };
        let c = o.config();
        assert_eq!((c.hidden, c.embed, c.layers, c.seed), (9, 9, 2, 7));
        assert_eq!(c.quant, QuantMode::Ttq);
        assert_eq!(c.cell, CellKind::Gru);
        assert_eq!(c.level, VocabLevel::Word);
        let o = Overrides {
            hidden: Some(9),
            embed: Some(4),
            ..Overrides::default()
        };
        assert_eq!((o.config().hidden, o.config().embed), (9, 4));
        assert_eq!(Overrides::default().config(), TrainConfig::default());
    }

    #[test]
    fn checkpoint_defaults_to_out_dot_ckpt() {
        assert_eq!(
            checkpoint_path(Path::new("d/m.json"), None),
            PathBuf::from("d/m.json.ckpt")
        );
        assert_eq!(
            checkpoint_path(Path::new("m.json"), Some(Path::new("c"))),
            PathBuf::from("c")
        );
    }
}
