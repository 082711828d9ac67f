//! Benchmarks measured against a reference in the same run, as medians of
//! interleaved batches: golden-model tokens/s against a float f32 step of
//! the same size, and cycle-simulator cycles/s against Verilator on the
//! same design and stimulus.
use crate::{FlowError, Result};
use hitnet_model::config::{CellKind, Config};
use hitnet_model::float::FloatNet;
use hitnet_model::{defaults, rng::random_input, Golden};
use serde::Serialize;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The default benchmark config: the PTB-size 1x300 LSTM with 300 inputs
/// (for the simulator, on a 16 x 32 array).
pub fn default_config(sim: bool) -> Config {
    let mut cfg = Config::new(CellKind::Lstm, 300, 300, 1);
    if sim {
        cfg.hw.rows = 16;
        cfg.hw.cols = 32;
    }
    cfg
}

fn model_name(cfg: &Config) -> String {
    let m = &cfg.model;
    format!(
        "{} {} in, {} hidden, {} layer(s)",
        m.cell.name(),
        m.input_size,
        m.hidden_size,
        m.layers
    )
}

/// Golden model against a float step.
#[derive(Debug, Clone, Serialize)]
pub struct GoldenBench {
    pub model: String,
    pub golden_tokens_per_second: f64,
    pub float_f32_tokens_per_second: f64,
    pub ratio: f64,
    pub batches: u64,
    pub tokens_per_batch: u64,
}

impl GoldenBench {
    pub fn text(&self) -> String {
        format!(
            "model: {}\ngolden (bit-sliced ternary): {:>10.0} tokens/s (median of {} batches)\nfloat f32 step:              {:>10.0} tokens/s\nratio golden/float:          {:>10.2}x\n",
            self.model,
            self.golden_tokens_per_second,
            self.batches,
            self.float_f32_tokens_per_second,
            self.ratio
        )
    }
}

/// Golden-model tokens/s against a full-precision float step of the same
/// size, `batches` interleaved batches of `tokens` tokens.
pub fn golden_vs_float(cfg: &Config, batches: u64, tokens: u64) -> Result<GoldenBench> {
    let loaded = hitnet_model::load(cfg).map_err(|e| FlowError::Input(e.to_string()))?;
    let m = &cfg.model;
    let fm = defaults::default_float_model(m.cell, m.input_size, m.hidden_size, m.layers, m.seed);
    let fnet = FloatNet::full_precision(&fm, &loaded.params);
    let xs: Vec<Vec<i8>> = (0..tokens)
        .map(|t| random_input(1, t, m.input_size))
        .collect();
    let xf: Vec<Vec<f32>> = xs
        .iter()
        .map(|x| x.iter().map(|&v| v as f32).collect())
        .collect();
    let mut g = Golden::new(&loaded.int);
    let mut fs = fnet.initial_state();
    let mut gold = Vec::new();
    let mut flt = Vec::new();
    let mut sink = 0i64;
    // Interleave the two so machine noise hits both alike.
    for _ in 0..batches.max(1) {
        let t0 = Instant::now();
        for x in &xs {
            sink += g.step_last(x).iter().map(|&v| v as i64).sum::<i64>();
        }
        gold.push(tokens as f64 / t0.elapsed().as_secs_f64());
        let t0 = Instant::now();
        for x in &xf {
            let o = fnet.step(&mut fs, x);
            sink += o.last().map(|h| h[0] as i64).unwrap_or(0);
        }
        flt.push(tokens as f64 / t0.elapsed().as_secs_f64());
    }
    std::hint::black_box(sink);
    let (gm, fmed) = (median(gold), median(flt));
    Ok(GoldenBench {
        model: model_name(cfg),
        golden_tokens_per_second: gm,
        float_f32_tokens_per_second: fmed,
        ratio: gm / fmed,
        batches,
        tokens_per_batch: tokens,
    })
}

