//! `hitnet run` and `hitnet sim`: the golden model, and the cycle
//! simulator checked against it, over a seeded random ternary stream.
//! Both stream token by token, so memory does not grow with the number of
//! tokens.
use hitnet_model::{rng::random_input, Golden, OutputDigest};
use serde::Serialize;
use std::fmt::Write as _;
use std::time::Instant;

/// Fractions of +1, 0 and -1 in one layer's outputs.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Fractions {
    pub plus: f64,
    pub zero: f64,
    pub minus: f64,
}

/// What the golden model did over the stream.
#[derive(Debug, Clone, Serialize)]
pub struct GoldenRun {
    pub tokens: u64,
    pub seed: u64,
    pub layers: usize,
    pub digest: String,
    pub output_fractions: Vec<Fractions>,
    pub seconds: f64,
    pub tokens_per_second: f64,
    pub model: serde_json::Value,
}

/// The golden model over `tokens` seeded random inputs.
pub fn golden(loaded: &hitnet_model::Loaded, seed: u64, tokens: u64) -> GoldenRun {
    let im = &loaded.int;
    let mut g = Golden::new(im);
    let mut digest = OutputDigest::default();
    let layers = im.layers.len();
    let mut counts = vec![[0u64; 3]; layers];
    let t0 = Instant::now();
    for t in 0..tokens {
        let x = random_input(seed, t, im.input_size);
        for (l, o) in g.step(&x).iter().enumerate() {
            digest.add(l, &o.h);
            for &v in &o.h {
                counts[l][(v + 1) as usize] += 1;
            }
        }
    }
    let seconds = t0.elapsed().as_secs_f64();
    let output_fractions = counts
        .iter()
        .map(|c| {
            let n = (c[0] + c[1] + c[2]).max(1) as f64;
            Fractions {
                plus: c[2] as f64 / n,
                zero: c[1] as f64 / n,
                minus: c[0] as f64 / n,
            }
        })
        .collect();
    GoldenRun {
        tokens,
        seed,
        layers,
        digest: digest.hex(),
        output_fractions,
        seconds,
        tokens_per_second: tokens as f64 / seconds.max(1e-9),
        model: crate::model_json(loaded),
    }
}

impl GoldenRun {
    pub fn text(&self, loaded: &hitnet_model::Loaded) -> String {
        let mut s = String::new();
        let q = &loaded.params;
        let _ = writeln!(s, "model:   {}", crate::model_line(loaded));
        let _ = writeln!(
            s,
            "quant:   slope {}, {} activations, F = {} fraction bits, {}-entry tables",
            q.slope,
            q.activation.name(),
            q.frac_bits,
            1u32 << q.lut_bits
        );
        let _ = writeln!(
            s,
            "input:   {} random ternary vectors, seed {}",
            self.tokens, self.seed
        );
        for (l, f) in self.output_fractions.iter().enumerate() {
            let _ = writeln!(
                s,
                "layer {l}: h_t is +1 {:.1}%, 0 {:.1}%, -1 {:.1}%",
                100.0 * f.plus,
                100.0 * f.zero,
                100.0 * f.minus
            );
        }
        let _ = writeln!(s, "digest:  {}", self.digest);
        let _ = writeln!(
            s,
            "golden:  {} tokens in {:.3} s ({:.0} tokens/s)",
            self.tokens, self.seconds, self.tokens_per_second
        );
        s
    }
}

/// What the cycle simulator did over the stream.
#[derive(Debug, Clone, Serialize)]
pub struct SimRun {
    pub tokens: u64,
    pub total_cycles: u64,
    pub cycles_per_token: f64,
    pub plan_cycles_per_token: u64,
    pub bound_cycles_per_token: f64,
    pub utilization: f64,
    pub clock_mhz: f64,
    pub tokens_per_second: f64,
    pub stall_cycles: u64,
    pub matches_golden: bool,
    pub mismatched_vectors: u64,
    pub digest: String,
    pub sim_seconds: f64,
    pub sim_cycles_per_second: f64,
}

