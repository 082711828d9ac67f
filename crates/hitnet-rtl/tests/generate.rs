//! The generator: snapshots, determinism, lint on many shapes, the
//! checked-in reference design, and the output folder's error handling.
mod common;
use hitnet_model::config::{ActMode, CellKind};
use hitnet_model::rng::Rng;
use hitnet_sim::testgen::RandomConfig;
use std::path::Path;

/// The generator's lint (`hitnet_rtl::lint`) on the design in `dir`.
fn lint(dir: &Path) -> String {
    let files: Vec<String> = hitnet_rtl::verilog_files(dir)
        .unwrap()
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    hitnet_rtl::lint::lint(dir, &files, "hitnet_top", &[], &[])
        .unwrap_or_else(|e| panic!("{e} (scripts/setup installs it)"))
}

fn serial(rows: usize, cols: usize) -> hitnet_arch::Shape {
    hitnet_arch::Shape::new(rows, cols).with_overlap(false)
}

#[test]
fn snapshots_of_small_designs() {
    // Without overlap (these snapshots predate it: the serial design is
    // unchanged), and with it: the prefix, the bubble, one accumulator per
    // segment, beats written in place and the late token flags.
    let cases = [
        (
            "lstm_5x3_2x3_bernoulli",
            common::plan_on(CellKind::Lstm, 5, 3, 1, ActMode::Bernoulli, serial(2, 3)),
        ),
        (
            "gru_7x5x2_3x4_threshold",
            common::plan_on(CellKind::Gru, 7, 5, 2, ActMode::Threshold, serial(3, 4)),
        ),
        (
            "lstm_9x6_2x3_bernoulli_overlap",
            common::plan(CellKind::Lstm, 9, 6, 1, 2, 3, ActMode::Bernoulli),
        ),
    ];
    for (name, plan) in cases {
        let d = hitnet_rtl::generate(&plan, serde_json::json!({}));
        insta::assert_snapshot!(name, d.verilog());
    }
    // The ECP5 build: DP16KD weight banks, the simulation model appended.
    let plan = common::plan_on(CellKind::Lstm, 5, 3, 1, ActMode::Bernoulli, serial(2, 3));
    let d = hitnet_rtl::generate_with(&plan, serde_json::json!({}), hitnet_rtl::Bram::Dp16kd);
    insta::assert_snapshot!("lstm_5x3_2x3_bernoulli_dp16kd", d.verilog());
}

#[test]
fn output_is_deterministic() {
    let p = common::plan(CellKind::Gru, 13, 11, 2, 4, 8, ActMode::Bernoulli);
    let a = hitnet_rtl::generate(&p, serde_json::json!({"k": 1}));
    let p2 = common::plan(CellKind::Gru, 13, 11, 2, 4, 8, ActMode::Bernoulli);
    let b = hitnet_rtl::generate(&p2, serde_json::json!({"k": 1}));
    assert_eq!(a.files, b.files);
    assert_eq!(a.manifest, b.manifest);
}

