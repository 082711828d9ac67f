//! Bernoulli ternary quantization is unbiased: E[h] = h_pre / 2^F.
use hitnet_model::config::{ActMode, CellKind, QuantParams};
use hitnet_model::defaults;

#[test]
fn btq_mean_is_unbiased() {
    let q = QuantParams {
        activation: ActMode::Bernoulli,
        ..QuantParams::default()
    };
    let im = defaults::default_int_model(CellKind::Lstm, 4, 4, 1, 1, &q).unwrap();
    let one = im.formats.one();
    let n = 20_000;
    let mut state = hitnet_model::lfsr::unit_seed(1, 0, 0);
    for hp in [-one, -700, -300, -1, 0, 1, 100, 512, 900, one] {
        let sum: i64 = (0..n).map(|_| im.quantize_h(hp, &mut state) as i64).sum();
        let mean = sum as f64 / n as f64;
        let p = (hp.abs() as f64) / one as f64;
        let want = hp as f64 / one as f64;
        // Binomial standard deviation of the mean; 5 sigma plus a hair.
        let sd = (p * (1.0 - p) / n as f64).sqrt();
        assert!(
            (mean - want).abs() <= 5.0 * sd + 1e-9,
            "h_pre {hp}: mean {mean}, expected {want} (sd {sd})"
        );
    }
}

#[test]
fn btq_streams_of_different_units_are_uncorrelated() {
    let q = QuantParams::default();
    let im = defaults::default_int_model(CellKind::Lstm, 4, 4, 1, 1, &q).unwrap();
    let mut a = hitnet_model::lfsr::unit_seed(1, 0, 0);
    let mut b = hitnet_model::lfsr::unit_seed(1, 0, 1);
    let n = 20_000;
    let mut agree = 0;
    for _ in 0..n {
        if im.quantize_h(512, &mut a) == im.quantize_h(512, &mut b) {
            agree += 1;
        }
    }
    // Independent fair coins agree half the time.
    let frac = agree as f64 / n as f64;
    assert!((frac - 0.5).abs() < 0.02, "{frac}");
}
