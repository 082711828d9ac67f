//! # hitnet-sim: the cycle-accurate simulator
//!
//! Models the generated microarchitecture (docs/architecture.md) from the
//! [`Plan`]: the weight banks, the z buffers, the accumulators and output
//! bank, the post lanes with their bias memories and tables, the gate
//! stores, the element-wise lanes with their state and LFSR memories, the
//! stream handshakes and the global output stall. It reproduces the RTL's
//! outputs and the cycle at which each is accepted.
//!
//! It is transaction-level inside a token (a segment's dot products are
//! computed with bitplane popcounts over the plan's weight words, not bit by
//! bit) and exact at the ports: every event time comes from the pipeline
//! latencies of the plan, and the output FIFO and its stalls are replayed
//! cycle by cycle.
use hitnet_arch::{Plan, TritWord, ZSrc, EW_STAGES, POST_STAGES};
use hitnet_model::config::{ActMode, CellKind};
use hitnet_model::fixed::{rshift_round, sat};
use hitnet_model::model::GateAct;
use hitnet_model::rng::splitmix64;

/// A port pattern: which cycles a testbench asserts s_valid or m_ready.
/// Shared by the simulator and the co-simulation driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    Always,
    /// High with probability `percent`/100, decided by a hash of (seed, cycle).
    Random {
        seed: u64,
        percent: u32,
    },
}

impl Pattern {
    /// A testbench pattern from a backpressure percentage: `Always` at 0,
    /// else high on (100 - `stall_percent`)% of cycles, by `seed`.
    pub fn stalled(seed: u64, stall_percent: u32) -> Pattern {
        if stall_percent == 0 {
            Pattern::Always
        } else {
            Pattern::Random {
                seed,
                percent: 100 - stall_percent,
            }
        }
    }

    #[inline]
    pub fn at(&self, cycle: u64) -> bool {
        match *self {
            Pattern::Always => true,
            Pattern::Random { seed, percent } => {
                splitmix64(seed ^ cycle.wrapping_mul(0x9E37_79B9_7F4A_7C15)) % 100 < percent as u64
            }
        }
    }
}

/// One input token: x_t (length I) and whether it starts a sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub x: Vec<i8>,
    pub first: bool,
}

/// One accepted output beat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Beat {
    /// Cycle (since reset) at which the beat was accepted (m_valid && m_ready).
    pub cycle: u64,
    pub token: usize,
    pub layer: usize,
    /// Index of the beat within the layer's vector.
    pub index: usize,
    pub last: bool,
    /// `out_trits` trits; trits past H are 0.
    pub data: Vec<i8>,
}

/// Summary of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    pub tokens: usize,
    pub beats: u64,
    /// Cycle after the last beat was accepted.
    pub total_cycles: u64,
    /// Cycle at which each token started (the controller left IDLE).
    pub starts: Vec<u64>,
    pub stall_cycles: u64,
}

impl RunStats {
    /// Average cycles between consecutive token starts (steady state).
    pub fn period(&self) -> Option<f64> {
        let n = self.starts.len();
        (n >= 2).then(|| (self.starts[n - 1] - self.starts[0]) as f64 / (n - 1) as f64)
    }
}

/// The hardware state that persists across tokens.
struct Hw {
    /// Input buffers and the fill side.
    xbuf: [Vec<i8>; 2],
    fill_par: usize,
    /// h buffers per layer, indexed by parity.
    hbuf: Vec<[Vec<i8>; 2]>,
    /// Token parity: layer l reads hbuf[l][tp] (previous token), writes hbuf[l][1 - tp].
    tp: usize,
    after_reset: bool,
    /// Per-lane state memories: c (LSTM) or s (GRU), LFSR states.
    cmem: Vec<Vec<i64>>,
    lmem: Vec<Vec<u32>>,
    /// Per-lane gate stores [gate][step].
    stores: Vec<[Vec<i64>; 3]>,
}

/// The simulator for one plan.
pub struct Sim<'a> {
    pub plan: &'a Plan,
    hw: Hw,
    acc: Vec<i64>,
    zwords: Vec<TritWord>,
    dots: Dots,
}

