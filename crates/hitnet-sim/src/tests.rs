use super::*;
use hitnet_arch::Shape;
use hitnet_model::config::QuantParams;
use hitnet_model::rng::{random_input, Rng};
use hitnet_model::{defaults, Golden, IntModel};

pub(crate) fn model(
    cell: CellKind,
    i: usize,
    h: usize,
    layers: usize,
    q: &QuantParams,
    seed: u64,
) -> IntModel {
    defaults::default_int_model(cell, i, h, layers, seed, q).unwrap()
}

/// Runs sim and golden on the same stream; returns (mismatches, stats).
fn compare(
    im: &IntModel,
    plan: &Plan,
    tokens: usize,
    valid: Pattern,
    ready: Pattern,
    seq_every: usize,
) -> RunStats {
    let toks: Vec<Token> = (0..tokens)
        .map(|t| Token {
            x: random_input(7, t as u64, im.input_size),
            first: seq_every > 0 && t % seq_every == 0,
        })
        .collect();
    let mut g = Golden::new(im);
    let mut want: Vec<Vec<Vec<i8>>> = Vec::new();
    for tok in &toks {
        if tok.first {
            g.reset();
        }
        want.push(g.step(&tok.x).into_iter().map(|o| o.h).collect());
    }
    let mut sim = Sim::new(plan);
    let mut got: Vec<Vec<Vec<i8>>> =
        vec![vec![vec![0; plan.hbuf_trits()]; plan.num_layers()]; tokens];
    let mut last_cycle = 0;
    let mut order = Vec::new();
    let stats = sim.run(toks, valid, ready, |b| {
        assert!(b.cycle >= last_cycle, "beats out of order");
        last_cycle = b.cycle;
        order.push((b.token, b.layer, b.index));
        let s = b.index * plan.out_trits;
        got[b.token][b.layer][s..s + plan.out_trits].copy_from_slice(&b.data);
    });
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "beats leave in token, layer, index order");
    assert_eq!(order.len(), tokens * plan.num_layers() * plan.out_beats);
    for t in 0..tokens {
        for l in 0..plan.num_layers() {
            assert_eq!(
                &got[t][l][..im.hidden_size],
                &want[t][l][..],
                "token {t} layer {l}"
            );
        }
    }
    stats
}

#[test]
fn matches_golden_and_the_cycle_formula() {
    let q = QuantParams::default();
    for (cell, i, h, layers, rows, cols) in [
        (CellKind::Lstm, 64, 64, 1, 8, 16),
        (CellKind::Gru, 13, 11, 2, 4, 8),
        (CellKind::Lstm, 7, 5, 3, 5, 3),
        (CellKind::Gru, 1, 1, 1, 1, 1),
    ] {
        let im = model(cell, i, h, layers, &q, 3);
        let plan = Plan::new(&im, Shape::new(rows, cols)).unwrap();
        let stats = compare(&im, &plan, 12, Pattern::Always, Pattern::Always, 0);
        assert_eq!(stats.starts[0], plan.cycles.first_start);
        for w in stats.starts.windows(2) {
            assert_eq!(
                w[1] - w[0],
                plan.cycles.per_token,
                "{cell:?} {i}x{h}x{layers} on {rows}x{cols}"
            );
        }
        assert_eq!(stats.stall_cycles, 0);
    }
}

#[test]
fn backpressure_and_input_gaps_change_timing_not_values() {
    let q = QuantParams::default();
    let im = model(CellKind::Lstm, 20, 9, 2, &q, 5);
    let plan = Plan::new(&im, Shape::new(3, 4).with_lanes(3)).unwrap();
    let a = compare(&im, &plan, 10, Pattern::Always, Pattern::Always, 4);
    let b = compare(
        &im,
        &plan,
        10,
        Pattern::Random {
            seed: 1,
            percent: 30,
        },
        // Ready one cycle in ten: the 2-beat output FIFO fills and stalls the pipeline.
        Pattern::Random {
            seed: 2,
            percent: 10,
        },
        4,
    );
    assert!(b.stall_cycles > 0);
    assert!(b.total_cycles > a.total_cycles);
}

#[test]
fn random_configs_match_golden() {
    let mut rng = Rng::new(99);
    for k in 0..60 {
        let cell = if rng.below(2) == 0 {
            CellKind::Lstm
        } else {
            CellKind::Gru
        };
        let i = 1 + rng.below(40) as usize;
        let h = 1 + rng.below(40) as usize;
        let layers = 1 + rng.below(3) as usize;
        let q = QuantParams {
            slope: [1.0, 2.0, 3.0][rng.below(3) as usize],
            activation: if rng.below(2) == 0 {
                ActMode::Bernoulli
            } else {
                ActMode::Threshold
            },
            ..QuantParams::default()
        };
        let im = model(cell, i, h, layers, &q, k);
        let rows = 1 + rng.below(h as u64) as usize;
        let cols = 1 + rng.below((i.min(h) + h).min(64) as u64) as usize;
        let plan = Plan::new(&im, Shape::new(rows, cols)).unwrap();
        compare(
            &im,
            &plan,
            6,
            Pattern::Always,
            Pattern::Random {
                seed: k,
                percent: 70,
            },
            3,
        );
    }
}