/// What every generated design must hold, checked without a tool (so on
/// every random shape, not only the linted sample): each module declared
/// once, every image the Verilog reads among the files and every file read,
/// the manifest's sizes and cycle count those of the plan.
fn structure_holds(d: &hitnet_rtl::Design, plan: &hitnet_arch::Plan, what: &str) {
    let v = d.verilog();
    let mut modules: Vec<&str> = v
        .lines()
        .filter_map(|l| l.strip_prefix("module "))
        .map(|l| l.split(['(', '#', ' ']).next().unwrap())
        .collect();
    let n = modules.len();
    modules.sort();
    modules.dedup();
    assert_eq!(modules.len(), n, "{what}: a module declared twice");
    assert!(modules.contains(&"hitnet_top"), "{what}");
    let files: std::collections::BTreeSet<&str> = d
        .files
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| n.ends_with(".hex"))
        .collect();
    // Each memory is loaded in three forms (a plain name for Icarus and
    // synthesis, the +hitnet_mem plusarg prefix for Verilator,
    // `HITNET_MEM_DIR): all three must read the same names, a literal or a
    // parameter. The images read are the literals and the instances'
    // values of the image parameters, and must be exactly those written.
    let args = |form: &str| -> std::collections::BTreeSet<&str> {
        v.match_indices(form)
            .map(|(k, m)| {
                let rest = &v[k + m.len()..];
                &rest[..rest.find([',', '}']).unwrap()]
            })
            .collect()
    };
    let mut plain = args("$readmemh(");
    plain.retain(|a| !a.starts_with('{'));
    assert_eq!(args("$readmemh({d, "), plain, "{what}: plusarg form");
    assert_eq!(
        args("$readmemh({`HITNET_MEM_DIR, "),
        plain,
        "{what}: define form"
    );
    let mut read: std::collections::BTreeSet<&str> = plain
        .iter()
        .filter_map(|a| a.strip_prefix('"').and_then(|a| a.strip_suffix('"')))
        .collect();
    for (k, m) in v.match_indices("IMAGE(\"") {
        if matches!(v.as_bytes()[k - 1], b'.' | b'_') {
            let rest = &v[k + m.len()..];
            read.insert(&rest[..rest.find('"').unwrap()]);
        }
    }
    assert_eq!(read, files, "{what}: images read vs images written");
    let i = &d.manifest["interface"];
    assert_eq!(i["input_size"], plan.layers[0].input_size, "{what}");
    assert_eq!(i["hidden_size"], plan.layers[0].hidden_size, "{what}");
    assert_eq!(i["layers"], plan.layers.len(), "{what}");
    assert_eq!(
        d.manifest["cycles_per_token"], plan.cycles.per_token,
        "{what}"
    );
}

#[test]
fn random_shapes_generate_and_lint_clean() {
    let mut rng = Rng::new(31);
    let dir = tempfile::tempdir().unwrap();
    for case in 0..300 {
        let rc = RandomConfig::draw(&mut rng, 120, 3);
        let m = rc.model();
        let plan = rc.plan(&m);
        // Every fifth linted case is the ECP5 build (DP16KD banks).
        let bram = if case % 50 == 0 {
            hitnet_rtl::Bram::Dp16kd
        } else {
            hitnet_rtl::Bram::Inferred
        };
        let d = hitnet_rtl::generate_with(&plan, serde_json::json!({}), bram);
        structure_holds(&d, &plan, &format!("case {case} {rc:?}"));
        // Lint a sample with Verilator -Wall (each takes a fraction of a second).
        if case % 10 == 0 {
            let out = dir.path().join(format!("d{case}"));
            d.write(&out).unwrap();
            let l = lint(&out);
            assert!(l.trim().is_empty(), "case {case} {rc:?}:\n{l}");
        }
    }
}

#[test]
fn default_config_lints_clean() {
    for (cell, act) in [
        (CellKind::Lstm, ActMode::Bernoulli),
        (CellKind::Gru, ActMode::Threshold),
    ] {
        let p = common::plan(cell, 64, 64, 1, 8, 16, act);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("rtl");
        hitnet_rtl::generate(&p, serde_json::json!({}))
            .write(&out)
            .unwrap();
        let l = lint(&out);
        assert!(l.trim().is_empty(), "{l}");
    }
}