/// The array's work for one run of a segment: adds every row's sum over
/// the weight words at `addr..` against the z words.
type Dots = fn(&[Vec<TritWord>], usize, &[TritWord], &mut [i64]);

#[inline(always)]
fn dots_body(banks: &[Vec<TritWord>], addr: usize, z: &[TritWord], acc: &mut [i64]) {
    for (bank, a) in banks.iter().zip(acc.iter_mut()) {
        let words = &bank[addr..addr + z.len()];
        let mut s = 0i64;
        for (w, zw) in words.iter().zip(z) {
            s += w.dot(zw);
        }
        *a += s;
    }
}

hitnet_model::popcnt_dispatch!(
    select_dots,
    dots_body,
    fn(banks: &[Vec<TritWord>], addr: usize, z: &[TritWord], acc: &mut [i64])
);

impl<'a> Sim<'a> {
    pub fn new(plan: &'a Plan) -> Sim<'a> {
        let lanes = plan.lanes;
        let hw = Hw {
            xbuf: [vec![0; plan.xbuf_trits()], vec![0; plan.xbuf_trits()]],
            fill_par: 0,
            hbuf: (0..plan.num_layers())
                .map(|_| [vec![0; plan.hbuf_trits()], vec![0; plan.hbuf_trits()]])
                .collect(),
            tp: 0,
            after_reset: true,
            cmem: vec![vec![0; plan.state_depth]; lanes],
            lmem: vec![vec![0; plan.state_depth]; lanes],
            stores: (0..lanes)
                .map(|_| {
                    [
                        vec![0; plan.steps],
                        vec![0; plan.steps],
                        vec![0; plan.steps],
                    ]
                })
                .collect(),
        };
        Sim {
            plan,
            hw,
            acc: vec![0; plan.rows],
            zwords: Vec::new(),
            dots: select_dots(),
        }
    }

    /// Runs a token stream with the given port patterns; `on_beat` sees every
    /// accepted output beat in order.
    pub fn run<I, F>(
        &mut self,
        tokens: I,
        valid: Pattern,
        ready: Pattern,
        mut on_beat: F,
    ) -> RunStats
    where
        I: IntoIterator<Item = Token>,
        F: FnMut(&Beat),
    {
        let mut st = self.stream(valid, ready);
        for tok in tokens {
            st.push(tok, &mut on_beat);
        }
        st.finish(&mut on_beat)
    }

    /// A token-at-a-time run (for closed loops such as text generation, where
    /// the next input depends on this output). Timing is identical to [`Sim::run`].
    pub fn stream(&mut self, valid: Pattern, ready: Pattern) -> Stream<'_, 'a> {
        Stream {
            sim: self,
            valid,
            v_idle: 0,
            fill_from: 0,
            out: OutPort {
                ready,
                rc: 0,
                vc: 0,
                fifo: Default::default(),
                pending: Default::default(),
                stall: 0,
            },
            stats: RunStats::default(),
            t: 0,
        }
    }

    /// Computes one token; returns its beats with their virtual visible cycles.
    fn token(&mut self, t: usize, active: usize, first: bool, v_start: u64) -> Vec<(u64, Beat)> {
        let p = self.plan;
        let im = p.images();
        let f = &p.formats;
        let fb = f.frac;
        let half = 1i64 << (f.lut_bits - 1);
        let mut beats = Vec::new();
        let tp = self.hw.tp;
        let mut issue = v_start + 1;
        for (l, lp) in p.layers.iter().enumerate() {
            // The z words of this layer are fixed while it issues.
            self.zwords.clear();
            for b in 0..lp.z_blocks {
                let mut w = TritWord::default();
                for (c, src) in p.z_sources(l, b).into_iter().enumerate() {
                    let t = match src {
                        ZSrc::X(k) => self.hw.xbuf[active][k],
                        ZSrc::New(ll, j) => self.hw.hbuf[ll][1 - tp][j],
                        ZSrc::Old(ll, j) => {
                            if first {
                                0
                            } else {
                                self.hw.hbuf[ll][tp][j]
                            }
                        }
                        ZSrc::Zero => 0,
                    };
                    w.set(c, t);
                }
                self.zwords.push(w);
            }
            let mut hnew = vec![0i8; p.hbuf_trits()];
            for q in 0..lp.groups {
                for (si, seg) in lp.segments.iter().enumerate() {
                    self.acc.iter_mut().for_each(|a| *a = 0);
                    for r in &lp.runs[q][si] {
                        let z = &self.zwords[r.block..r.block + r.blocks];
                        (self.dots)(&im.weights, r.addr, z, &mut self.acc);
                    }
                    // The bank is readable from e = last issue + bank latency.
                    let e = issue + lp.ends[q][si] + p.bank_latency;
                    let m = im.mults[l][seg.gate];
                    for k in 0..p.steps {
                        let baddr = p.bias_addr(l, q, seg.gate, k);
                        let saddr = p.state_addr(l, q, k);
                        let mut hbeat = vec![0i8; p.lanes];
                        for (lane, hb) in hbeat.iter_mut().enumerate() {
                            let row = k * p.lanes + lane;
                            let pre = m * self.acc[row] + im.biases[lane][baddr];
                            let v = match seg.act {
                                GateAct::Sigmoid | GateAct::Tanh => {
                                    let sel = (seg.act == GateAct::Tanh) as i64;
                                    let idx = f.pre_to_index(pre);
                                    im.post_table[(sel * 2 * half + idx + half) as usize]
                                }
                                GateAct::Raw => pre,
                            };
                            if seg.gate < 3 {
                                self.hw.stores[lane][seg.gate][k] = v;
                                continue;
                            }
                            // Element-wise lane.
                            let st = &self.hw.stores[lane];
                            let c_old = if first { 0 } else { self.hw.cmem[lane][saddr] };
                            let mut lf = if first {
                                im.seeds[lane][saddr]
                            } else {
                                self.hw.lmem[lane][saddr]
                            };
                            let hpre = match p.cell {
                                CellKind::Lstm => {
                                    let (i, fg, g, o) = (st[0][k], st[1][k], st[2][k], v);
                                    let sum = fg * c_old + i * g;
                                    let c_new =
                                        sat(rshift_round(sum, fb), f.cell_min(), f.cell_max());
                                    self.hw.cmem[lane][saddr] = c_new;
                                    let tc =
                                        im.tanh_table[(f.cell_to_index(c_new) + half) as usize];
                                    rshift_round(o * tc, fb)
                                }
                                CellKind::Gru => {
                                    let (r, u, nx, nh) = (st[0][k], st[1][k], st[2][k], v);
                                    let npre = nx + rshift_round(r * nh, fb);
                                    let n = im.tanh_table[(f.pre_to_index(npre) + half) as usize];
                                    let s_new = n + rshift_round(u * (c_old - n), fb);
                                    self.hw.cmem[lane][saddr] = s_new;
                                    s_new
                                }
                            };
                            let h =
                                hitnet_model::golden::quantize_h(p.activation, f, hpre, &mut lf);
                            if p.activation == ActMode::Bernoulli {
                                self.hw.lmem[lane][saddr] = lf;
                            }
                            let j = p.unit(q, k, lane);
                            *hb = if j < lp.hidden_size { h } else { 0 };
                        }
                        if seg.gate == hitnet_arch::EW_SEGMENT {
                            let j0 = p.unit(q, k, 0);
                            if j0 < lp.hidden_size {
                                hnew[j0..j0 + p.lanes].copy_from_slice(&hbeat);
                                let index = j0 / p.lanes;
                                beats.push((
                                    e + k as u64 + POST_STAGES + EW_STAGES,
                                    Beat {
                                        cycle: 0,
                                        token: t,
                                        layer: l,
                                        index,
                                        last: index + 1 == p.out_beats,
                                        data: hbeat,
                                    },
                                ));
                            }
                        }
                    }
                }
            }
            self.hw.hbuf[l][1 - tp] = hnew;
            let bubble = if l == 0 { p.bubble } else { 0 };
            issue += lp.mvm_cycles + bubble + lp.tail_cycles;
        }
        beats
    }
}

/// A run in progress: see [`Sim::stream`].
pub struct Stream<'s, 'a> {
    sim: &'s mut Sim<'a>,
    valid: Pattern,
    /// Virtual cycle at which the controller is next IDLE.
    v_idle: u64,
    /// Real cycle from which the fill buffer accepts beats.
    fill_from: u64,
    out: OutPort,
    stats: RunStats,
    t: usize,
}

/// The output port: the pipeline's beats pass a 2-entry FIFO whose fill
/// level alone (a register) enables the pipeline, so `m_ready` never fans out
/// into the datapath. Real cycles (since reset) and virtual cycles (cycles
/// in which the pipeline advanced) part when the FIFO is full.
struct OutPort {
    ready: Pattern,
    /// Real cycle about to execute.
    rc: u64,
    /// Virtual (pipeline) cycle about to execute.
    vc: u64,
    fifo: std::collections::VecDeque<Beat>,
    /// Beats not yet produced, with the virtual cycle at whose end the
    /// quantizer stage writes them (E8), in order.
    pending: std::collections::VecDeque<(u64, Beat)>,
    stall: u64,
}

impl OutPort {
    fn enabled(&self) -> bool {
        self.fifo.len() < 2
    }

