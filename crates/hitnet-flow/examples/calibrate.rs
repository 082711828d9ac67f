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
    println!("| design | LC predicted / measured | FF predicted / measured | BRAM | DSP |");
    println!("|---|---|---|---|---|");
    for c in leave_one_out(&cal, &points) {
        let (p, m) = (&c.predicted, &c.measured);
        let pct = |e: f64| format!("{:+.1}%", 100.0 * e);
        let (lc, ff) = if c.fits {
            (
                format!("{} / {} ({})", p.logic, m.logic, pct(c.logic_error)),
                format!("{} / {} ({})", p.ff, m.ff, pct(c.ff_error)),
            )
        } else {
            ("does not fit: not fitted".into(), "-".into())
        };
        println!(
            "| {} | {lc} | {ff} | {} / {} | {} / {} |",
            c.name, p.bram, m.bram, p.dsp, m.dsp
        );
    }
}
