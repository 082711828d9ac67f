//! Golden model against the cycle simulator on 500 random configurations
//! (LSTM/GRU, 1-3 layers, sizes 1..200 including primes, array shapes
//! including 1 and non-divisors, both quantizer modes, several slopes and
//! formats), with sequence resets and random port stalls.
use hitnet_model::rng::{random_input, Rng};
use hitnet_model::Golden;
use hitnet_sim::testgen::RandomConfig;
use hitnet_sim::{Pattern, Sim, Token};

#[test]
fn golden_equals_simulator_on_500_random_configs() {
    let mut rng = Rng::new(2026);
    let mut lstm = 0;
    for case in 0..500 {
        let rc = RandomConfig::draw(&mut rng, 200, 3);
        let m = rc.model();
        let plan = rc.plan(&m);
        lstm += (rc.cell == hitnet_model::CellKind::Lstm) as usize;
        let n = 2 + rng.below(5) as usize;
        let reset_at = rng.below(n as u64) as usize;
        let tokens: Vec<Token> = (0..n)
            .map(|t| Token {
                x: random_input(case, t as u64, rc.input),
                first: t == 0 || t == reset_at,
            })
            .collect();
        let mut g = Golden::new(&m);
        let want: Vec<Vec<Vec<i8>>> = tokens
            .iter()
            .map(|t| {
                if t.first {
                    g.reset();
                }
                g.step(&t.x).into_iter().map(|o| o.h).collect()
            })
            .collect();
        let ready = if case % 3 == 0 {
            Pattern::Random {
                seed: case,
                percent: 60,
            }
        } else {
            Pattern::Always
        };
        let mut sim = Sim::new(&plan);
        let mut got = vec![vec![vec![0i8; plan.hbuf_trits()]; plan.num_layers()]; n];
        let stats = sim.run(tokens, Pattern::Always, ready, |b| {
            let s = b.index * plan.out_trits;
            got[b.token][b.layer][s..s + plan.out_trits].copy_from_slice(&b.data);
        });
        assert_eq!(
            stats.beats as usize,
            n * plan.num_layers() * plan.out_beats,
            "case {case}: {rc:?}"
        );
        for t in 0..n {
            for l in 0..plan.num_layers() {
                assert_eq!(
                    got[t][l][..rc.hidden],
                    want[t][l][..],
                    "case {case} token {t} layer {l}: {rc:?}"
                );
            }
        }
        if ready == Pattern::Always {
            for w in stats.starts.windows(2) {
                assert_eq!(w[1] - w[0], plan.cycles.per_token, "case {case}: {rc:?}");
            }
        }
    }
    assert!(lstm > 150 && lstm < 350, "both cells drawn: {lstm} LSTM");
}
