//! The integer model against the float model, one step from the same state:
//! the difference stays within the documented bound (docs/arithmetic.md §9).
use hitnet_model::config::{ActMode, CellKind, QuantParams};
use hitnet_model::float::{FloatNet, StepScratch};
use hitnet_model::{defaults, Golden, IntModel};
use proptest::prelude::*;

/// Per-step error bounds for c (or s) and h_pre, in real units.
struct StepBound {
    c: f64,
    h: f64,
}

fn step_bound(im: &IntModel, slope: f64, c_abs: f64) -> StepBound {
    let f = &im.formats;
    let lsb = 2f64.powi(-(f.frac as i32));
    let half = lsb / 2.0;
    let delta = 2f64.powi(-(f.lut_frac as i32));
    let n = im.widths.acc_bound as f64;
    // Scale and bias rounding (each <= 2^-(Fp+1) per unit of |acc|), then index rounding.
    let e_in = (n + 1.0) * 2f64.powi(-(f.pre_frac as i32 + 1)) + delta / 2.0;
    // Table rounding, clamping beyond the range (<= 2^-(F+1) by construction), float32 slack.
    let slack = 1e-4;
    let e_sig = slope / 4.0 * e_in + 2.0 * half + slack;
    let e_tanh = slope * e_in + 2.0 * half + slack;
    match im.cell {
        CellKind::Lstm => {
            let e_c = e_sig * c_abs + e_sig + e_tanh + e_sig * e_tanh + half;
            // tanh(c'): error of c' and the index rounding of c', then table rounding.
            let e_tc = slope * (e_c + delta / 2.0) + 2.0 * half + slack;
            StepBound {
                c: e_c,
                h: e_sig + e_tc + e_sig * e_tc + half,
            }
        }
        CellKind::Gru => {
            // n's input: p_nx + r p_nh; r's error times |p_nh| (<= scale * N + |b|).
            let pnh = im.widths.pre_bound as f64 * 2f64.powi(-(f.pre_frac as i32));
            let e_nin = 2.0 * e_in + e_sig * pnh + half * 4.0;
            let e_n = slope * e_nin + 2.0 * half + slack;
            let e_s = e_n + e_sig * 2.0 + e_n + half;
            StepBound { c: e_s, h: e_s }
        }
    }
}

fn check(cell: CellKind, i: usize, h: usize, seed: u64, slope: f64, z_seed: u64) {
    let fm = defaults::default_float_model(cell, i, h, 1, seed);
    let q = QuantParams {
        slope,
        activation: ActMode::Threshold,
        ..QuantParams::default()
    };
    let m = fm.quantize(&q).unwrap();
    let im = IntModel::new(&m, &q).unwrap();
    let net = FloatNet::quantized(&m, &q);
    let mut rng = hitnet_model::rng::Rng::new(z_seed);
    let x: Vec<i8> = (0..i).map(|_| rng.trit()).collect();
    let hprev: Vec<i8> = (0..h).map(|_| rng.trit()).collect();
    // Cell states kept well inside the saturation range (|c| < 2^ci).
    let one = im.formats.one();
    let c_max = match cell {
        CellKind::Lstm => 4 * one,
        CellKind::Gru => one,
    };
    let c: Vec<i64> = (0..h)
        .map(|_| rng.below(2 * c_max as u64 + 1) as i64 - c_max)
        .collect();

    let mut g = Golden::new(&im);
    g.state.layers[0].h = hprev.clone();
    g.state.layers[0].c = c.clone();
    let out = g.step(&x);

    let xf: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let hf: Vec<f32> = hprev.iter().map(|&v| v as f32).collect();
    let cf: Vec<f32> = c.iter().map(|&v| v as f32 / one as f32).collect();
    let (c_new, hp) = net.cell_step(0, &xf, &hf, &cf, &mut StepScratch::default());
    let b = step_bound(&im, slope, c_max as f64 / one as f64);
    for j in 0..h {
        let ci = out[0].c[j] as f64 / one as f64;
        let hi = out[0].h_pre[j] as f64 / one as f64;
        assert!(
            (ci - c_new[j] as f64).abs() <= b.c,
            "{cell:?} unit {j}: c int {ci} float {} bound {}",
            c_new[j],
            b.c
        );
        assert!(
            (hi - hp[j] as f64).abs() <= b.h,
            "{cell:?} unit {j}: h int {hi} float {} bound {}",
            hp[j],
            b.h
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn integer_step_within_bound(
        lstm in any::<bool>(),
        i in 1usize..70,
        h in 1usize..70,
        seed in 0u64..1000,
        slope in 0.5f64..4.0,
        z_seed in any::<u64>(),
    ) {
        let cell = if lstm { CellKind::Lstm } else { CellKind::Gru };
        check(cell, i, h, seed, slope, z_seed);
    }
}

#[test]
fn bound_is_tight_enough_to_mean_something() {
    // At the default formats (256-entry tables, slope 2) and |c| <= 1 the
    // LSTM h bound is well below full scale, not a vacuous 1.0; with
    // 1024-entry tables it shrinks about fourfold.
    let fm = defaults::default_float_model(CellKind::Lstm, 64, 64, 1, 1);
    let q = QuantParams::default();
    let im = IntModel::new(&fm.quantize(&q).unwrap(), &q).unwrap();
    let b = step_bound(&im, 2.0, 1.0);
    assert!(b.h < 0.2, "h bound {}", b.h);
    let q10 = QuantParams {
        lut_bits: 10,
        ..QuantParams::default()
    };
    let im10 = IntModel::new(&fm.quantize(&q10).unwrap(), &q10).unwrap();
    let b10 = step_bound(&im10, 2.0, 1.0);
    assert!(b10.h < b.h / 2.0, "h bound {} vs {}", b10.h, b.h);
}
