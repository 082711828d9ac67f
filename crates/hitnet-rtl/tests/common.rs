#![allow(dead_code)]
use hitnet_arch::{Plan, Shape};
use hitnet_model::config::{ActMode, CellKind, QuantParams};
use hitnet_model::defaults;

pub fn plan(
    cell: CellKind,
    i: usize,
    h: usize,
    layers: usize,
    rows: usize,
    cols: usize,
    act: ActMode,
) -> Plan {
    let q = QuantParams {
        activation: act,
        ..QuantParams::default()
    };
    let im = defaults::default_int_model(cell, i, h, layers, 1, &q).unwrap();
    Plan::new(&im, Shape::new(rows, cols)).unwrap()
}

/// [`plan`] without token overlap (`hw.overlap = false`).
pub fn serial_plan(
    cell: CellKind,
    i: usize,
    h: usize,
    layers: usize,
    rows: usize,
    cols: usize,
    act: ActMode,
) -> Plan {
    let q = QuantParams {
        activation: act,
        ..QuantParams::default()
    };
    let im = defaults::default_int_model(cell, i, h, layers, 1, &q).unwrap();
    Plan::new(&im, Shape::new(rows, cols).with_overlap(false)).unwrap()
}
