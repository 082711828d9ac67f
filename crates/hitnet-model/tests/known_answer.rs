//! A 2-input, 2-unit LSTM step worked out by hand (docs/arithmetic.md).
use hitnet_model::config::{ActMode, CellKind, QuantParams};
use hitnet_model::model::{gate_specs, QuantGate, QuantLayer, QuantModel, TernaryMatrix};
use hitnet_model::{Golden, IntModel};

/// A one-layer model of `n` inputs and `n` units with the given gates.
fn one_layer(cell: CellKind, n: usize, gates: Vec<QuantGate>, q: &QuantParams) -> QuantModel {
    let layer = QuantLayer {
        input_size: n,
        hidden_size: n,
        gates,
    };
    QuantModel::core(cell, n, n, vec![layer], q)
}

fn tiny_lstm() -> (QuantModel, QuantParams) {
    let q = QuantParams {
        slope: 2.0,
        activation: ActMode::Threshold,
        act_threshold: 0.3,
        ..QuantParams::default()
    };
    // Columns of z = [x0, x1, h0, h1]. Rows are units 0 and 1.
    let w: [[i8; 8]; 4] = [
        [1, 0, 0, 0, /* unit 1 */ 1, -1, 0, 0], // i
        [0, 0, 0, 0, /* unit 1 */ -1, 0, 0, 0], // f
        [1, -1, 0, 0, /* unit 1 */ 0, 1, 0, 0], // g
        [0, 0, 1, 1, /* unit 1 */ 0, 0, 1, 0],  // o
    ];
    let bias = [[0.0, 0.0], [0.5, 0.0], [0.0, 0.0], [0.0, 0.0]];
    let gates = gate_specs(CellKind::Lstm, 2, 2)
        .iter()
        .enumerate()
        .map(|(g, s)| QuantGate {
            name: s.name.into(),
            act: s.act,
            col_offset: 0,
            w: TernaryMatrix::from_trits(2, 4, &w[g]),
            scale: 0.25,
            bias: bias[g].to_vec(),
        })
        .collect();
    let m = one_layer(CellKind::Lstm, 2, gates, &q);
    (m, q)
}

#[test]
fn lstm_2x2_step_by_hand() {
    let (m, q) = tiny_lstm();
    let im = IntModel::new(&m, &q).unwrap();
    let f = &im.formats;
    // slope 2, F = 10: sigma(2x) is within 2^-11 of 1 beyond x = 11 ln2 / 2 = 3.8,
    // so the tables cover [-4, 4): r = 2, Fi = 8 - 1 - 2 = 5.
    assert_eq!((f.lut_range_log2, f.lut_frac), (2, 5));
    // Fp: smallest >= Fi + 2 with round(0.25 * 2^Fp) >= 2^11, so Fp = 13, m = 2048.
    assert_eq!(f.pre_frac, 13);
    assert_eq!(im.layers[0].gates[0].mult, 2048);
    assert_eq!(im.layers[0].gates[1].bias, vec![4096, 0]); // 0.5 * 2^13
                                                           // T = round(0.3 * 1024) = 307.
    assert_eq!(f.act_threshold, 307);

    let mut g = Golden::new(&im);
    g.state.layers[0].h = vec![1, -1];
    g.state.layers[0].c = vec![1024, -512]; // c = [1.0, -0.5]
    let out = g.step(&[1, -1]);
    // z = [1, -1, 1, -1].
    // unit 0: acc i=1, f=0, g=2, o=1-1=0.
    //   p_i = 2048 -> index 2048/2^8 = 8 (x = 0.25) -> sigma(0.5)*1024 = 637.40 -> 637
    //   p_f = 4096 -> index 16 (x = 0.5) -> sigma(1.0)*1024 = 748.60 -> 749
    //   p_g = 4096 -> index 16 -> tanh(1.0)*1024 = 779.87 -> 780
    //   p_o = 0 -> index 0 -> 512
    //   c' = rshift_round(749*1024 + 637*780, 10) = rshift_round(1263836, 10) = 1234
    //   index_c = rshift_round(1234, 5) = 39 -> tanh(2*39/32)*1024 = 1008.48 -> 1008
    //   h_pre = rshift_round(512*1008, 10) = 504 > 307 -> h = +1
    // unit 1: acc i=1+1=2, f=-1, g=-1, o=1.
    //   i = 749; f: p=-2048 -> index -8 -> 1024 - 637 = 387; g: tanh(-0.5)*1024 = -473.21 -> -473;
    //   o = 637
    //   c' = rshift_round(387*(-512) + 749*(-473), 10) = rshift_round(-552421, 10) = -539
    //   index_c = rshift_round(-539, 5) = -17 -> tanh(-34/32)*1024 = -805.50 -> -805
    //   h_pre = rshift_round(637*(-805), 10) = rshift_round(-512785, 10) = -501 < -307 -> h = -1
    assert_eq!(out[0].c, vec![1234, -539]);
    assert_eq!(out[0].h_pre, vec![504, -501]);
    assert_eq!(out[0].h, vec![1, -1]);
    assert_eq!(g.state.layers[0].h, vec![1, -1]);
}