    /// One real cycle: pop on m_valid & m_ready, push the beat produced by an
    /// enabled pipeline, advance.
    fn cycle<F: FnMut(&Beat)>(&mut self, stats: &mut RunStats, on_beat: &mut F) {
        let en = self.enabled();
        if !self.fifo.is_empty() && self.ready.at(self.rc) {
            let mut b = self.fifo.pop_front().unwrap();
            b.cycle = self.rc;
            stats.beats += 1;
            stats.total_cycles = self.rc + 1;
            on_beat(&b);
        }
        if en {
            if self.pending.front().is_some_and(|(v, _)| *v == self.vc) {
                let (_, b) = self.pending.pop_front().unwrap();
                self.fifo.push_back(b);
            }
            self.vc += 1;
        } else {
            self.stall += 1;
        }
        self.rc += 1;
    }

    /// Runs until the pipeline is about to execute virtual cycle `v`.
    fn advance_to<F: FnMut(&Beat)>(&mut self, v: u64, stats: &mut RunStats, on_beat: &mut F) {
        while self.vc < v {
            let next = self.pending.front().map(|(pv, _)| *pv).unwrap_or(u64::MAX);
            if self.fifo.is_empty() && next > self.vc {
                // Nothing to show and nothing produced for a while: skip ahead.
                let d = next.min(v) - self.vc;
                self.vc += d;
                self.rc += d;
                continue;
            }
            self.cycle(stats, on_beat);
        }
    }

