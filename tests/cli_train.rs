//! `hitnet train` and `hitnet eval` end to end through the binary: a short
//! run, eval of its model and checkpoint, the resume rule, and bad input
//! (exit code 2, one line on stderr naming the file at fault).
mod common;
use common::{hitnet, json, stderr, train_tiny};
use std::path::{Path, PathBuf};

/// Runs `hitnet args`, which must fail on bad input: exit code 2 and one
/// line "error: ..." on stderr. Returns that line.
fn err(args: &[&str]) -> String {
    let o = hitnet(args);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
    let line = e
        .lines()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or_else(|| panic!("{args:?}: no error line: {e}"))
        .to_string();
    assert_eq!(e.trim_end(), format!("error: {line}"), "{args:?}: one line");
    line
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn train_eval_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (corpus, model) = train_tiny(d);
    let (corpus, model) = (PathBuf::from(corpus), PathBuf::from(model));
    let ckpt = d.join("m.json.ckpt");
    assert!(model.exists() && ckpt.exists());
    for m in [&model, &ckpt] {
        json(&hitnet(&[
            "eval",
            "--model",
            &s(m),
            "--corpus",
            &s(&corpus),
            "--generate",
            "20",
            "--json",
        ]));
    }
    // Resume may only change --epochs.
    let e = err(&[
        "train",
        "--corpus",
        &s(&corpus),
        "--out",
        &s(&model),
        "--hidden",
        "9",
        "--resume",
    ]);
    assert!(
        e.contains("m.json.ckpt") && e.contains("only --epochs"),
        "{e}"
    );

    let empty = d.join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let e = err(&[
        "train",
        "--corpus",
        &s(&empty),
        "--out",
        &s(&d.join("x.json")),
    ]);
    assert!(e.contains("empty.txt") && e.contains("empty"), "{e}");
    let bin = d.join("bin.dat");
    std::fs::write(&bin, [0u8, 159, 146, 150, 7, 0, 1]).unwrap();
    let e = err(&["eval", "--model", &s(&model), "--corpus", &s(&bin)]);
    assert!(
        e.contains("bin.dat") && e.contains("not a text corpus"),
        "{e}"
    );
    let other = d.join("other.txt");
    std::fs::write(&other, "Zebras!\n").unwrap();
    let e = err(&["eval", "--model", &s(&model), "--corpus", &s(&other)]);
    assert!(
        e.contains("other.txt") && e.contains("vocabulary mismatch"),
        "{e}"
    );
    let bad = d.join("bad.ckpt");
    std::fs::write(&bad, b"\x10\0\0\0\0\0\0\0{not json at all").unwrap();
    let e = err(&["eval", "--model", &s(&bad), "--corpus", &s(&corpus)]);
    assert!(e.contains("bad.ckpt") && e.contains("checkpoint"), "{e}");
    let e = err(&[
        "train",
        "--corpus",
        &s(&corpus),
        "--out",
        &s(&d.join("y.json")),
        "--resume",
    ]);
    assert!(e.contains("y.json.ckpt"), "{e}");
}

/// A resumed run may change --epochs (and continues from the checkpoint);
/// `--bench` measures without writing anything and reports its statistics.
#[test]
fn resume_with_more_epochs_and_bench() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let corpus = d.join("c.txt");
    std::fs::write(&corpus, "the cat sat on the mat.\n".repeat(40)).unwrap();
    let model = s(&d.join("m.json"));
    let small = [
        "--hidden",
        "8",
        "--batch",
        "4",
        "--seq-len",
        "8",
        "--quiet",
        "--json",
    ];
    let train = |extra: &[&str]| {
        let mut args = vec![
            "train",
            "--corpus",
            corpus.to_str().unwrap(),
            "--out",
            model.as_str(),
        ];
        args.extend_from_slice(&small);
        args.extend_from_slice(extra);
        json(&hitnet(&args))
    };
    let a = train(&["--epochs", "1", "--max-steps", "2"]);
    assert_eq!(a["steps"], 2);
    assert_eq!(a["finished"], false);
    assert_eq!(a["checkpoint"], format!("{model}.ckpt"));
    assert_eq!(a["model"], model.as_str());
    let b = train(&["--epochs", "2", "--max-steps", "1", "--resume"]);
    assert_eq!(b["steps"], 3, "{b}");
    assert_eq!(b["total_steps"], 2 * a["total_steps"].as_u64().unwrap());
    for k in ["tokens_seen", "train_seconds", "tokens_per_second"] {
        assert!(b[k].as_f64().unwrap() > 0.0, "{k}: {b}");
    }
    assert!(b["ternary_weights"].as_u64().unwrap() > 0);
    assert!(b["history"].is_array());

    let before: Vec<_> = std::fs::read_dir(d).unwrap().collect();
    let mut args = vec![
        "train",
        "--corpus",
        corpus.to_str().unwrap(),
        "--bench",
        "3",
        "--bench-warmup",
        "1",
    ];
    args.extend_from_slice(&small);
    let j = json(&hitnet(&args));
    assert_eq!(j["steps"], 3);
    assert_eq!(j["warmup"], 1);
    assert_eq!(j["tokens_per_step"], 32);
    assert_eq!(j["config"]["hidden"], 8);
    let (lo, med, hi) = (
        j["min_tokens_per_second"].as_f64().unwrap(),
        j["median_tokens_per_second"].as_f64().unwrap(),
        j["max_tokens_per_second"].as_f64().unwrap(),
    );
    assert!(0.0 < lo && lo <= med && med <= hi, "{j}");
    assert_eq!(std::fs::read_dir(d).unwrap().count(), before.len());
    let e = err(&[
        "train",
        "--corpus",
        corpus.to_str().unwrap(),
        "--bench",
        "0",
    ]);
    assert!(e.contains("--bench needs at least 1 step"), "{e}");
}

