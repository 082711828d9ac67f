//! Every width comes from a worst-case bound: drive the golden model to the
//! extremes (all weights +1, -1, 0; inputs all +1 / all -1; extreme biases)
//! and check every observed intermediate value lies inside its bound, and
//! that the accumulator bound is actually reached.
use hitnet_model::config::{ActMode, CellKind, QuantParams};
use hitnet_model::model::{QuantModel, TernaryMatrix};
use hitnet_model::rng::Rng;
use hitnet_model::{Golden, IntModel};

fn uniform_model(
    cell: CellKind,
    i: usize,
    h: usize,
    layers: usize,
    w: i8,
    bias: f64,
    act: ActMode,
) -> (QuantModel, QuantParams) {
    let q = QuantParams {
        activation: act,
        act_threshold: 0.1,
        ..QuantParams::default()
    };
    (QuantModel::uniform(cell, i, h, layers, w, 0.3, bias, &q), q)
}

fn drive(
    m: &QuantModel,
    q: &QuantParams,
    inputs: &[Vec<i8>],
) -> (IntModel, hitnet_model::widths::Ranges) {
    let im = IntModel::new(m, q).unwrap();
    let ranges = {
        let mut g = Golden::new(&im);
        g.track_ranges();
        for x in inputs {
            g.step(x);
        }
        g.ranges.take().unwrap()
    };
    (im, ranges)
}

fn check_inside(im: &IntModel, r: &hitnet_model::widths::Ranges, what: &str) {
    for (name, &(lo, hi)) in &r.seen {
        let (blo, bhi) = im.widths.bound_of(name, im);
        assert!(
            lo >= blo && hi <= bhi,
            "{what}: {name} saw [{lo}, {hi}] outside bound [{blo}, {bhi}]"
        );
    }
}

#[test]
fn extremes_stay_inside_bounds_and_reach_acc_bound() {
    for cell in [CellKind::Lstm, CellKind::Gru] {
        for w in [1i8, -1, 0] {
            for bias in [-3.0, 0.0, 3.0] {
                for act in [ActMode::Threshold, ActMode::Bernoulli] {
                    let (i, h) = (13, 7);
                    let (mut m, q) = uniform_model(cell, i, h, 2, w, bias, act);
                    if cell == CellKind::Gru {
                        // Flip the update gate so u -> 0 and s follows n: otherwise
                        // u -> 1 freezes the state at 0 and h never saturates.
                        for layer in &mut m.layers {
                            let zg = &mut layer.gates[1].w;
                            *zg = TernaryMatrix::from_trits(
                                zg.rows,
                                zg.cols,
                                &vec![-w; zg.rows * zg.cols],
                            );
                        }
                    }
                    // All +1 then all -1, long enough for the state to saturate.
                    let mut xs = vec![vec![1i8; i]; 40];
                    xs.extend(vec![vec![-1i8; i]; 40]);
                    let (im, r) = drive(&m, &q, &xs);
                    let what = format!("{cell:?} w={w} bias={bias} {act:?}");
                    check_inside(&im, &r, &what);
                    if w == 1 && bias >= 0.0 && act == ActMode::Threshold {
                        // All weights +1 and threshold 0.1: with x all +1, h saturates
                        // to +1, so every row sees z all +1 and acc = N exactly.
                        let (_, hi) = r.seen["acc"];
                        assert_eq!(hi, im.widths.acc_bound, "{what}: acc bound not reached");
                    }
                }
            }
        }
    }
}

#[test]
fn lstm_cell_saturates_at_its_bound() {
    // All weights +1 with a big positive bias: i = f = g = 1, so c grows by
    // 1.0 per step until it saturates at 2^(ci+F) - 1.
    let (m, q) = uniform_model(CellKind::Lstm, 5, 3, 1, 1, 5.0, ActMode::Threshold);
    let xs = vec![vec![1i8; 5]; 40];
    let (im, r) = drive(&m, &q, &xs);
    check_inside(&im, &r, "saturating");
    assert_eq!(r.seen["cell"].1, im.formats.cell_max());
    assert!(r.seen["cell_sum"].1 > im.formats.cell_max() << im.formats.frac);
}

#[test]
fn random_models_stay_inside_bounds() {
    let mut rng = Rng::new(11);
    for k in 0..40 {
        let cell = if k % 2 == 0 {
            CellKind::Lstm
        } else {
            CellKind::Gru
        };
        let (i, h) = (1 + rng.below(40) as usize, 1 + rng.below(40) as usize);
        let fm = hitnet_model::defaults::default_float_model(cell, i, h, 2, k);
        let q = QuantParams {
            slope: 0.5 + rng.uniform() * 4.0,
            ..QuantParams::default()
        };
        let m = fm.quantize(&q).unwrap();
        let xs: Vec<Vec<i8>> = (0..30)
            .map(|_| (0..i).map(|_| rng.trit()).collect())
            .collect();
        let (im, r) = drive(&m, &q, &xs);
        check_inside(&im, &r, &format!("random {k}"));
    }
}