/// The cycle simulator over `tokens` seeded random inputs with
/// `stall_percent` of input and output cycles stalled, every layer's output
/// vector compared with the golden model; `on_token` after each token.
pub fn simulate(
    plan: &hitnet_arch::Plan,
    loaded: &hitnet_model::Loaded,
    seed: u64,
    tokens: u64,
    stall_percent: u32,
    clock_mhz: f64,
    on_token: &dyn Fn(),
) -> SimRun {
    let p = plan;
    let im = &loaded.int;
    // The golden outputs wait in a queue only while their token is in
    // flight in the simulated pipeline.
    let (valid, ready) = crate::patterns(seed, stall_percent);
    let mut sim = hitnet_sim::Sim::new(p);
    let mut golden = Golden::new(im);
    let want: std::cell::RefCell<std::collections::VecDeque<Vec<Vec<i8>>>> = Default::default();
    let mut base = 0usize; // token index of want's front
    let mut mismatches = 0u64;
    let mut digest = OutputDigest::default();
    let mut h = vec![vec![0i8; p.hbuf_trits()]; p.num_layers()];
    let t0 = Instant::now();
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
                on_token();
                // Tokens complete in order: the front one is done.
                if b.token == base {
                    w.pop_front();
                    base += 1;
                }
            }
        }
    };
    let mut st = sim.stream(valid, ready);
    for tok in crate::stimulus_stream(seed, tokens, im.input_size) {
        want.borrow_mut()
            .push_back(hitnet_cosim::golden_step(&mut golden, &tok));
        st.push(tok, &mut on_beat);
    }
    let stats = st.finish(&mut on_beat);
    let secs = t0.elapsed().as_secs_f64();
    let period = stats.period().unwrap_or(stats.total_cycles as f64);
    let cpt = if tokens > 1 {
        period
    } else {
        stats.total_cycles as f64
    };
    let bound = p.cycles.bound_per_token;
    SimRun {
        tokens,
        total_cycles: stats.total_cycles,
        cycles_per_token: cpt,
        plan_cycles_per_token: p.cycles.per_token,
        bound_cycles_per_token: bound,
        utilization: bound / cpt,
        clock_mhz,
        tokens_per_second: clock_mhz * 1e6 / cpt,
        stall_cycles: stats.stall_cycles,
        matches_golden: mismatches == 0,
        mismatched_vectors: mismatches,
        digest: digest.hex(),
        sim_seconds: secs,
        sim_cycles_per_second: stats.total_cycles as f64 / secs.max(1e-9),
    }
}

impl SimRun {
    pub fn text(&self, plan: &hitnet_arch::Plan, loaded: &hitnet_model::Loaded) -> String {
        let p = plan;
        let mut s = String::new();
        let _ = writeln!(s, "model:   {}", crate::model_line(loaded));
        let _ = writeln!(s, "array:   {} x {}, {} lane(s)", p.rows, p.cols, p.lanes);
        let _ = writeln!(
            s,
            "cycles:  {} total for {} tokens; {:.1} per token (plan: {}, bound {:.1}, utilization {:.1}%)",
            self.total_cycles,
            self.tokens,
            self.cycles_per_token,
            self.plan_cycles_per_token,
            self.bound_cycles_per_token,
            100.0 * self.utilization
        );
        if self.stall_cycles > 0 {
            let _ = writeln!(
                s,
                "stalls:  {} cycles of output backpressure",
                self.stall_cycles
            );
        }
        let _ = writeln!(
            s,
            "speed:   {:.0} tokens/s at {} MHz",
            self.tokens_per_second, self.clock_mhz
        );
        let _ = writeln!(
            s,
            "golden:  {}",
            if self.matches_golden {
                "every output equals the golden model".to_string()
            } else {
                format!(
                    "{} output vectors DIFFER from the golden model",
                    self.mismatched_vectors
                )
            }
        );
        let _ = writeln!(s, "digest:  {}", self.digest);
        let _ = writeln!(
            s,
            "sim:     {:.3} s, {:.1} M simulated cycles/s",
            self.sim_seconds,
            self.sim_cycles_per_second / 1e6
        );
        s
    }
}
