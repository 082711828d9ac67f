//! `hitnet sim`: the cycle-accurate simulator over a seeded random stream.
use crate::common;
use anyhow::Result;
use hitnet_sim::Sim;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub cfg: crate::args::ConfigArg,
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub tokens: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Clock for tokens/s (default: hw.clock_mhz of the config).
    #[arg(long)]
    pub clock_mhz: Option<f64>,
    /// Percent of cycles with the output stalled and the input absent (0..=95).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=95))]
    pub stall_percent: u32,
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let pl = common::load_plan(a.cfg.config.as_deref())?;
    let p = &pl.plan;
    let im = &pl.loaded.int;
    // The range hw.clock_mhz has: a number beyond it is a typo, not a clock.
    let clock = hitnet_flow::check_clock(a.clock_mhz.unwrap_or(pl.loaded.config.hw.clock_mhz))
        .map_err(crate::common::flow_error)?;
    // Stimulus, golden model and comparison stream token by token, so
    // memory does not grow with --tokens: the golden outputs wait in a queue
    // only while their token is in flight in the simulated pipeline.
    let (valid, ready) = common::patterns(a.seed, a.stall_percent);
    let pb = common::bar(a.tokens, "simulating");
    let mut sim = Sim::new(p);
    let mut golden = hitnet_model::Golden::new(im);
    let want: std::cell::RefCell<std::collections::VecDeque<Vec<Vec<i8>>>> = Default::default();
    let mut base = 0usize; // token index of want's front
    let mut mismatches = 0u64;
    let mut digest = hitnet_model::OutputDigest::default();
    let mut h = vec![vec![0i8; p.hbuf_trits()]; p.num_layers()];
    let t0 = std::time::Instant::now();
    let mut on_beat = |b: &hitnet_sim::Beat| {
        let s = b.index * p.out_trits;
        h[b.layer][s..s + p.out_trits].copy_from_slice(&b.data);
        if b.last {
            let hd = &h[b.layer][..im.hidden_size];
            digest.add(b.layer, hd);
            let mut w = want.borrow_mut();
            let expect = b.token.checked_sub(base).and_then(|i| w.get(i));
            if expect.map(|t| t[b.layer].as_slice()) != Some(hd) {
                mismatches += 1;
            }
            if b.layer + 1 == p.num_layers() {
                pb.inc(1);
                // Tokens complete in order: the front one is done.
                if b.token == base {
                    w.pop_front();
                    base += 1;
                }
            }
        }
    };
    let mut st = sim.stream(valid, ready);
    for tok in common::stimulus_stream(a.seed, a.tokens, im.input_size) {
        want.borrow_mut()
            .push_back(hitnet_cosim::golden_step(&mut golden, &tok));
        st.push(tok, &mut on_beat);
    }
    let stats = st.finish(&mut on_beat);
    let secs = t0.elapsed().as_secs_f64();
    pb.finish_and_clear();
    let period = stats.period().unwrap_or(stats.total_cycles as f64);
    let cpt = if a.tokens > 1 {
        period
    } else {
        stats.total_cycles as f64
    };
    let bound = p.cycles.bound_per_token;
    let tps = clock * 1e6 / cpt;
    let matches = mismatches == 0;
    if a.json {
        common::print_json(&serde_json::json!({
            "tokens": a.tokens,
            "total_cycles": stats.total_cycles,
            "cycles_per_token": cpt,
            "plan_cycles_per_token": p.cycles.per_token,
            "bound_cycles_per_token": bound,
            "utilization": bound / cpt,
            "clock_mhz": clock,
            "tokens_per_second": tps,
            "stall_cycles": stats.stall_cycles,
            "matches_golden": matches,
            "mismatched_vectors": mismatches,
            "digest": digest.hex(),
            "sim_seconds": secs,
            "sim_cycles_per_second": stats.total_cycles as f64 / secs.max(1e-9),
        }))?;
    } else {
        crate::outln!("model:   {}", common::model_line(&pl.loaded));
        crate::outln!("array:   {} x {}, {} lane(s)", p.rows, p.cols, p.lanes);
        crate::outln!(
            "cycles:  {} total for {} tokens; {:.1} per token (plan: {}, bound {:.1}, utilization {:.1}%)",
            stats.total_cycles,
            a.tokens,
            cpt,
            p.cycles.per_token,
            bound,
            100.0 * bound / cpt
        );
        if stats.stall_cycles > 0 {
            crate::outln!(
                "stalls:  {} cycles of output backpressure",
                stats.stall_cycles
            );
        }
        crate::outln!("speed:   {tps:.0} tokens/s at {clock} MHz");
        crate::outln!(
            "golden:  {}",
            if matches {
                "every output equals the golden model".to_string()
            } else {
                format!("{mismatches} output vectors DIFFER from the golden model")
            }
        );
        crate::outln!("digest:  {}", digest.hex());
        crate::outln!(
            "sim:     {:.3} s, {:.1} M simulated cycles/s",
            secs,
            stats.total_cycles as f64 / secs.max(1e-9) / 1e6
        );
    }
    Ok(if matches {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
