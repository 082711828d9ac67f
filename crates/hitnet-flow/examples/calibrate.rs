//! Rewrites a resource-model calibration file with each design's features
//! recomputed from its config (and checks its design hash), then prints
//! the leave-one-out table: `cargo run -p hitnet-flow --example calibrate
//! -- fpga/results/resource-model/ice40.json` from the repository root.
use hitnet_flow::estimate::{leave_one_out, point, Calibration};
use std::path::Path;

fn main() {
    let file = std::env::args()
        .nth(1)
        .expect("usage: calibrate CALIBRATION.json");
    let mut cal: Calibration =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("parse");
    let mut points = Vec::new();
    for m in &mut cal.designs {
        let (p, hash) = point(Path::new("."), m).expect("design");
        assert_eq!(hash, m.design_sha256, "{}: not the measured design", m.name);
        m.features = p.features;
        points.push(p);
    }
    std::fs::write(
        &file,
        serde_json::to_string_pretty(&cal).expect("json") + "\n",
    )
    .expect("write");
    for c in leave_one_out(&cal, &points) {
        println!(
            "{:<34} LC {:>5} vs {:>5} ({:+.1}%)  FF {:>5} vs {:>5} ({:+.1}%)  BRAM {} vs {}  DSP {} vs {}",
            c.name, c.predicted.logic, c.measured.logic, 100.0 * c.logic_error, c.predicted.ff,
            c.measured.ff, 100.0 * c.ff_error, c.predicted.bram, c.measured.bram, c.predicted.dsp,
            c.measured.dsp
        );
    }
}
