//! The cycle simulator of `hitnet_lm` (the language-model ends around the
//! core): the core runs in a [`Stream`](crate::Stream) whose input beats
//! the wrapper presents [`FEED_LATENCY`] cycles after it latches a token,
//! and the head is its closed form, [`LmPlan::head_cycles`] from the last
//! layer's last h beat to the token. The values are the golden model's
//! definition ([`LmEnds::choose`]) on the core's h, so golden = simulator
//! is checked on values and the RTL bench on values and cycles.
use crate::{Pattern, Sim, Token};
use hitnet_arch::lm::{LmPlan, FEED_LATENCY};
use hitnet_arch::Plan;
use hitnet_model::lm::{LmEnds, TokenWord};

/// A chosen token as the wrapper's output port shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LmToken {
    /// Cycle of the m_valid & m_ready handshake.
    pub cycle: u64,
    pub token: usize,
    /// The last token of its word's answer.
    pub last: bool,
}

/// A run of token words through the ends: every chosen token with its
/// handshake cycle, and the cycle each word was accepted.
pub type LmRun = crate::EndsRun<LmToken>;

impl crate::Answer for LmToken {
    fn cycle(&self) -> u64 {
        self.cycle
    }
}

/// Runs `words` through the ends; the bench offers word k while `valid`
/// is high (from the cycle after word k-1 was accepted) and takes tokens
/// while `ready` is high.
pub fn run(
    plan: &Plan,
    lm: &LmPlan,
    ends: &LmEnds,
    words: &[TokenWord],
    valid: Pattern,
    ready: Pattern,
) -> LmRun {
    let mut sim = Sim::new(plan);
    let mut st = sim.stream(Pattern::Always, Pattern::Always);
    let mut lfsr = ends.seed;
    let mut out = LmRun::default();
    // First cycle the wrapper can accept a word: after the flash store's
    // load (if any).
    let mut free = lm.ready_cycle();
    let last_layer = lm.last_layer;
    for w in words {
        let mut a = free;
        while !valid.at(a) {
            a += 1;
        }
        out.accepted.push(a);
        if w.first {
            lfsr = ends.seed;
        }
        let mut present = a + FEED_LATENCY;
        let mut tok = w.token;
        for k in 0..=w.feed {
            st.present_from(present);
            let mut end = None;
            let mut on_beat = |b: &crate::Beat| {
                if b.layer == last_layer && b.last {
                    end = Some(b.cycle);
                }
            };
            let h = st.push(
                Token {
                    x: ends.embedding[tok].clone(),
                    first: k == 0 && w.first,
                },
                &mut on_beat,
            );
            st.flush(&mut on_beat);
            let e = end.expect("the core answers every token");
            tok = ends.choose(&h[last_layer], &mut lfsr);
            let mut d = e + lm.head_cycles;
            while !ready.at(d) {
                d += 1;
            }
            out.answers.push(LmToken {
                cycle: d,
                token: tok,
                last: k == w.feed,
            });
            present = d + FEED_LATENCY;
            free = d + 1;
        }
    }
    out
}