/// The ECP5 build in each DP16KD mode (36, 18 and 9 bits), and a bank too
/// deep for one block, which stays inferred.
#[test]
fn dp16kd_modes_lint_clean() {
    for (rows, cols, width) in [
        (8, 16, Some(36)),
        (4, 8, Some(18)),
        (3, 8, Some(9)),
        (1, 8, None),
    ] {
        let p = common::plan(CellKind::Lstm, 64, 64, 1, rows, cols, ActMode::Bernoulli);
        let d = hitnet_rtl::generate_with(&p, serde_json::json!({}), hitnet_rtl::Bram::Dp16kd);
        let wb = &d.manifest["memories"]["weight_bram"];
        match width {
            Some(w) => {
                assert_eq!(wb["primitive"], "DP16KD", "{wb}");
                assert_eq!(wb["width"], w, "{wb}");
                assert_eq!(
                    d.verilog().matches("DP16KD #(").count(),
                    rows * (2 * cols).div_ceil(w)
                );
                assert_eq!(
                    d.verilog().matches(".REGMODE_").count(),
                    2 * rows * (2 * cols).div_ceil(w)
                );
            }
            None => {
                assert_eq!(wb["primitive"], "inferred", "{wb}");
                assert!(!d.verilog().contains("module DP16KD"));
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("rtl");
        d.write(&out).unwrap();
        let l = lint(&out);
        assert!(l.trim().is_empty(), "{rows}x{cols}:\n{l}");
    }
}

#[test]
fn output_folder_errors() {
    let p = common::plan(CellKind::Lstm, 5, 3, 1, 2, 3, ActMode::Bernoulli);
    let d = hitnet_rtl::generate(&p, serde_json::json!({}));
    let dir = tempfile::tempdir().unwrap();
    // A folder with someone else's files is refused and left alone.
    let theirs = dir.path().join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::fs::write(theirs.join("notes.txt"), "keep").unwrap();
    let e = d.write(&theirs).unwrap_err().to_string();
    assert!(e.contains("theirs") && e.contains("manifest.json"), "{e}");
    assert!(theirs.join("notes.txt").exists());
    // A file in the way.
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    assert!(d.write(&file).is_err());
    // An unwritable place: nothing is left behind.
    let bad = Path::new("/proc/hitnet-cannot-write/out");
    let e = d.write(bad).unwrap_err().to_string();
    assert!(e.contains("/proc/hitnet-cannot-write/out:"), "{e}");
    assert!(!e.contains(".out.tmp"), "names the temporary folder: {e}");
    // Our own folder is replaced, atomically.
    let ours = dir.path().join("ours");
    d.write(&ours).unwrap();
    d.write(&ours).unwrap();
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        names.iter().all(|n| !n.to_string_lossy().contains(".tmp")),
        "{names:?}"
    );
}

/// The parameter memories a deployment replaces are generated images of
/// exactly their listed width and depth, and every other image is a fixed
/// table (the activation tables), for BTQ and threshold designs.
#[test]
fn parameter_memories_are_the_generated_images() {
    for (cell, act) in [
        (CellKind::Lstm, ActMode::Bernoulli),
        (CellKind::Gru, ActMode::Threshold),
    ] {
        let plan = common::plan_on(cell, 9, 6, 2, act, serial(2, 3).with_lanes(2));
        let d = hitnet_rtl::generate(&plan, serde_json::json!({}));
        let mems = hitnet_rtl::parameter_memories(&plan);
        for m in &mems {
            let (_, body) = d
                .files
                .iter()
                .find(|(n, _)| n == &m.file)
                .unwrap_or_else(|| panic!("{cell:?}: no image {}", m.file));
            let lines: Vec<&str> = std::str::from_utf8(body).unwrap().lines().collect();
            assert_eq!(lines.len(), m.depth, "{}", m.file);
            assert!(
                lines.iter().all(|l| l.len() == m.width.div_ceil(4)),
                "{}",
                m.file
            );
        }
        let others: Vec<&str> = d
            .files
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| n.ends_with(".hex") && !mems.iter().any(|m| m.file == *n))
            .collect();
        assert_eq!(others, ["act.hex", "tanh.hex"], "{cell:?}");
        let lfsr = mems.iter().filter(|m| m.file.starts_with("lfsr_")).count();
        assert_eq!(lfsr, if act == ActMode::Bernoulli { 2 } else { 0 });
    }
}
