#![allow(dead_code)]
use hitnet_arch::{Plan, Shape};
use hitnet_model::config::{ActMode, CellKind, QuantParams};
use hitnet_model::{defaults, IntModel};

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
    let fm = defaults::default_float_model(cell, i, h, layers, 1);
    let im = IntModel::new(&fm.quantize(&q).unwrap(), &q).unwrap();
    Plan::new(
        &im,
        Shape {
            rows,
            cols,
            lanes: None,
        },
    )
    .unwrap()
}
