//! The resource model against its calibration: every measured design is
//! regenerated from its config (same design hash, so the numbers are not
//! stale), block RAM and DSP are predicted exactly, and the logic cells
//! and flip-flops of each design are predicted within 10% by a fit that
//! did not see it (leave-one-out).
use hitnet_flow::estimate::{leave_one_out, point, Calibration, ICE40_CALIBRATION};
use std::path::Path;

#[test]
fn ice40_model_predicts_every_calibration_design() {
    let cal: Calibration = serde_json::from_str(ICE40_CALIBRATION).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut points = Vec::new();
    for m in &cal.designs {
        let (p, hash) = point(&root, m).unwrap();
        assert_eq!(
            hash, m.design_sha256,
            "{}: the generator no longer produces the measured design; re-measure it",
            m.name
        );
        assert_eq!(
            p.features, m.features,
            "{}: recorded features are stale; rerun the calibrate example",
            m.name
        );
        points.push(p);
    }
    let checks = leave_one_out(&cal, &points);
    let mut bad = Vec::new();
    for c in &checks {
        println!(
            "{:<34} LC {:>5} vs {:>5} ({:+.1}%)  FF {:>5} vs {:>5} ({:+.1}%)  BRAM {:>2} vs {:>2}  DSP {} vs {}",
            c.name,
            c.predicted.logic,
            c.measured.logic,
            100.0 * c.logic_error,
            c.predicted.ff,
            c.measured.ff,
            100.0 * c.ff_error,
            c.predicted.bram,
            c.measured.bram,
            c.predicted.dsp,
            c.measured.dsp
        );
        if (c.fits && (c.logic_error.abs() > 0.10 || c.ff_error.abs() > 0.10))
            || c.predicted.bram != c.measured.bram
            || c.predicted.dsp != c.measured.dsp
        {
            bad.push(c.name.clone());
        }
    }
    assert!(bad.is_empty(), "outside the model's accuracy: {bad:?}");
    let placed = checks.iter().filter(|c| c.fits).count();
    assert!(placed >= 10, "{placed} placed designs");
}
