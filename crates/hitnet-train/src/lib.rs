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
pub mod checkpoint;
pub mod data;
pub mod error;
pub mod eval;
pub mod export;
pub mod net;
pub mod quant;
pub mod train;

pub use checkpoint::Checkpoint;
pub use data::{Corpus, Split, Tokenizer};
pub use error::{Result, TrainError};
pub use eval::{
    generate, generate_ternary, score, score_ternary, Lm, SampleOptions, Score, Variant,
};
pub use export::FloatLm;
pub use net::{QuantMode, TrainConfig};
pub use train::{bench, train, TrainOptions, TrainReport};
