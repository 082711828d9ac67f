//! # hitnet-train
//!
//! Quantization-aware training of HitNet language models (embedding ->
//! HitNet RNN -> float output layer) with candle on the CPU, export to
//! hitnet model files, and evaluation through any implementation of the
//! RNN (float references, the integer golden model, later the simulator).
//!
//! The training-time quantizers are those of docs/arithmetic.md, taken from
//! `hitnet-model` itself (TTQ per gate group, BTQ on h, sloped sigmoid and
//! tanh); docs/training.md describes the recipe and the measured results.
//!
//! [`Overrides`] and [`evaluate`] are `hitnet train` and `hitnet eval`
//! without their printing; with the `clap` feature the option types are
//! clap argument groups and value enums.
pub mod checkpoint;
pub mod classify;
pub mod classify_eval;
pub mod data;
pub mod error;
pub mod eval;
pub mod evaluate;
pub mod export;
pub mod net;
pub mod options;
pub mod quant;
pub mod summary;
pub mod train;
pub mod uea;

pub use checkpoint::Checkpoint;
pub use data::{Corpus, Split, Tokenizer};
pub use error::{Result, TrainError};
pub use eval::{generate, score, Lm, SampleOptions, Score, Variant};
pub use evaluate::{
    accelerator, evaluate, EvalError, EvalEvent, EvalOptions, EvalReport, GenerateOptions,
    ModelInfo, Runner, SimRnn,
};
pub use export::FloatLm;
pub use net::{QuantMode, TrainConfig};
pub use options::{
    checkpoint_path, CellArg, ClassifyArgs, LevelArg, Overrides, PoolArg, QuantArg, TaskArg,
};
pub use summary::{bench_report, BenchReport, BenchStats, TrainSummary};
pub use train::{bench, train, TrainOptions, TrainReport};