#[test]
fn bernoulli_decision_uses_the_unit_lfsr() {
    let (mut m, mut q) = tiny_lstm();
    q.activation = ActMode::Bernoulli;
    m.quant = q.clone();
    let im = IntModel::new(&m, &q).unwrap();
    let mut g = Golden::new(&im);
    // By hand from the contract (docs/arithmetic.md), with an independent
    // Python LFSR, not with this crate's draw: layer 0's unit seeds for
    // lfsr_seed 1 are 0x2a78ca16 and 0x3fa79257; 10 bits (F) drawn from each
    // are u = 346 and 570, leaving 0x5a9c3e33 and 0x5c58f9e5. A unit is
    // +-1 when u < |h_pre|, else 0.
    assert_eq!(g.state.layers[0].lfsr, vec![0x2a78_ca16, 0x3fa7_9257]);
    let out = g.step(&[1, -1]);
    let hp = &out[0].h_pre;
    for (j, u) in [346i64, 570].into_iter().enumerate() {
        let want = if u < hp[j].abs() {
            hp[j].signum() as i8
        } else {
            0
        };
        assert_eq!(out[0].h[j], want, "unit {j}: u {u}, h_pre {}", hp[j]);
    }
    // (Bernoulli's tables give h_pre = [376, -305] here: +1 and 0.)
    assert_eq!(out[0].h, vec![1, 0]);
    assert_eq!(g.state.layers[0].lfsr, vec![0x5a9c_3e33, 0x5c58_f9e5]);
}

#[test]
fn gru_1x1_step_by_hand() {
    // One input, one unit; F = 10, slope 1: sigma(x) within 2^-11 of 1 beyond
    // 7.62, so r = 3, Fi = 4. Scales 0.5 -> Fp = 12 (0.5 * 2^12 = 2048).
    let q = QuantParams {
        slope: 1.0,
        activation: ActMode::Threshold,
        act_threshold: 0.25,
        ..QuantParams::default()
    };
    let specs = gate_specs(CellKind::Gru, 1, 1);
    let trits: [&[i8]; 4] = [&[1, 1], &[-1, 0], &[1], &[-1]];
    let gates = specs
        .iter()
        .enumerate()
        .map(|(g, s)| QuantGate {
            name: s.name.into(),
            act: s.act,
            col_offset: s.col_offset,
            w: TernaryMatrix::from_trits(1, s.cols, trits[g]),
            scale: 0.5,
            bias: vec![0.0],
        })
        .collect();
    let m = one_layer(CellKind::Gru, 1, gates, &q);
    let im = IntModel::new(&m, &q).unwrap();
    assert_eq!((im.formats.lut_frac, im.formats.pre_frac), (4, 12));
    let mut g = Golden::new(&im);
    g.state.layers[0].h = vec![1];
    g.state.layers[0].c = vec![512]; // s = 0.5
    let out = g.step(&[1]);
    // z = [x, h] = [1, 1].
    // r: acc 2 -> p 4096 -> index rshift_round(4096, 8) = 16 (x = 1) -> sigma(1)*1024 -> 749
    // u: acc -1 -> p -2048 -> index -8 (x = -0.5) -> sigma(-0.5)*1024 = 386.6 -> 387
    // n_x: acc 1 -> 2048; n_h: acc -1 -> -2048
    // n = tanh(index(2048 + rshift_round(749 * -2048, 10))) = tanh(index(2048 - 1498 = 550))
    //   index = rshift_round(550, 8) = 2 (x = 0.125) -> tanh(0.125)*1024 = 127.35 -> 127
    // s' = 127 + rshift_round(387 * (512 - 127), 10) = 127 + rshift_round(148995, 10) = 127 + 146 = 273
    // h: 273 > 256 -> +1
    assert_eq!(out[0].c, vec![273]);
    assert_eq!(out[0].h, vec![1]);
}
