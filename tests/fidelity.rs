//! The committed trained model on the simulated accelerator: every h equals
//! the golden model's, so its bits per character are the golden model's.
use std::process::Command;

const TEXT: &str = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\nFirst Citizen:\nYou are all resolved rather to die than to famish?\n";

#[test]
fn simulator_equals_golden_on_a_corpus_and_generates() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.txt");
    std::fs::write(&corpus, TEXT.repeat(4)).unwrap();
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/char-lstm64.toml");
    let o = Command::new(env!("CARGO_BIN_EXE_hitnet"))
        .args(["eval", "--model", model, "--corpus"])
        .arg(&corpus)
        .args([
            "--split",
            "all",
            "--simulator",
            "--generate",
            "40",
            "--generate-with",
            "simulator",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["simulator_matches_golden"], true);
    let bits = |name: &str| {
        j["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["variant"] == name)
            .unwrap()["bits_per_token"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(bits("simulator"), bits("golden"));
    assert_eq!(j["generated"]["variant"], "simulator");
    assert!(j["generated"]["text"].as_str().unwrap().len() >= 40);
}
