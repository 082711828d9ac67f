use super::*;
use hitnet_model::config::{CellKind, QuantParams};
use hitnet_model::{defaults, IntModel};

fn int_model(cell: CellKind, i: usize, h: usize, layers: usize) -> IntModel {
    let q = QuantParams::default();
    defaults::default_int_model(cell, i, h, layers, 1, &q).unwrap()
}

fn shape(rows: usize, cols: usize) -> Shape {
    Shape::new(rows, cols)
}

#[test]
fn ptb_lstm_on_16x32_is_within_5_percent_of_the_bound() {
    let m = int_model(CellKind::Lstm, 300, 300, 1);
    let p = Plan::new(&m, shape(16, 32)).unwrap();
    // 4 * 300 * 600 / 512 = 1406.25
    assert!((p.cycles.bound_per_token - 1406.25).abs() < 1e-9);
    // 19 groups (304 units) x 4 gates x 19 blocks = 1444 issue cycles.
    assert_eq!(p.layers[0].mvm_cycles, 1444);
    let over = p.cycles.per_token as f64 / p.cycles.bound_per_token - 1.0;
    assert!(
        over < 0.05,
        "{} cycles, {:.2}% over",
        p.cycles.per_token,
        100.0 * over
    );
    assert_eq!(p.lanes, 2);
}

#[test]
fn gru_segments_cover_their_columns() {
    let m = int_model(CellKind::Gru, 13, 11, 2);
    let p = Plan::new(&m, shape(4, 8)).unwrap();
    let l0 = &p.layers[0];
    // z = 24 columns = 3 blocks; n_x covers [0, 13) -> blocks 0..2; n_h [13, 24) -> blocks 1..3.
    assert_eq!(l0.segments[2].block_start, 0);
    assert_eq!(l0.segments[2].blocks, 2);
    assert_eq!(l0.segments[3].block_start, 1);
    assert_eq!(l0.segments[3].blocks, 2);
    assert_eq!(l0.mvm_cycles, 3 * (3 + 3 + 2 + 2));
}

#[test]
fn weight_images_hold_every_weight_exactly_once() {
    for cell in [CellKind::Lstm, CellKind::Gru] {
        for (rows, cols) in [(1, 1), (3, 5), (4, 8), (7, 13)] {
            let m = int_model(cell, 19, 17, 2);
            let p = Plan::new(&m, shape(rows, cols)).unwrap();
            let im = p.images();
            let nonzero_in_images: usize = im
                .weights
                .iter()
                .flatten()
                .map(|w| (w.pos.count_ones() + w.neg.count_ones()) as usize)
                .sum();
            let nonzero_in_model: usize = m
                .layers
                .iter()
                .flat_map(|l| l.gates.iter().map(|g| g.w.nonzeros()))
                .sum();
            assert_eq!(
                nonzero_in_images, nonzero_in_model,
                "{cell:?} {rows}x{cols}"
            );
        }
    }
}

#[test]
fn bad_shapes_are_errors() {
    let m = int_model(CellKind::Lstm, 10, 6, 1);
    assert!(Plan::new(&m, shape(7, 4))
        .unwrap_err()
        .to_string()
        .contains("hw.rows"));
    assert!(Plan::new(&m, shape(2, 17))
        .unwrap_err()
        .to_string()
        .contains("hw.cols"));
    let e = Plan::new(&m, shape(6, 4).with_lanes(4))
        .unwrap_err()
        .to_string();
    assert!(e.contains("hw.post_lanes"), "{e}");
}

#[test]
fn tree_widths_hold_their_nodes() {
    for cols in 1..=64usize {
        let spans = tree_spans(cols);
        assert_eq!(*spans.last().unwrap(), cols, "root covers every column");
        assert_eq!(spans.len() - 1, (cols as f64).log2().ceil() as usize);
    }
    // The accumulator holds the root for every column count.
    let m = int_model(CellKind::Lstm, 40, 24, 1);
    for cols in 1..=40 {
        let p = Plan::new(&m, shape(4, cols)).unwrap();
        assert!(p.widths.acc >= *p.widths.tree.last().unwrap());
    }
}

#[test]
fn trit_word_hex_encoding() {
    let mut w = TritWord::default();
    w.set(0, 1);
    w.set(1, -1);
    w.set(3, 1);
    // trit0 = 01, trit1 = 11, trit2 = 00, trit3 = 01 -> bits 01 00 11 01 = 0x4d
    assert_eq!(w.hex(4), "4d");
    assert_eq!(w.hex(5), "04d");
}

#[test]
fn z_sources_follow_the_layer_layout() {
    let m = int_model(CellKind::Lstm, 5, 4, 2);
    let p = Plan::new(&m, shape(2, 4)).unwrap();
    assert_eq!(
        p.z_sources(0, 1),
        vec![
            ZSrc::X(4),
            ZSrc::Old(0, 0),
            ZSrc::Old(0, 1),
            ZSrc::Old(0, 2)
        ]
    );
    assert_eq!(
        p.z_sources(0, 2),
        vec![ZSrc::Old(0, 3), ZSrc::Zero, ZSrc::Zero, ZSrc::Zero]
    );
    assert_eq!(
        p.z_sources(1, 0),
        vec![
            ZSrc::New(0, 0),
            ZSrc::New(0, 1),
            ZSrc::New(0, 2),
            ZSrc::New(0, 3)
        ]
    );
}

/// A refused lane count's hint names a count the plan then accepts (rows
/// 69 once got "use at least 35 lanes", and 35 does not divide 69).
#[test]
fn lane_hints_are_accepted() {
    let m = int_model(CellKind::Lstm, 10, 70, 1);
    let mut checked = 0;
    for rows in 1..=70usize {
        for cols in [2usize, 5, 16] {
            for p in 1..=rows {
                if rows % p != 0 {
                    continue;
                }
                let Err(e) = Plan::new(&m, shape(rows, cols).with_lanes(p)) else {
                    continue;
                };
                let e = e.to_string();
                let Some(hint) = e.split("; use ").nth(1) else {
                    continue;
                };
                let q: usize = hint.split(' ').next().unwrap().parse().unwrap();
                let ok = Plan::new(&m, shape(rows, cols).with_lanes(q));
                assert!(ok.is_ok(), "rows {rows} cols {cols}: {e} -> {q}: {ok:?}");
                checked += 1;
            }
        }
    }
    assert!(checked > 10, "{checked} hints checked");
}

#[test]
fn overlap_hides_the_tail_within_3_percent_of_the_bound() {
    // The default config (LSTM 64/64 on 8 x 16) and PTB size on 16 x 32:
    // the acceptance of the throughput issue (#12, goal 1).
    for (i, h, rows, cols) in [(64, 64, 8, 16), (300, 300, 16, 32)] {
        let m = int_model(CellKind::Lstm, i, h, 1);
        let p = Plan::new(&m, shape(rows, cols)).unwrap();
        let serial = Plan::new(&m, shape(rows, cols).with_overlap(false)).unwrap();
        let over = p.cycles.per_token as f64 / p.cycles.bound_per_token;
        println!(
            "{i}/{h} {rows}x{cols}: {} cycles (bubble {}, prefix {}, lanes {}), bound {}, {:.4}x; without overlap {}",
            p.cycles.per_token,
            p.bubble,
            p.layers[0].prefix,
            p.lanes,
            p.cycles.bound_per_token,
            over,
            serial.cycles.per_token
        );
        assert!(over <= 1.03, "{over}");
        assert!(p.cycles.per_token < serial.cycles.per_token);
    }
}