    /// Drains every beat.
    fn drain<F: FnMut(&Beat)>(&mut self, stats: &mut RunStats, on_beat: &mut F) {
        while !self.pending.is_empty() || !self.fifo.is_empty() {
            let next = self.pending.front().map(|(pv, _)| *pv).unwrap_or(u64::MAX);
            if self.fifo.is_empty() && next > self.vc {
                let d = next - self.vc;
                self.vc += d;
                self.rc += d;
                continue;
            }
            self.cycle(stats, on_beat);
        }
    }
}

impl Stream<'_, '_> {
    /// Feeds one token; returns every layer's h_t (H trits each). Beats whose
    /// acceptance cycle is already determined are passed to `on_beat`.
    pub fn push<F: FnMut(&Beat)>(&mut self, tok: Token, on_beat: &mut F) -> Vec<Vec<i8>> {
        let p = self.sim.plan;
        let t = self.t;
        assert_eq!(
            tok.x.len(),
            p.layers[0].input_size,
            "token {t}: input length"
        );
        // Fill: beats accepted on cycles with s_valid while not full.
        let mut c = self.fill_from;
        let mut got = 0;
        while got < p.in_beats {
            if self.valid.at(c) {
                got += 1;
            }
            c += 1;
        }
        let fill_visible = c; // fill_full is seen the cycle after the last beat
        let hw = &mut self.sim.hw;
        let fill_par = hw.fill_par;
        for (k, v) in hw.xbuf[fill_par].iter_mut().enumerate() {
            *v = tok.x.get(k).copied().unwrap_or(0);
        }
        // The controller is IDLE from v_idle; it starts a token in the first
        // cycle that has the input buffered and the pipeline enabled.
        self.out.advance_to(self.v_idle, &mut self.stats, on_beat);
        while !(self.out.enabled() && self.out.rc >= fill_visible) {
            if self.out.fifo.is_empty() && self.out.pending.is_empty() {
                let d = fill_visible - self.out.rc;
                self.out.rc += d;
                self.out.vc += d;
            } else {
                self.out.cycle(&mut self.stats, on_beat);
            }
        }
        let start_real = self.out.rc;
        let v_start = self.out.vc;
        self.stats.starts.push(start_real);
        // Start: swap buffers, flip parity.
        let first = tok.first || hw.after_reset;
        hw.after_reset = false;
        hw.fill_par = 1 - fill_par;
        hw.tp ^= 1;
        self.fill_from = start_real + 1;
        let beats = self.sim.token(t, fill_par, first, v_start);
        let h = p.layers[0].hidden_size;
        let mut out = vec![vec![0i8; p.hbuf_trits()]; p.num_layers()];
        for (_, b) in &beats {
            let s = b.index * p.out_trits;
            out[b.layer][s..s + p.out_trits].copy_from_slice(&b.data);
        }
        out.iter_mut().for_each(|v| v.truncate(h));
        // A beat visible at v was written at the end of v - 1.
        self.out
            .pending
            .extend(beats.into_iter().map(|(v, b)| (v - 1, b)));
        self.v_idle = v_start + p.cycles.compute_per_token;
        self.stats.tokens += 1;
        self.t += 1;
        out
    }

