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
    plan_on(cell, i, h, layers, act, Shape::new(rows, cols))
}

/// The default model of these sizes planned on `shape`.
pub fn plan_on(
    cell: CellKind,
    i: usize,
    h: usize,
    layers: usize,
    act: ActMode,
    shape: Shape,
) -> Plan {
    let q = QuantParams {
        activation: act,
        ..QuantParams::default()
    };
    let im = defaults::default_int_model(cell, i, h, layers, 1, &q).unwrap();
    Plan::new(&im, shape).unwrap()
}
