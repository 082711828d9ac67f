//! The `hitnet` command-line contract: names, JSON keys, exit codes.
mod common;
use common::{hitnet, json, stderr, train_tiny, write};
use std::process::Command;

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
    // Pinned: it moves only with a deliberate change of the arithmetic,
    // the default weights or the stimulus (then update it with that change).
    assert_eq!(
        a["digest"],
        "cfec1688abac399a085a301c77d27d91165c0c91ea4add7ba5f10b630f41513f"
    );
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
            "line 3: invalid value for `model.input_size`",
        ),
        (
            CFG.replace("input_size = 13", "input_size = \"x\""),
            "line 3, column 14: invalid type: string \"x\", expected usize for `model.input_size`",
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
        // Inside the per-key limits but too big to hold: refused at once
        // (this one would need ~86 GB), not by an allocation abort.
        (
            CFG.replace("input_size = 13", "input_size = 8192")
                .replace("hidden_size = 11", "hidden_size = 8192")
                .replace("layers = 2", "layers = 16"),
            "ternary weights, more than the 67108864",
        ),
        // A model "file" that never ends is refused at the size limit.
        (
            CFG.replace("seed = 5", "seed = 5\nweights = \"/dev/zero\""),
            "larger than 256 MiB, the limit for a model file",
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
    let e = stderr(&o);
    assert!(e.contains("/no/such/file.toml"));
    // The OS error once, not once per error in the chain.
    assert_eq!(e.matches("os error 2").count(), 1, "{e}");
    let o = hitnet(&["check", "--config", "/dev/zero"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/dev/zero: larger than 1 MiB, the limit for a config file"),
        "{}",
        stderr(&o)
    );
    let o = hitnet(&["run", "--tokens", "many"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn gen_sim_cosim_contract_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "c.toml", CFG);
    let out = dir.path().join("rtl");
    let out_s = out.display().to_string();
    let j = json(&hitnet(&[
        "gen", "--config", &cfg, "--out", &out_s, "--json",
    ]));
    assert!(j["cycles_per_token"].as_u64().unwrap() > 0);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["top"], "hitnet_top");
    assert_eq!(manifest["cycles_per_token"], j["cycles_per_token"]);
    for k in [
        "ports",
        "widths",
        "files",
        "cycle_formula",
        "bound_cycles_per_token",
        "config",
    ] {
        assert!(!manifest[k].is_null(), "manifest lacks {k}");
    }
    let s = json(&hitnet(&[
        "sim", "--config", &cfg, "--tokens", "30", "--json",
    ]));
    for k in [
        "cycles_per_token",
        "bound_cycles_per_token",
        "utilization",
        "tokens",
        "matches_golden",
    ] {
        assert!(!s[k].is_null(), "sim --json lacks {k}");
    }
    assert_eq!(s["matches_golden"], true);
    assert_eq!(
        s["cycles_per_token"].as_f64().unwrap(),
        j["cycles_per_token"].as_f64().unwrap()
    );
    // Shapes that cannot work.
    let bad = write(
        dir.path(),
        "bad.toml",
        &CFG.replace("rows = 4", "rows = 12"),
    );
    let o = hitnet(&["gen", "--config", &bad, "--out", &out_s]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("hw.rows"), "{}", stderr(&o));
    // An output folder that is not ours, and one that cannot be written.
    let theirs = dir.path().join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::fs::write(theirs.join("x.v"), "keep").unwrap();
    let o = hitnet(&[
        "gen",
        "--config",
        &cfg,
        "--out",
        &theirs.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(theirs.join("x.v").exists());
    let o = hitnet(&["gen", "--config", &cfg, "--out", "/proc/hitnet/x"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).trim_end().lines().count(), 1, "{}", stderr(&o));
}

#[test]
fn cosim_without_verilator_says_what_to_install() {
    let o = Command::new(env!("CARGO_BIN_EXE_hitnet"))
        .args(["cosim", "--tokens", "5"])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("verilator") && e.contains("scripts/setup"),
        "{e}"
    );
}

#[test]
fn cosim_cli_is_bit_exact_on_the_default_model() {
    let o = hitnet(&["cosim", "--tokens", "40", "--stall-percent", "10", "--json"]);
    let j = json(&o);
    for k in [
        "tokens",
        "mismatches",
        "rtl_cycles",
        "sim_cycles",
        "bit_exact",
    ] {
        assert!(!j[k].is_null(), "cosim --json lacks {k}");
    }
    assert_eq!(j["bit_exact"], true);
    assert_eq!(j["mismatches"], 0);
    assert_eq!(j["rtl_cycles"], j["sim_cycles"]);
}

/// A full disk on stdout is an error (exit 1, one line naming stdout), a
/// closed pipe ends the command quietly with 141 as SIGPIPE would; neither
/// panics.
#[test]
fn stdout_failures_are_handled() {
    let bin = env!("CARGO_BIN_EXE_hitnet");
    let cases: [&[&str]; 5] = [
        &["check"],
        &["check", "--json"],
        &["sim", "--json", "--tokens", "3"],
        &["run", "--tokens", "20"],
        &["--help"],
    ];
    for args in cases {
        let full = std::fs::File::options()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let o = Command::new(bin).args(args).stdout(full).output().unwrap();
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {e}");
        assert!(
            e.contains("cannot write the output") && e.contains("No space left"),
            "{args:?}: {e}"
        );
        assert!(!e.contains("panicked"), "{args:?}: {e}");
    }
    // The reader goes away before the command writes its summary.
    let mut child = Command::new(bin)
        .args(["run", "--tokens", "30000"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(141), "{e}");
    assert!(e.is_empty(), "{e}");
}

/// Gate scales and biases from tame to absurd in a model file: every
/// command either refuses the model (exit 2, naming the gate) or accepts it,
/// and then the RTL co-simulates bit-exact (golden = simulator = RTL); `gen`
/// never panics. The fuzzer's findings: scale 1e15 accepted and 14
/// sim-vs-RTL mismatches; bias 1e17 a panic in `gen`.
#[test]
fn extreme_scales_are_refused_or_bit_exact() {
    use hitnet_model::config::{CellKind, QuantParams};
    let dir = tempfile::tempdir().unwrap();
    let mut accepted = 0;
    let mut refused = 0;
    for (k, (cell, scale, bias)) in [
        (CellKind::Lstm, 1e6, 0.0),
        (CellKind::Lstm, 3e9, 0.0),
        (CellKind::Lstm, 1e15, 0.0),
        (CellKind::Gru, 1e8, 2e8),
        (CellKind::Lstm, 0.5, 1e17),
        // Too small to represent (the fuzzer: the message named neither
        // the file nor the gate).
        (CellKind::Lstm, 1e-300, 0.0),
    ]
    .into_iter()
    .enumerate()
    {
        let mut m = hitnet_model::defaults::default_float_model(cell, 2, 2, 1, 3)
            .quantize(&QuantParams::default())
            .unwrap();
        m.layers[0].gates[0].scale = scale;
        m.layers[0].gates[0].bias[0] = bias;
        let mf = dir.path().join(format!("m{k}.json"));
        hitnet_model::io::save(&m, &mf).unwrap();
        let cfg = write(
            dir.path(),
            &format!("c{k}.toml"),
            &format!(
                "[model]\ncell = \"{}\"\ninput_size = 2\nhidden_size = 2\nweights = \"m{k}.json\"\n[hw]\nrows = 2\ncols = 4\n",
                cell.name()
            ),
        );
        let out = dir.path().join(format!("g{k}")).display().to_string();
        let what = format!("{cell:?} scale {scale:e} bias {bias:e}");
        let c = hitnet(&["check", "--config", &cfg]);
        let g = hitnet(&["gen", "--config", &cfg, "--out", &out]);
        let s = hitnet(&["cosim", "--config", &cfg, "--tokens", "40", "--json"]);
        for o in [&c, &g, &s] {
            assert!(!stderr(o).contains("panicked"), "{what}: {}", stderr(o));
        }
        if c.status.code() == Some(2) {
            refused += 1;
            for o in [&g, &s] {
                assert_eq!(o.status.code(), Some(2), "{what}: {}", stderr(o));
            }
            assert!(
                stderr(&c).contains("layers[0].gates.")
                    && stderr(&c).contains(&format!("m{k}.json")),
                "{what}: {}",
                stderr(&c)
            );
        } else {
            accepted += 1;
            assert!(c.status.success(), "{what}: {}", stderr(&c));
            assert!(g.status.success(), "{what}: {}", stderr(&g));
            let j = json(&s);
            assert_eq!(j["bit_exact"], true, "{what}: {j}");
        }
    }
    assert!(
        accepted >= 2 && refused >= 2,
        "accepted {accepted}, refused {refused}"
    );
}

/// `sim` streams its stimulus and comparison: a trillion tokens start
/// running instead of aborting on a 32 TB allocation; `cosim`, which keeps
/// every beat, refuses more than a million tokens up front.
#[test]
fn huge_token_counts() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hitnet"))
        .args(["sim", "--tokens", "1000000000000"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let still_running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let o = child.wait_with_output().unwrap();
    assert!(still_running, "sim exited early: {}", stderr(&o));
    let o = hitnet(&["cosim", "--tokens", "1000000000000"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("1..=1000000"), "{}", stderr(&o));
}

/// `check` runs the plan's and the target table's validation: what gen,
/// sim and synth refuse, check refuses too (exit 0 from check means every
/// command accepts the config).
#[test]
fn check_refuses_what_the_plan_and_targets_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (CFG.replace("rows = 4", "rows = 40"), "hw.rows"),
        (CFG.replace("cols = 8", "cols = 80"), "hw.cols"),
        (
            CFG.replace("cols = 8", "cols = 8\npost_lanes = 3"),
            "hw.post_lanes",
        ),
        (
            CFG.replace("cols = 8", "cols = 8\ntarget = \"xc7\""),
            "hw.target",
        ),
    ];
    for (k, (text, key)) in cases.iter().enumerate() {
        let cfg = write(dir.path(), &format!("k{k}.toml"), text);
        // Every command refuses what check refuses (the fuzzer found gen
        // and sim accepting an unknown hw.target that check refused).
        for cmd in ["check", "gen", "sim"] {
            let mut args = vec![cmd, "--config", &cfg];
            let out = dir.path().join(format!("o{k}")).display().to_string();
            if cmd == "gen" {
                args.extend(["--out", &out]);
            }
            let o = hitnet(&args);
            let e = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{cmd} case {k}: {e}");
            assert!(e.contains(key), "{cmd} case {k}: {e}");
        }
    }
    let ok = write(dir.path(), "ok.toml", CFG);
    let j = json(&hitnet(&["check", "--config", &ok, "--json"]));
    assert!(j["cycles_per_token"].as_u64().unwrap() > 0);
    assert_eq!(j["target"], "ice40-up5k");
}

/// Flags out of range are refused up front, not clamped or run anyway.
#[test]
fn out_of_range_flags_are_refused() {
    let cases: [(&[&str], &str); 13] = [
        (&["eval", "--generate", "1000000000000"], "1..=1000000"),
        (&["eval", "--generate", "0"], "1..=1000000"),
        (&["sim", "--stall-percent", "99"], "0..=95"),
        (&["sim", "--clock-mhz", "1e308"], "(0, 1000]"),
        (&["sim", "--clock-mhz", "nan"], "--clock-mhz"),
        (&["bench", "--tokens", "0"], "1..=100000"),
        (&["bench", "--tokens", "1000000000000"], "1..=100000"),
        (&["cosim", "--random-init", "0"], "--random-init"),
        (&["cosim", "--stall-percent", "96"], "0..=95"),
        (&["bench", "--batches", "0"], "1..=10000"),
        (&["cosim", "--vcd", "/no/such/dir/x.vcd"], "--vcd"),
        (&["cosim", "--vcd", "/tmp"], "is a folder"),
        (&["verify", "--vcd", "/no/such/dir/x.vcd"], "--vcd"),
    ];
    for (args, needle) in cases {
        let t = std::time::Instant::now();
        let o = hitnet(args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert!(e.contains(needle), "{args:?}: {e}");
        // Before any build.
        assert!(
            t.elapsed().as_secs() < 10,
            "{args:?} took {:?}",
            t.elapsed()
        );
    }
}

#[test]
fn a_language_model_state_dict_is_imported_with_a_note_on_what_was_not() {
    // nn.Embedding + nn.LSTM + nn.Linear saved together: the RNN is
    // imported, and every command says which tensors it did not use.
    let dir = tempfile::tempdir().unwrap();
    let fm = hitnet_model::defaults::default_float_model(hitnet_model::CellKind::Gru, 13, 11, 2, 3);
    let mut sd = hitnet_model::import::state_dict(&fm, "rnn.");
    sd.push(("embedding.weight".into(), vec![20, 13], vec![0.1; 260]));
    sd.push(("decoder.weight".into(), vec![20, 11], vec![0.1; 220]));
    sd.push(("decoder.bias".into(), vec![20], vec![0.1; 20]));
    std::fs::write(
        dir.path().join("lm.safetensors"),
        hitnet_model::import::serialize_f32(&sd),
    )
    .unwrap();
    let cfg = write(
        dir.path(),
        "c.toml",
        &CFG.replace("seed = 5", "seed = 5\nweights = \"lm.safetensors\""),
    );
    let o = hitnet(&["run", "--config", &cfg, "--tokens", "3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    for t in [
        "embedding.weight [20, 13]",
        "decoder.weight [20, 11]",
        "decoder.bias [20]",
        "3 tensors",
    ] {
        assert!(e.contains(t), "{t} missing: {e}");
    }
    let j = json(&hitnet(&["check", "--config", &cfg, "--json"]));
    assert_eq!(
        j["model"]["ignored_tensors"].as_array().unwrap().len(),
        3,
        "{j}"
    );
}

/// The fuzzer's neighbours in `train` and `eval`: an unwritable --out or
/// --checkpoint is refused before training starts (it used to fail after
/// the first epoch, naming the checkpoint), and an endless corpus or model
/// file is refused at a size limit instead of growing without bound.
#[test]
fn train_and_eval_refuse_bad_paths_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = write(
        dir.path(),
        "c.txt",
        &"hello world, said the fuzzer\n".repeat(40),
    );
    let cases: [(Vec<&str>, &str); 5] = [
        (
            vec!["train", "--corpus", &corpus, "--out", "/nonexistent/m.json"],
            "`--out`: cannot write /nonexistent/m.json",
        ),
        (
            vec!["train", "--corpus", &corpus, "--out", "/"],
            "`--out`: / is a folder",
        ),
        (
            vec![
                "train",
                "--corpus",
                &corpus,
                "--out",
                "m.json",
                "--checkpoint",
                "/nonexistent/c",
            ],
            "`--checkpoint`: cannot write /nonexistent/c",
        ),
        (
            vec!["train", "--corpus", "/dev/zero", "--out", "m.json"],
            "/dev/zero: larger than 256 MiB, the limit for a training corpus",
        ),
        (
            vec!["eval", "--model", "/dev/zero", "--corpus", &corpus],
            "/dev/zero: larger than 256 MiB",
        ),
    ];
    for (args, want) in cases {
        let o = Command::new(env!("CARGO_BIN_EXE_hitnet"))
            .args(&args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert!(e.contains(want), "{args:?}: {e}");
    }
    // Nothing was trained or left behind.
    assert!(!dir.path().join("m.json").exists());
    assert!(!dir.path().join("m.json.ckpt").exists());
}

/// `eval --json` after a short `train`: what it reports is checked, not
/// only that it ran (per variant: tokens, bits, perplexity = 2^bits; the
/// golden model close to the quantized float one; generated text from the
/// corpus's characters, the same on a second run).
#[test]
fn train_then_eval_reports_what_it_measured() {
    let dir = tempfile::tempdir().unwrap();
    let (corpus, model) = train_tiny(dir.path());
    let eval = || {
        json(&hitnet(&[
            "eval",
            "--model",
            &model,
            "--corpus",
            &corpus,
            "--generate",
            "20",
            "--json",
        ]))
    };
    let j = eval();
    assert_eq!(j["cell"], "lstm");
    assert_eq!(j["hidden_size"], 8);
    let vocab = j["vocab"].as_u64().unwrap();
    assert_eq!(vocab, 12, "distinct characters of the corpus: {j}");
    let results = j["results"].as_array().unwrap();
    let names: Vec<&str> = results
        .iter()
        .map(|r| r["variant"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"golden") && names.contains(&"quantized_float"),
        "{names:?}"
    );
    for r in results {
        let bits = r["bits_per_token"].as_f64().unwrap();
        let ppl = r["perplexity"].as_f64().unwrap();
        assert!(r["tokens"].as_u64().unwrap() > 0, "{r}");
        // Two steps of training: no better than a perfect model, no worse
        // than twice a uniform guess.
        assert!(bits > 0.0 && bits < 2.0 * (vocab as f64).log2(), "{r}");
        assert!((ppl - bits.exp2()).abs() < 1e-9 * ppl, "{r}");
    }
    let gap = j["golden_vs_quantized_float"].as_f64().unwrap();
    assert!(gap.abs() < 0.5, "golden vs quantized float: {gap} bits");
    let text = j["generated"]["text"].as_str().unwrap();
    // The default prompt (a newline), then the 20 sampled characters.
    assert!(text.starts_with('\n'), "{text:?}");
    assert_eq!(text.chars().count(), 1 + 20, "{text:?}");
    assert!(
        text.chars().all(|c| "the casonm.\n".contains(c)),
        "{text:?}"
    );
    assert_eq!(eval()["generated"], j["generated"], "generation is seeded");
    // The simulated accelerator: 8 x 16 unless --rows / --cols say otherwise.
    let sim_array = |extra: &[&str]| {
        let mut args = vec![
            "eval",
            "--model",
            &model,
            "--corpus",
            &corpus,
            "--simulator",
            "--json",
        ];
        args.extend_from_slice(extra);
        let j = json(&hitnet(&args));
        let r = j["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["variant"] == "simulator")
            .cloned();
        assert_eq!(j["simulator_matches_golden"], true, "{j}");
        r.unwrap()["array"].as_str().unwrap().to_string()
    };
    assert_eq!(sim_array(&[]), "8x16");
    assert_eq!(sim_array(&["--rows", "2", "--cols=4"]), "2x4");
}

/// A co-simulation that runs and disagrees exits 1 (not 2: the input was
/// fine), with the first mismatch on stderr and a VCD: here every nonzero
/// weight of the first nonzero word of row 0's image is negated behind the
/// golden model's back.
#[test]
fn cosim_mismatch_exits_1_with_the_first_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "c.toml", CFG);
    let design = dir.path().join("d");
    let d = design.display().to_string();
    assert!(hitnet(&["gen", "--config", &cfg, "--out", &d])
        .status
        .success());
    let img = design.join("w_0.hex");
    let text = std::fs::read_to_string(&img).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let k = lines
        .iter()
        .position(|l| l.chars().any(|c| c != '0'))
        .unwrap();
    let v = u128::from_str_radix(&lines[k], 16).unwrap();
    // +1 (01) <-> -1 (11): flip the high bit of every nonzero trit.
    let neg = (0..64)
        .filter(|t| v >> (2 * t) & 1 == 1)
        .fold(v, |w, t| w ^ (2u128 << (2 * t)));
    lines[k] = format!("{neg:0w$x}", w = lines[k].len());
    std::fs::write(&img, lines.join("\n") + "\n").unwrap();
    let vcd = dir.path().join("m.vcd").display().to_string();
    let o = hitnet(&[
        "cosim", "--config", &cfg, "--design", &d, "--tokens", "200", "--vcd", &vcd,
    ]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("mismatch") && e.contains("sim-vs-rtl"), "{e}");
    assert!(std::path::Path::new(&vcd).exists(), "no VCD: {e}");
}

#[test]
fn explore_estimate_only_ranks_without_building() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ex");
    let o = hitnet(&[
        "explore",
        "--estimate-only",
        "--json",
        "--out",
        &out.display().to_string(),
    ]);
    let r = json(&o);
    let rows = r.as_array().unwrap();
    assert!(rows.len() > 50, "{}", rows.len());
    // Fitting shapes first, by cycles per token; the default 8 x 16 fits.
    let first_misfit = rows.iter().position(|x| x["fits"] == false).unwrap();
    assert!(rows[..first_misfit]
        .windows(2)
        .all(|w| w[0]["cycles_per_token"].as_u64() <= w[1]["cycles_per_token"].as_u64()));
    let d = rows.iter().find(|x| x["shape"] == "8x16").unwrap();
    assert_eq!(
        (
            d["fits"].as_bool(),
            d["estimate"]["bram"].as_u64(),
            d["estimate"]["dsp"].as_u64()
        ),
        (Some(true), Some(28), Some(4))
    );
    assert!(!out.exists(), "--estimate-only builds nothing");
    // A target without calibration, and contradictory flags, are refused.
    let o = hitnet(&["explore", "--estimate-only", "--target", "ecp5-25k"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("calibrated for ice40-up5k only"),
        "{}",
        stderr(&o)
    );
    let o = hitnet(&["explore", "--shapes", "4x8", "--best", "2"]);
    assert_eq!(o.status.code(), Some(2));
    let o = hitnet(&["explore"]);
    assert_eq!(o.status.code(), Some(2));
}

/// `run --generate`: the committed char model's integer ends generate the
/// known-answer text (crates/hitnet-model/tests/lm_ends.rs); a model
/// without them, an empty prompt and a character outside the vocabulary
/// are refused with exit 2.
#[test]
fn run_generate_gives_the_known_answer_and_refuses_bad_prompts() {
    let cfg = concat!(env!("CARGO_MANIFEST_DIR"), "/models/char-lstm64.toml");
    let j = json(&hitnet(&[
        "run",
        "--config",
        cfg,
        "--generate",
        "ROMEO:\n",
        "--chars",
        "32",
        "--json",
    ]));
    assert_eq!(j["text"], "The will the shall the shall the");
    assert_eq!(j["tokens"].as_array().unwrap().len(), 32);
    let o = hitnet(&[
        "run",
        "--config",
        cfg,
        "--generate",
        "Hi",
        "--chars",
        "8",
        "--temperature",
        "0.8",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("Hi"));
    for (args, want) in [
        (
            vec!["run", "--config", cfg, "--generate", "caf\u{e9}"],
            "not in the model's vocabulary",
        ),
        (
            vec!["run", "--config", cfg, "--generate", ""],
            "prompt is empty",
        ),
        (
            vec![
                "run",
                "--config",
                cfg,
                "--generate",
                "a",
                "--temperature=-1",
            ],
            "lm.temperature",
        ),
        (vec!["run", "--generate", "a"], "no embedding table"),
    ] {
        let o = hitnet(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    }
}

/// `verify --generate --stage rtl`: the Verilated hitnet_lm of the
/// committed char model with its ends on the chip
/// (fpga/configs/ecp5-25k-char-lm.toml, T = 0.8, seed 1) generates the
/// golden model's text token by token and cycle by cycle; `gen` emits
/// hitnet_lm as the top. Refused with exit 2: a config without [lm], a
/// routed stage on the UP5K (no board top for the ends), an unknown
/// stage, a bad [lm] value, a character outside the vocabulary.
#[test]
fn verify_generate_on_the_verilated_ends() {
    let cfg = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fpga/configs/ecp5-25k-char-lm.toml"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("v");
    let out_s = out.to_str().unwrap();
    let j = json(&hitnet(&[
        "verify",
        "--config",
        cfg,
        "--generate",
        "ROMEO:\n",
        "--stage",
        "rtl",
        "--out",
        out_s,
        "--json",
    ]));
    // The golden model's text at T = 0.8, seed 1 (tests/lm_ends.rs).
    assert_eq!(j["text"], "A't as and, this wife him your s");
    assert_eq!(j["report"]["mismatches"], 0);
    assert_eq!(j["report"]["bench_tokens"], 38);
    assert_eq!(j["report"]["simulator"], "verilator");
    assert_eq!(j["report"]["bench_cycles"], j["report"]["sim_cycles"]);
    // The UP5K build: embedding and head in SPRAM, loaded from the flash
    // model first; the same text, the load and 4 head lanes later.
    let up5k = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fpga/configs/up5k-char-lm.toml"
    );
    let f = json(&hitnet(&[
        "verify",
        "--config",
        up5k,
        "--generate",
        "ROMEO:\n",
        "--stage",
        "rtl",
        "--out",
        dir.path().join("f").to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(f["text"], "A't as and, this wife him your s");
    assert_eq!(f["report"]["mismatches"], 0);
    assert_eq!(f["report"]["bench_cycles"], f["report"]["sim_cycles"]);
    assert!(f["report"]["bench_cycles"].as_u64() > j["report"]["bench_cycles"].as_u64());
    let gf = dir.path().join("gf");
    let m = json(&hitnet(&[
        "gen",
        "--config",
        up5k,
        "--out",
        gf.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(m["top"], "hitnet_lm");
    let man: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(gf.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(man["lm"]["store"]["kind"], "flash");
    assert_eq!(
        std::fs::metadata(gf.join("lm_flash.bin")).unwrap().len(),
        man["lm"]["flash"]["bytes"].as_u64().unwrap()
    );
    assert!(!gf.join("lm_head.hex").exists());
    let g = dir.path().join("g");
    let j = json(&hitnet(&[
        "gen",
        "--config",
        cfg,
        "--out",
        g.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(j["top"], "hitnet_lm");
    assert!(g.join("hitnet_lm.v").is_file() && g.join("lm_head.hex").is_file());
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(cfg)
            .unwrap()
            .replace(
                "../../models",
                concat!(env!("CARGO_MANIFEST_DIR"), "/models"),
            )
            .replace("head_lanes = 8", "head_lanes = 0"),
    )
    .unwrap();
    let plain = concat!(env!("CARGO_MANIFEST_DIR"), "/models/char-lstm64.toml");
    for (args, want) in [
        (
            vec![
                "verify",
                "--config",
                plain,
                "--generate",
                "a",
                "--stage",
                "rtl",
            ],
            "no [lm] section",
        ),
        (
            vec![
                "verify",
                "--config",
                cfg,
                "--generate",
                "a",
                "--stage",
                "routed",
                "--target",
                "ice40-hx8k",
            ],
            "no board top for the language-model ends",
        ),
        (
            // The ECP5 config's ends are in block RAM; the iCEBreaker's
            // LM top takes the flash store.
            vec![
                "verify",
                "--config",
                cfg,
                "--generate",
                "a",
                "--stage",
                "routed",
                "--target",
                "ice40-up5k",
                "--out",
                out_s,
            ],
            "set lm.store to \"flash\"",
        ),
        (
            vec![
                "verify",
                "--config",
                cfg,
                "--generate",
                "a",
                "--stage",
                "pnr",
            ],
            "rtl, synth or routed",
        ),
        (
            vec![
                "verify",
                "--config",
                bad.to_str().unwrap(),
                "--generate",
                "a",
                "--stage",
                "rtl",
            ],
            "lm.head_lanes",
        ),
        (
            vec![
                "verify",
                "--config",
                cfg,
                "--generate",
                "caf\u{e9}",
                "--stage",
                "rtl",
                "--out",
                out_s,
            ],
            "not in the model's vocabulary",
        ),
    ] {
        let o = hitnet(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    }
}

/// `hitnet gen` on a config with `[classifier]`: hitnet_cls around the
/// core, its flash image and manifest; the refusals (no classifier in the
/// model file, both pairs of ends, a store the target lacks, `hitnet
/// synth` without the board's UART top) exit 2 naming the key.
#[test]
fn gen_classifier_ends_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fpga/configs/up5k-basicmotions-ends.toml"
    );
    let g = dir.path().join("g");
    let j = json(&hitnet(&[
        "gen",
        "--config",
        cfg,
        "--out",
        g.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(j["top"], "hitnet_cls");
    let man: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(g.join("manifest.json")).unwrap()).unwrap();
    let c = &man["classifier"];
    assert_eq!(c["store"]["kind"], "flash");
    assert_eq!(c["channels"], 6);
    assert_eq!(c["classes"][1], "Running");
    assert_eq!(
        std::fs::metadata(g.join("lm_flash.bin")).unwrap().len(),
        c["flash"]["bytes"].as_u64().unwrap()
    );
    assert!(g.join("hitnet_cls.v").is_file());
    let text = std::fs::read_to_string(cfg).unwrap().replace(
        "../../models",
        concat!(env!("CARGO_MANIFEST_DIR"), "/models"),
    );
    let out = dir.path().join("o").display().to_string();
    for (name, body, key) in [
        (
            "nocls.toml",
            text.replace("basicmotions-lstm32.json", "char-lstm64.json")
                .replace("input_size = 24", "input_size = 64")
                .replace("hidden_size = 32", "hidden_size = 64"),
            "has no `classifier`",
        ),
        ("both.toml", format!("{text}[lm]\n"), "classifier"),
        (
            "ecp5.toml",
            text.replace("ice40-up5k", "ecp5-25k"),
            "classifier.store",
        ),
    ] {
        let p = write(dir.path(), name, &body);
        let o = hitnet(&["gen", "--config", &p, "--out", &out]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains(key), "{name}: {}", stderr(&o));
    }
    // The classifier ends build in their board top only.
    let p = write(dir.path(), "ok.toml", &text);
    let o = hitnet(&["synth", "--config", &p, "--out", &out, "--wrapper", "char"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("UART top"), "{}", stderr(&o));
    // A 1 x 2 array takes a frame in more cycles than a UART byte lasts:
    // frames sent back to back would be dropped.
    let slow = write(
        dir.path(),
        "slow.toml",
        &text
            .replace("rows = 8", "rows = 1")
            .replace("cols = 16", "cols = 2"),
    );
    let o = hitnet(&["synth", "--config", &slow, "--out", &out]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("longer than one byte of the iCEBreaker UART (1040 cycles"),
        "{}",
        stderr(&o)
    );
}

/// `hitnet verify --classify`: a small `.ts` split the test writes goes
/// through the Verilated hitnet_cls of the BasicMotions ends; every class,
/// logit and cycle equal to the simulator's and the golden model's, the
/// accuracy reported. Refused with exit 2: an unknown stage, the routed
/// stage on a folder that holds no build (--built), a config without
/// [classifier], a malformed split.
#[test]
fn verify_classify_rtl_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fpga/configs/up5k-basicmotions-ends.toml"
    );
    let mut ts = String::from(
        "@problemName Tiny\n@dimensions 6\n@equalLength false\n@classLabel true Standing Running Walking Badminton\n@data\n",
    );
    let mut s = 3u64;
    for (k, label) in ["Running", "Standing", "Badminton"].iter().enumerate() {
        let chans: Vec<String> = (0..6)
            .map(|_| {
                (0..3 + 2 * k)
                    .map(|_| {
                        s = hitnet_model::rng::splitmix64(s);
                        format!("{:.3}", (s % 2000) as f64 / 100.0 - 10.0)
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        ts.push_str(&format!("{}:{label}\n", chans.join(":")));
    }
    let tsf = write(dir.path(), "tiny_TEST.ts", &ts);
    let out = dir.path().join("v").display().to_string();
    let j = json(&hitnet(&[
        "verify",
        "--config",
        cfg,
        "--classify",
        &tsf,
        "--stage",
        "rtl",
        "--out",
        &out,
        "--json",
    ]));
    assert_eq!(j["sequences"], 3);
    assert_eq!(j["frames"], 3 + 5 + 7);
    assert_eq!(j["report"]["mismatches"], 0);
    assert_eq!(j["report"]["golden_vs_sim"], 0);
    assert_eq!(j["report"]["bench_cycles"], j["report"]["sim_cycles"]);
    assert!(j["accuracy"].as_f64().unwrap() >= 0.0);
    let o = hitnet(&[
        "verify",
        "--config",
        cfg,
        "--classify",
        &tsf,
        "--stage",
        "placed",
        "--out",
        &out,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--stage"), "{}", stderr(&o));
    let empty = dir.path().join("nothing").display().to_string();
    let o = hitnet(&[
        "verify",
        "--config",
        cfg,
        "--classify",
        &tsf,
        "--stage",
        "routed",
        "--built",
        "--out",
        &empty,
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--built"), "{}", stderr(&o));
    // --built goes with the routed stage only (rtl and synth build the
    // ends afresh): refused, not ignored.
    for (flag, what, c) in [
        ("--classify", tsf.as_str(), cfg),
        (
            "--generate",
            "R",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/fpga/configs/ecp5-25k-char-lm.toml"
            ),
        ),
    ] {
        let o = hitnet(&[
            "verify", "--config", c, flag, what, "--stage", "synth", "--built", "--out", &empty,
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("goes with --stage routed"),
            "{}",
            stderr(&o)
        );
    }
    let plain = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/basicmotions-lstm32.toml"
    );
    let o = hitnet(&[
        "verify",
        "--config",
        plain,
        "--classify",
        &tsf,
        "--stage",
        "rtl",
        "--out",
        &out,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("[classifier]"), "{}", stderr(&o));
    let bad = write(
        dir.path(),
        "bad_TEST.ts",
        &ts.replace("@dimensions 6", "@dimensions 5"),
    );
    let o = hitnet(&[
        "verify",
        "--config",
        cfg,
        "--classify",
        &bad,
        "--stage",
        "rtl",
        "--out",
        &out,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad_TEST.ts"), "{}", stderr(&o));
}

/// A PyTorch char-RNN's state_dict (`rnn.*`, `encoder.weight`,
/// `decoder.weight`, `decoder.bias`) with `[model] vocab` (its corpus):
/// `hitnet check` says where each tensor went, and the imported model's
/// ends run token in, token out on the chip (`verify --generate --stage
/// rtl`: every token and cycle equal to the simulator's and the golden
/// model's).
#[test]
fn a_pytorch_char_lm_imports_whole_and_runs_on_the_chip() {
    let dir = tempfile::tempdir().unwrap();
    let fm = hitnet_model::defaults::default_float_model(hitnet_model::CellKind::Lstm, 8, 8, 1, 5);
    let mut sd = hitnet_model::import::state_dict(&fm, "rnn.");
    let v = 4;
    sd.push((
        "encoder.weight".into(),
        vec![v, 8],
        (0..v * 8)
            .map(|k| ((k * 7 % 9) as f32 - 4.0) / 3.0)
            .collect(),
    ));
    sd.push((
        "decoder.weight".into(),
        vec![v, 8],
        (0..v * 8)
            .map(|k| ((k * 5 % 11) as f32 - 5.0) / 2.0)
            .collect(),
    ));
    sd.push(("decoder.bias".into(), vec![v], vec![0.5, -0.25, 0.0, 0.75]));
    let w = dir.path().join("char_rnn.safetensors");
    std::fs::write(&w, hitnet_model::import::serialize_f32(&sd)).unwrap();
    write(dir.path(), "input.txt", "abcab\ncab\n");
    let cfg = write(
        dir.path(),
        "c.toml",
        "[model]\ncell = \"lstm\"\ninput_size = 8\nhidden_size = 8\nweights = \"char_rnn.safetensors\"\nvocab = \"input.txt\"\n\
         [hw]\nrows = 4\ncols = 8\ntarget = \"ice40-up5k\"\n[lm]\ntemperature = 0.7\n",
    );
    let o = hitnet(&["check", "--config", &cfg]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    for want in [
        "encoder.weight [4, 8] -> embedding",
        "decoder.weight [4, 8] -> output layer weight",
        "input.txt -> vocabulary (4 tokens)",
    ] {
        assert!(e.contains(want), "{want}: {e}");
    }
    let out = dir.path().join("v").display().to_string();
    let j = json(&hitnet(&[
        "verify",
        "--config",
        &cfg,
        "--generate",
        "ab",
        "--chars",
        "6",
        "--stage",
        "rtl",
        "--out",
        &out,
        "--json",
    ]));
    assert_eq!(j["report"]["mismatches"], 0, "{j}");
    assert_eq!(j["report"]["golden_vs_sim"], 0, "{j}");
    assert_eq!(j["text"].as_str().unwrap().chars().count(), 6, "{j}");
    assert!(j["text"]
        .as_str()
        .unwrap()
        .chars()
        .all(|c| "abc\n".contains(c)));
}
