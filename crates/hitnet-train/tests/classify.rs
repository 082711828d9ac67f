//! `--task classify` end to end on small .ts files the test writes: train,
//! export, evaluate through every implementation; the simulator agrees with
//! the golden model on every h and prediction; bad splits are refused.
use hitnet_model::rng::Rng;
use hitnet_train::classify::{float_path, ClassifyConfig, ClassifyOptions};
use hitnet_train::classify_eval::{classify_job, evaluate_classifier, ClassifyEvalOptions};
use std::path::Path;

/// A two-channel, three-class .ts file: the class sets channel 0's mean
/// (-2, 0, +2); channel 1 is noise; lengths vary (variable-length file).
fn write_ts(path: &Path, n: usize, seed: u64, classes: &[&str]) {
    let mut rng = Rng::new(seed);
    let mut s = String::from(
        "# toy\n@problemName Toy\n@timeStamps false\n@missing false\n@univariate false\n@dimensions 2\n@equalLength false\n@classLabel true a b c\n@data\n",
    );
    for i in 0..n {
        let label = i % classes.len();
        let m = [-2.0, 0.0, 2.0][label];
        let len = 6 + i % 4;
        let ch = |f: &mut dyn FnMut() -> f64| {
            (0..len)
                .map(|_| format!("{:.4}", f()))
                .collect::<Vec<_>>()
                .join(",")
        };
        let c0 = ch(&mut || m + 0.4 * rng.normal());
        let c1 = ch(&mut || 3.0 * rng.normal());
        s += &format!("{c0}:{c1}:{}\n", classes[label]);
    }
    std::fs::write(path, s).unwrap();
}

/// A small classifier writing `dir/m.json`.
fn options(dir: &Path) -> ClassifyOptions {
    let mut config = ClassifyConfig::default();
    config.core.hidden = 8;
    config.core.epochs = 12;
    config.trits_per_channel = 3;
    let out = dir.join("m.json");
    ClassifyOptions {
        config,
        float_out: float_path(&out),
        out,
        progress: false,
    }
}

#[test]
fn train_export_and_every_implementation_agree() {
    let dir = tempfile::tempdir().unwrap();
    let (train, test) = (dir.path().join("TRAIN.ts"), dir.path().join("TEST.ts"));
    write_ts(&train, 60, 1, &["a", "b", "c"]);
    write_ts(&test, 30, 2, &["a", "b", "c"]);
    let opts = options(dir.path());
    let out = opts.out.clone();
    let mut lines = Vec::new();
    let r = classify_job(&train, Some(&test), &opts, &mut |s| {
        lines.push(s.to_string())
    })
    .unwrap();
    assert_eq!(r.train.history.len(), 12);
    assert_eq!((r.train.train_series, r.train.valid_series), (48, 12));
    assert!(
        lines.iter().any(|l| l.starts_with("epoch 12/12")),
        "{lines:?}"
    );
    let t = r.test.expect("evaluated");
    let acc = |name: &str| {
        t.variants
            .iter()
            .find(|v| v.variant == name)
            .unwrap()
            .accuracy
    };
    assert!(acc("golden") >= 0.9, "{}", t.text());
    assert!(acc("full_precision") >= 0.9, "{}", t.text());
    let sim = t.simulator.as_ref().unwrap();
    assert!(sim.agrees && sim.h_mismatches == 0, "{sim:?}");
    assert_eq!(acc("simulator"), acc("golden"));
    let golden = t.variants.iter().find(|v| v.variant == "golden").unwrap();
    assert_eq!(golden.confusion.iter().flatten().sum::<usize>(), 30);

    // The model file alone: the same golden and simulator results.
    let m = hitnet_model::io::load(&out).unwrap();
    let c = m.classifier.as_ref().unwrap();
    assert_eq!((m.input_size, c.input.channels), (6, 2));
    let e = evaluate_classifier(&ClassifyEvalOptions {
        model: out.clone(),
        test: test.clone(),
        rows: Some(4),
        cols: Some(8),
        simulator: true,
        seed: 1,
    })
    .unwrap();
    let names: Vec<&str> = e.variants.iter().map(|v| v.variant).collect();
    assert_eq!(names, ["quantized_float", "golden", "simulator"]);
    assert_eq!(e.variants[1], *golden);
    assert!(e.simulator.unwrap().agrees);

    // A damaged float reference is refused, naming the file, not a panic.
    let fl = float_path(&out);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&fl).unwrap()).unwrap();
    for (key, val) in [("trits_per_channel", 0), ("trits_per_channel", 5)] {
        let mut bad = v.clone();
        bad["config"][key] = val.into();
        let p = dir.path().join("bad.float.json");
        std::fs::write(&p, bad.to_string()).unwrap();
        let opts = ClassifyEvalOptions {
            model: p,
            test: test.clone(),
            rows: None,
            cols: None,
            simulator: false,
            seed: 1,
        };
        let err = evaluate_classifier(&opts).unwrap_err().to_string();
        assert!(err.contains("bad.float.json"), "{err}");
    }
}

#[test]
fn bad_splits_are_refused_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let (train, test) = (dir.path().join("TRAIN.ts"), dir.path().join("TEST.ts"));
    write_ts(&train, 12, 1, &["a", "b"]);
    let opts = options(dir.path());
    let out = opts.out.clone();
    // A test class the training split never had: refused before training.
    let text = std::fs::read_to_string(&train)
        .unwrap()
        .replace("@classLabel true a b c", "@classLabel true a b c d");
    let text = text.replacen(":a\n", ":d\n", 1);
    std::fs::write(&test, text).unwrap();
    let e = classify_job(&train, Some(&test), &opts, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("TEST.ts") && e.contains("`d`") && e.contains("absent from the training split"),
        "{e}"
    );
    assert!(!out.exists());
    // A non-numeric value names the line.
    let bad = std::fs::read_to_string(&train)
        .unwrap()
        .replacen(",", ",x1,", 1);
    std::fs::write(&test, bad).unwrap();
    let e = classify_job(&test, None, &opts, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("TEST.ts:10:"), "{e}");
}
