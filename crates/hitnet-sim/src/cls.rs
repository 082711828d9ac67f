//! The cycle simulator of `hitnet_cls` (the classifier ends around the
//! core): the frame register, the quantizer's closed form
//! ([`ClsPlan::quant_cycles`] from its first table read), the feed (a
//! sequence's last frame waits for every earlier frame's h), the core in a
//! [`Stream`](crate::Stream), and the head's closed form
//! ([`ClsPlan::head_cycles`] from the last frame's last h beat). The values
//! are the golden model's definitions (the quantizer entries' trits,
//! [`ClassHead::logits`], [`argmax`]) on the core's h, so golden =
//! simulator is checked on values and the RTL bench on values and cycles.
use crate::{Beat, Pattern, Sim, Token};
use hitnet_arch::cls::ClsPlan;
use hitnet_arch::Plan;
use hitnet_model::classify::{argmax, ClassHead};

/// One frame word: fixed-point samples and the sequence marks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClsFrame {
    pub samples: Vec<i32>,
    /// Starts a sequence (the core's state resets).
    pub first: bool,
    /// Ends a sequence: its class is answered.
    pub last: bool,
}

/// The frame words of whole sequences, one after another.
pub fn frames(sequences: &[Vec<Vec<i32>>]) -> Vec<ClsFrame> {
    sequences
        .iter()
        .flat_map(|s| {
            let n = s.len();
            s.iter().enumerate().map(move |(t, f)| ClsFrame {
                samples: f.clone(),
                first: t == 0,
                last: t + 1 == n,
            })
        })
        .collect()
}

/// A class as the wrapper's output port shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClsAnswer {
    /// Cycle of the m_valid & m_ready handshake.
    pub cycle: u64,
    pub class: usize,
    /// The class's integer logit.
    pub score: i64,
}

/// A run of frames through the ends: every answer with its handshake
/// cycle, and the cycle each frame was accepted.
pub type ClsRun = crate::EndsRun<ClsAnswer>;

impl crate::Answer for ClsAnswer {
    fn cycle(&self) -> u64 {
        self.cycle
    }
}

/// Records the cycle of every token's last last-layer h beat.
fn recorder(hends: &mut Vec<u64>, last_layer: usize) -> impl FnMut(&Beat) + '_ {
    move |b: &Beat| {
        if b.layer == last_layer && b.last {
            debug_assert_eq!(b.token, hends.len());
            hends.push(b.cycle);
        }
    }
}

/// Runs `frames` through the ends; the bench offers frame k while `valid`
/// is high (from the cycle after frame k-1 was accepted) and takes
/// answers while `ready` is high. A frame list must end a sequence.
pub fn run(
    plan: &Plan,
    cls: &ClsPlan,
    head: &ClassHead,
    frames: &[ClsFrame],
    valid: Pattern,
    ready: Pattern,
) -> ClsRun {
    let mut sim = Sim::new(plan);
    let mut st = sim.stream(Pattern::Always, Pattern::Always);
    let nb = plan.in_beats as u64;
    let input = plan.layers[0].input_size;
    let last_layer = cls.last_layer;
    let mut out = ClsRun::default();
    // First cycles at which: the frame register is empty, the x buffer is
    // empty, pend is low.
    let mut free_f = cls.ready_cycle();
    let mut x_free = 0;
    let mut pend_free = 0;
    // The last-layer h end of every frame fed, by token index.
    let mut hends: Vec<u64> = Vec::new();
    let mut fed = 0usize;
    for f in frames {
        let mut a = free_f;
        while !valid.at(a) {
            a += 1;
        }
        out.accepted.push(a);
        let qs = (a + 1).max(x_free).max(pend_free);
        let x_ready = qs + cls.quant_cycles;
        free_f = x_ready;
        let mut fs = x_ready;
        if f.last && fed > 0 {
            // Every earlier frame's h out (inflight == 0 the cycle after).
            st.flush(&mut recorder(&mut hends, last_layer));
            fs = fs.max(hends[fed - 1] + 1);
        }
        let start = fs.max(st.fill_free());
        st.present_from(start);
        let h = st.push(
            Token {
                x: cls.trits(&f.samples, input),
                first: f.first,
            },
            &mut recorder(&mut hends, last_layer),
        );
        fed += 1;
        x_free = start + nb;
        if f.last {
            st.flush(&mut recorder(&mut hends, last_layer));
            let e = hends[fed - 1];
            let acc: Vec<i64> = h[last_layer].iter().map(|&t| t as i64).collect();
            let logits = head.logits(&acc, 1);
            let class = argmax(&logits);
            let mut d = e + cls.head_cycles;
            while !ready.at(d) {
                d += 1;
            }
            out.answers.push(ClsAnswer {
                cycle: d,
                class,
                score: logits[class],
            });
            pend_free = d + 1;
        }
    }
    out
}