/// A small two-channel, two-class .ts file (class sets channel 0's sign).
fn toy_ts(dir: &Path, name: &str, n: usize, seed: u64) -> String {
    let mut rng = hitnet_model::rng::Rng::new(seed);
    let mut t = String::from(
        "@problemName Toy\n@timeStamps false\n@univariate false\n@dimensions 2\n@equalLength true\n@classLabel true up down\n@data\n",
    );
    for i in 0..n {
        let m = if i % 2 == 0 { 1.5 } else { -1.5 };
        let ch = |rng: &mut hitnet_model::rng::Rng, m: f64| {
            (0..8)
                .map(|_| format!("{:.3}", m + 0.5 * rng.normal()))
                .collect::<Vec<_>>()
                .join(",")
        };
        let (a, b) = (ch(&mut rng, m), ch(&mut rng, 0.0));
        t += &format!("{a}:{b}:{}\n", if i % 2 == 0 { "up" } else { "down" });
    }
    common::write(dir, name, &t)
}

#[test]
fn classify_train_eval_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let train = toy_ts(d, "T_TRAIN.ts", 24, 1);
    let test = toy_ts(d, "T_TEST.ts", 12, 2);
    let model = s(&d.join("c.json"));
    let base = [
        "train", "--task", "classify", "--train", &train, "--out", &model, "--hidden", "4",
        "--epochs", "6",
    ];
    let mut args = base.to_vec();
    args.extend(["--test", &test, "--quiet", "--json"]);
    let r = json(&hitnet(&args));
    assert_eq!(r["train"]["history"].as_array().unwrap().len(), 6);
    let names: Vec<&str> = (r["test"]["variants"].as_array().unwrap().iter())
        .map(|v| v["variant"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "full_precision",
            "as_trained",
            "quantized_float",
            "golden",
            "simulator"
        ]
    );
    assert_eq!(r["test"]["simulator"]["agrees"], true);
    // The model alone, through eval; its text names every class.
    let e = json(&hitnet(&[
        "eval", "--model", &model, "--test", &test, "--json",
    ]));
    assert_eq!(e["series"], 12);
    let o = hitnet(&["eval", "--model", &model, "--test", &test]);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success() && text.contains("golden") && text.contains("down"),
        "{text}"
    );

    // Bad input: exit 2 and one line naming the file (and line).
    let bad = common::write(
        d,
        "B.ts",
        "@problemName B\n@classLabel true a b\n@data\n1,2:a\n1,x:b\n",
    );
    let e = err(&["eval", "--model", &model, "--test", &bad]);
    assert!(e.contains("B.ts:5:"), "{e}");
    let mut a = base.to_vec();
    a[4] = &bad;
    let e = err(&a);
    assert!(e.contains("B.ts:5:") && e.contains("`x`"), "{e}");
    let e = err(&["train", "--task", "classify", "--out", &model]);
    assert!(e.contains("--train"), "{e}");
    let mut a = base.to_vec();
    a.extend(["--embed", "8"]);
    let e = err(&a);
    assert!(
        e.contains("embed") && e.contains("--trits-per-channel"),
        "{e}"
    );
    let e = err(&["eval", "--model", &train, "--test", &test]);
    assert!(e.contains("T_TRAIN.ts"), "{e}");
    let lm = train_tiny(d).1;
    let e = err(&["eval", "--model", &lm, "--test", &test]);
    assert!(e.contains("no classifier"), "{e}");
}
