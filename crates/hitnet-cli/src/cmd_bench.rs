//! `hitnet bench`: golden-model tokens/s against a float f32 step of the same
//! size, or (`--sim`) simulated cycles/s of the cycle simulator against
//! Verilator on the same design and stimulus; both measured in the same run,
//! medians of interleaved batches.
use anyhow::Result;
use hitnet_model::config::{CellKind, Config};
use hitnet_model::float::FloatNet;
use hitnet_model::{defaults, rng::random_input, Golden};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Config file; default: the PTB-size 1x300 LSTM with 300 inputs.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Timed batches (the median is reported).
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub batches: u64,
    /// Tokens per batch (1..=100000; each batch's stimulus is held in memory).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub tokens: u64,
    /// Compare the cycle simulator with Verilator instead (PTB-size design on a 16x32 array by default).
    #[arg(long)]
    pub sim: bool,
    #[arg(long)]
    pub json: bool,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub fn run(a: Args) -> Result<ExitCode> {
    if a.sim {
        return sim_vs_verilator(a);
    }
    let cfg = match &a.config {
        Some(p) => Config::load(p)?,
        None => Config::new(CellKind::Lstm, 300, 300, 1),
    };
    let loaded = hitnet_model::load(&cfg)?;
    let m = &cfg.model;
    let fm = defaults::default_float_model(m.cell, m.input_size, m.hidden_size, m.layers, m.seed);
    let fnet = FloatNet::full_precision(&fm, &loaded.params);
    let xs: Vec<Vec<i8>> = (0..a.tokens)
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
    for _ in 0..a.batches.max(1) {
        let t0 = Instant::now();
        for x in &xs {
            sink += g.step_last(x).iter().map(|&v| v as i64).sum::<i64>();
        }
        gold.push(a.tokens as f64 / t0.elapsed().as_secs_f64());
        let t0 = Instant::now();
        for x in &xf {
            let o = fnet.step(&mut fs, x);
            sink += o.last().map(|h| h[0] as i64).unwrap_or(0);
        }
        flt.push(a.tokens as f64 / t0.elapsed().as_secs_f64());
    }
    std::hint::black_box(sink);
    let (gm, fmed) = (median(gold), median(flt));
    let ratio = gm / fmed;
    let name = format!(
        "{} {} in, {} hidden, {} layer(s)",
        m.cell.name(),
        m.input_size,
        m.hidden_size,
        m.layers
    );
    if a.json {
        crate::common::print_json(&serde_json::json!({
            "model": name,
            "golden_tokens_per_second": gm,
            "float_f32_tokens_per_second": fmed,
            "ratio": ratio,
            "batches": a.batches,
            "tokens_per_batch": a.tokens,
        }))?;
    } else {
        crate::outln!("model: {name}");
        crate::outln!(
            "golden (bit-sliced ternary): {gm:>10.0} tokens/s (median of {} batches)",
            a.batches
        );
        crate::outln!("float f32 step:              {fmed:>10.0} tokens/s");
        crate::outln!("ratio golden/float:          {ratio:>10.2}x");
    }
    Ok(ExitCode::SUCCESS)
}

/// Cycle simulator against Verilator, same design and stimulus, same run.
fn sim_vs_verilator(a: Args) -> Result<ExitCode> {
    use hitnet_cosim::{build, rtl::Rtl, Toolchain};
    use hitnet_sim::{Pattern, Sim};
    let mut cfg = match &a.config {
        Some(p) => Config::load(p)?,
        None => Config::new(CellKind::Lstm, 300, 300, 1),
    };
    if a.config.is_none() {
        cfg.hw.rows = 16;
        cfg.hw.cols = 32;
    }
    let loaded = hitnet_model::load(&cfg)?;
    let plan = hitnet_arch::Plan::new(&loaded.int, hitnet_arch::Shape::of(&cfg.hw))?;
    let tc = Toolchain::find()?;
    let design = hitnet_rtl::generate(&plan, serde_json::json!({}));
    let tmp = tempfile::tempdir()?;
    hitnet_cosim::write_images(&design, tmp.path())?;
    let sp =
        crate::common::spinner("building the Verilated model (-O2; cached after the first run)");
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
    let built = built?;
    let tokens = crate::common::stimulus(1, a.tokens, loaded.int.input_size);
    let mut simr = Vec::new();
    let mut rtlr = Vec::new();
    let (mut sim_cycles, mut rtl_cycles) = (0, 0);
    for _ in 0..a.batches.max(1) {
        let t0 = Instant::now();
        let mut sim = Sim::new(&plan);
        let st = sim.run(
            tokens.iter().cloned(),
            Pattern::Always,
            Pattern::Always,
            |_| {},
        );
        simr.push(st.total_cycles as f64 / t0.elapsed().as_secs_f64());
        sim_cycles = st.total_cycles;
        let mut rtl = Rtl::new(&built, tmp.path(), None, None)?;
        let t0 = Instant::now();
        let st = rtl.run(
            &plan,
            &tokens,
            Pattern::Always,
            Pattern::Always,
            1 << 20,
            |_| {},
        )?;
        rtlr.push(st.total_cycles as f64 / t0.elapsed().as_secs_f64());
        rtl_cycles = st.total_cycles;
    }
    anyhow::ensure!(
        sim_cycles == rtl_cycles,
        "simulator and RTL disagree on cycles: {sim_cycles} vs {rtl_cycles}"
    );
    let (s, r) = (median(simr), median(rtlr));
    if a.json {
        crate::common::print_json(&serde_json::json!({
            "design": format!("{} {} in, {} hidden, {} layer(s) on {}x{}", cfg.model.cell.name(), cfg.model.input_size, cfg.model.hidden_size, cfg.model.layers, plan.rows, plan.cols),
            "cycles_per_run": sim_cycles,
            "sim_cycles_per_second": s,
            "verilator_cycles_per_second": r,
            "ratio": s / r,
            "batches": a.batches,
            "tokens_per_batch": a.tokens,
        }))?;
    } else {
        crate::outln!(
            "design: {} {} in, {} hidden, {} layer(s) on {}x{}; {} tokens = {} cycles per batch",
            cfg.model.cell.name(),
            cfg.model.input_size,
            cfg.model.hidden_size,
            cfg.model.layers,
            plan.rows,
            plan.cols,
            a.tokens,
            sim_cycles
        );
        crate::outln!(
            "cycle simulator:     {:>12.0} cycles/s (median of {} batches)",
            s,
            a.batches
        );
        crate::outln!("Verilator (-O2):     {:>12.0} cycles/s", r);
        crate::outln!("ratio sim/Verilator: {:>12.1}x (single thread)", s / r);
    }
    Ok(ExitCode::SUCCESS)
}
