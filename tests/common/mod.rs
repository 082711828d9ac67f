//! Helpers shared by the binary's integration tests.
#![allow(dead_code)] // each test file uses a different subset

use std::path::Path;
use std::process::{Command, Output};

/// Runs the `hitnet` binary built for these tests.
pub fn hitnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hitnet"))
        .args(args)
        .output()
        .expect("hitnet runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The one JSON object a successful `--json` run prints.
pub fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_slice(&o.stdout).expect("one JSON object")
}

/// Writes `text` to `dir/name`; returns the path as a string for argv.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// Trains the tiny model the train and eval tests share (8 hidden units,
/// 2 steps, on one sentence repeated) in `dir`; returns the corpus and the
/// model path (its checkpoint is MODEL.ckpt).
pub fn train_tiny(dir: &Path) -> (String, String) {
    let corpus = write(dir, "c.txt", &"the cat sat on the mat.\n".repeat(40));
    let model = dir.join("m.json").display().to_string();
    let o = hitnet(&[
        "train",
        "--corpus",
        &corpus,
        "--out",
        &model,
        "--hidden",
        "8",
        "--batch",
        "4",
        "--seq-len",
        "8",
        "--epochs",
        "1",
        "--max-steps",
        "2",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    (corpus, model)
}
