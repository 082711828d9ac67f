//! The `hitnet` command-line contract: names, JSON keys, exit codes.
use std::path::Path;
use std::process::{Command, Output};

fn hitnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hitnet"))
        .args(args)
        .output()
        .expect("hitnet runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_slice(&o.stdout).expect("one JSON object")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

const CFG: &str = "[model]\ncell = \"gru\"\ninput_size = 13\nhidden_size = 11\nlayers = 2\nseed = 5\n[quant]\nslope = 1.5\nactivation = \"threshold\"\n[hw]\nrows = 4\ncols = 8\n";

#[test]
fn run_json_is_deterministic_and_has_the_contract_keys() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "c.toml", CFG);
    let a = json(&hitnet(&[
        "run", "--config", &cfg, "--tokens", "50", "--seed", "3", "--json",
    ]));
    let b = json(&hitnet(&[
        "run", "--config", &cfg, "--tokens", "50", "--seed", "3", "--json",
    ]));
    assert_eq!(a["digest"], b["digest"]);
    assert_eq!(a["tokens"], 50);
    assert_eq!(a["layers"], 2);
    let c = json(&hitnet(&[
        "run", "--config", &cfg, "--tokens", "50", "--seed", "4", "--json",
    ]));
    assert_ne!(a["digest"], c["digest"]);
}

#[test]
fn run_and_check_work_without_any_file() {
    let o = hitnet(&["run", "--tokens", "10"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("digest:"));
    let j = json(&hitnet(&["check", "--json"]));
    assert_eq!(j["ok"], true);
    assert!(j["widths"]["acc"].as_u64().unwrap() > 0);
}

#[test]
fn bad_input_exits_2_with_one_line_naming_the_culprit() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(String, &str)> = vec![
        ("[model\ncell=".to_string(), "c0.toml"),
        (CFG.replace("layers = 2", "layers = 2\nbogus = 1"), "bogus"),
        (CFG.replace("hidden_size = 11\n", ""), "hidden_size"),
        (
            CFG.replace("input_size = 13", "input_size = 0"),
            "model.input_size",
        ),
        (CFG.replace("rows = 4", "rows = 100000"), "hw.rows"),
        (CFG.replace("slope = 1.5", "slope = -1.0"), "quant.slope"),
        (
            CFG.replace("seed = 5", "seed = 5\nweights = \"missing.json\""),
            "missing.json",
        ),
        (
            CFG.replace("seed = 5", "seed = 5\nweights = \"junk.bin\""),
            "junk.bin",
        ),
    ];
    write(dir.path(), "junk.bin", "\u{0}\u{1}garbage");
    for (k, (text, needle)) in cases.iter().enumerate() {
        let cfg = write(dir.path(), &format!("c{k}.toml"), text);
        for cmd in ["run", "check"] {
            let o = hitnet(&[cmd, "--config", &cfg]);
            let e = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "case {k} {cmd}: {e}");
            assert!(e.contains(needle), "case {k} {cmd}: {e:?} lacks {needle:?}");
            assert_eq!(e.trim_end().lines().count(), 1, "case {k}: {e:?}");
            assert!(!e.contains("panicked"), "{e}");
        }
    }
    let o = hitnet(&["run", "--config", "/no/such/file.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/no/such/file.toml"));
    let o = hitnet(&["run", "--tokens", "many"]);
    assert_eq!(o.status.code(), Some(2));
}