/// Cycle simulator against Verilator.
#[derive(Debug, Clone, Serialize)]
pub struct SimBench {
    pub design: String,
    pub cycles_per_run: u64,
    pub sim_cycles_per_second: f64,
    pub verilator_cycles_per_second: f64,
    pub ratio: f64,
    pub batches: u64,
    pub tokens_per_batch: u64,
}

impl SimBench {
    pub fn text(&self) -> String {
        format!(
            "design: {}; {} tokens = {} cycles per batch\ncycle simulator:     {:>12.0} cycles/s (median of {} batches)\nVerilator (-O2):     {:>12.0} cycles/s\nratio sim/Verilator: {:>12.1}x (single thread)\n",
            self.design,
            self.tokens_per_batch,
            self.cycles_per_run,
            self.sim_cycles_per_second,
            self.batches,
            self.verilator_cycles_per_second,
            self.ratio
        )
    }
}

/// Cycle simulator against Verilator (-O2, single thread), same design and
/// stimulus, same run. The Verilated model is cached after the first build.
pub fn sim_vs_verilator(
    cfg: &Config,
    batches: u64,
    tokens: u64,
    progress: bool,
) -> Result<SimBench> {
    use hitnet_cosim::{build, rtl::Rtl, Toolchain};
    use hitnet_sim::{Pattern, Sim};
    let fail = |e: &dyn std::fmt::Display| FlowError::Input(e.to_string());
    let loaded = hitnet_model::load(cfg).map_err(|e| fail(&e))?;
    let plan = hitnet_arch::Plan::new(&loaded.int, hitnet_arch::Shape::of(&cfg.hw))
        .map_err(|e| fail(&e))?;
    let tc = Toolchain::find().map_err(|e| fail(&e))?;
    let design = hitnet_rtl::generate(&plan, serde_json::json!({}));
    let tmp = tempfile::tempdir().map_err(crate::io(&std::env::temp_dir()))?;
    hitnet_cosim::write_images(&design, tmp.path()).map_err(FlowError::Cosim)?;
    let sp = crate::spinner_if(
        progress,
        "building the Verilated model (-O2; cached after the first run)",
    );
    let built = build::build(
        &tc,
        &plan,
        &design.verilog(),
        build::BuildOptions {
            trace: false,
            opt: 2,
        },
        &build::default_cache(),
    );
    sp.finish_and_clear();
    let built = built.map_err(FlowError::Cosim)?;
    let stim = crate::stimulus(1, tokens, loaded.int.input_size);
    let mut simr = Vec::new();
    let mut rtlr = Vec::new();
    let (mut sim_cycles, mut rtl_cycles) = (0, 0);
    for _ in 0..batches.max(1) {
        let t0 = Instant::now();
        let mut sim = Sim::new(&plan);
        let st = sim.run(
            stim.iter().cloned(),
            Pattern::Always,
            Pattern::Always,
            |_| {},
        );
        simr.push(st.total_cycles as f64 / t0.elapsed().as_secs_f64());
        sim_cycles = st.total_cycles;
        let mut rtl = Rtl::new(&built, tmp.path(), None, None).map_err(FlowError::Cosim)?;
        let t0 = Instant::now();
        let st = rtl
            .run(
                &plan,
                &stim,
                Pattern::Always,
                Pattern::Always,
                1 << 20,
                |_| {},
            )
            .map_err(FlowError::Cosim)?;
        rtlr.push(st.total_cycles as f64 / t0.elapsed().as_secs_f64());
        rtl_cycles = st.total_cycles;
    }
    if sim_cycles != rtl_cycles {
        return Err(FlowError::NetlistDiffers(format!(
            "simulator and RTL disagree on cycles: {sim_cycles} vs {rtl_cycles}"
        )));
    }
    let (s, r) = (median(simr), median(rtlr));
    Ok(SimBench {
        design: format!("{} on {}x{}", model_name(cfg), plan.rows, plan.cols),
        cycles_per_run: sim_cycles,
        sim_cycles_per_second: s,
        verilator_cycles_per_second: r,
        ratio: s / r,
        batches,
        tokens_per_batch: tokens,
    })
}