    /// The next token's input beats are presented from real cycle `c` on
    /// (a wrapper that feeds the core when it has a token, such as the
    /// language-model ends). The fill buffer must be free by then.
    pub fn present_from(&mut self, c: u64) {
        assert!(
            c >= self.fill_from,
            "input presented at cycle {c}, before the fill buffer is free ({})",
            self.fill_from
        );
        self.fill_from = c;
    }

    /// First real cycle at which the core's fill buffer takes a beat.
    pub fn fill_free(&self) -> u64 {
        self.fill_from
    }

    /// Emits every beat computed so far (m_ready's pattern decides when),
    /// without ending the run: for closed loops that need a token's last
    /// beat before the next input.
    pub fn flush<F: FnMut(&Beat)>(&mut self, on_beat: &mut F) {
        self.out.drain(&mut self.stats, on_beat);
    }

    /// Drains the remaining beats and returns the run's statistics.
    pub fn finish<F: FnMut(&Beat)>(mut self, on_beat: &mut F) -> RunStats {
        self.out.drain(&mut self.stats, on_beat);
        self.stats.stall_cycles = self.out.stall;
        self.stats
    }
}

pub mod cls;
pub mod lm;

/// An answer at a wrapper's output port (a chosen token, a class): the
/// cycle of its m_valid & m_ready handshake.
pub trait Answer {
    fn cycle(&self) -> u64;
}

/// A run of input words through a wrapper (the LM or classifier ends):
/// every answer with its handshake cycle, and the cycle each word was
/// accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndsRun<A> {
    pub answers: Vec<A>,
    pub accepted: Vec<u64>,
}

impl<A> Default for EndsRun<A> {
    fn default() -> Self {
        EndsRun {
            answers: Vec::new(),
            accepted: Vec::new(),
        }
    }
}

impl<A: Answer> EndsRun<A> {
    /// Cycles until the last answer was taken (0 without one).
    pub fn cycles(&self) -> u64 {
        self.answers.last().map_or(0, |a| a.cycle() + 1)
    }
}
pub mod testgen;

#[cfg(test)]
mod tests;
