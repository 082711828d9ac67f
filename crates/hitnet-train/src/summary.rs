//! What `hitnet train` reports: the summary of a training session and the
//! throughput statistics of a benchmark (`--bench`), as typed, serializable
//! results (their field names are the keys of `--json`).
use crate::checkpoint::EpochLog;
use crate::data::Corpus;
use crate::error::{Result, TrainError};
use crate::net::TrainConfig;
use crate::train::TrainReport;
use serde::Serialize;
use std::path::Path;

/// A finished (or stopped) training session.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrainSummary {
    /// The exported model file.
    pub model: String,
    pub checkpoint: String,
    /// True when every epoch is done.
    pub finished: bool,
    /// Optimizer steps done (over all sessions) and of the whole run.
    pub steps: u64,
    pub total_steps: u64,
    pub tokens_seen: u64,
    pub train_seconds: f64,
    /// Training tokens per second in this session.
    pub tokens_per_second: f64,
    pub history: Vec<EpochLog>,
    pub ternary_weights: usize,
    pub zero_fraction: f64,
}

impl TrainSummary {
    /// The one line `hitnet train` prints at the end.
    pub fn text(&self) -> String {
        let rest = if self.finished {
            String::new()
        } else {
            let (s, t) = (self.steps, self.total_steps);
            format!("; stopped at step {s} of {t} (continue with --resume)")
        };
        format!(
            "{}: {} ternary weights ({:.1}% zero), {} steps, {:.0} tokens/s{rest}",
            self.model,
            self.ternary_weights,
            100.0 * self.zero_fraction,
            self.steps,
            self.tokens_per_second,
        )
    }
}

impl TrainReport {
    /// The summary of this session, which wrote `model` and `checkpoint`.
    pub fn summary(&self, model: &Path, checkpoint: &Path) -> TrainSummary {
        TrainSummary {
            model: model.display().to_string(),
            checkpoint: checkpoint.display().to_string(),
            finished: self.finished,
            steps: self.progress.step,
            total_steps: self.progress.total_steps,
            tokens_seen: self.progress.tokens_seen,
            train_seconds: self.progress.seconds,
            tokens_per_second: self.tokens_per_second,
            history: self.history.clone(),
            ternary_weights: self.model.weight_count(),
            zero_fraction: self.model.zero_fraction(),
        }
    }
}

/// Median, minimum and maximum of per-step throughputs (tokens/s).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BenchStats {
    #[serde(rename = "median_tokens_per_second")]
    pub median: f64,
    #[serde(rename = "min_tokens_per_second")]
    pub min: f64,
    #[serde(rename = "max_tokens_per_second")]
    pub max: f64,
}

impl BenchStats {
    /// The statistics of `samples` (the upper median of an even count);
    /// `None` when there are none.
    pub fn of(samples: &[f64]) -> Option<BenchStats> {
        let mut s = samples.to_vec();
        s.sort_by(|x, y| x.total_cmp(y));
        Some(BenchStats {
            median: *s.get(s.len() / 2)?,
            min: *s.first()?,
            max: *s.last()?,
        })
    }
}

/// A training-throughput benchmark: what ran and how fast.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BenchReport {
    pub config: TrainConfig,
    /// Timed steps, after `warmup` untimed ones.
    pub steps: u64,
    pub warmup: u64,
    /// Worker threads of the tensor library (`RAYON_NUM_THREADS`, else "all").
    pub threads: String,
    pub tokens_per_step: usize,
    #[serde(flatten)]
    pub stats: BenchStats,
}

impl BenchReport {
    /// What ran, and the throughput statistics, in two lines.
    pub fn text(&self) -> String {
        let (c, s) = (&self.config, &self.stats);
        format!(
            "train step: {} {}x{} ({} layers), {} quantization, {} streams x {} steps, {} threads\n\
             tokens/s over {} steps: median {:.0} (min {:.0}, max {:.0})",
            c.cell.name().to_uppercase(),
            c.embed,
            c.hidden,
            c.layers,
            c.quant.name(),
            c.batch,
            c.seq_len,
            self.threads,
            self.steps,
            s.median,
            s.min,
            s.max
        )
    }
}

/// Runs [`crate::bench`] (`steps` >= 1 timed steps) and summarises it.
pub fn bench_report(
    corpus: &Corpus,
    cfg: &TrainConfig,
    warmup: u64,
    steps: u64,
) -> Result<BenchReport> {
    let too_few = || TrainError::invalid("bench", "at least 1 timed step is needed");
    if steps == 0 {
        return Err(too_few());
    }
    let tps = crate::train::bench(corpus, cfg, warmup, steps)?;
    let stats = BenchStats::of(&tps).ok_or_else(too_few)?;
    Ok(BenchReport {
        config: cfg.clone(),
        steps,
        warmup,
        threads: std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all".into()),
        tokens_per_step: cfg.batch * cfg.seq_len,
        stats,
    })
}

#[cfg(test)]
mod tests {
    use super::BenchStats;

    #[test]
    fn bench_stats() {
        assert_eq!(BenchStats::of(&[]), None);
        let s = BenchStats::of(&[3.0, 1.0, 2.0, 5.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (3.0, 1.0, 5.0));
        let s = BenchStats::of(&[2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.0, 2.0, 2.0));
    }
}
