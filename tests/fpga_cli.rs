//! `hitnet synth`, `report` and `explore` through the binary: one real
//! iCE40 build of the generated accelerator (the CI-sized end-to-end run of
//! that family, ~40 s), the report that picks it up, and the bad-input
//! contract (exit 2, one line naming the culprit) without any tool run.
mod common;
use common::{hitnet, json, stderr, write};

/// The CI-sized design of the issue: LSTM, 16 in, 16 hidden, 4 x 8 array.
const SMALL: &str = "[model]\ncell = \"lstm\"\ninput_size = 16\nhidden_size = 16\nseed = 1\n[hw]\nrows = 4\ncols = 8\nclock_mhz = 20\ntarget = \"ice40-up5k\"\n";

#[test]
fn synth_ice40_up5k_generated_design_then_report() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "small.toml", SMALL);
    let out = dir.path().join("build");
    let out_s = out.display().to_string();
    let j = json(&hitnet(&[
        "synth",
        "--config",
        &cfg,
        "--target",
        "ice40-up5k",
        "--out",
        &out_s,
        "--json",
    ]));
    // The contract keys.
    assert_eq!(j["target"], "ice40-up5k");
    assert_eq!(j["fits"], true, "{}", j["overflow"]);
    assert_eq!(j["wrapper"], "uart");
    assert_eq!(j["top"], "icebreaker_top");
    let fmax = j["fmax_mhz"].as_f64().expect("fmax");
    // Timing met at the config's own clock (hw.clock_mhz = 20).
    assert_eq!(j["clock_mhz_target"], 20.0);
    assert!((20.0..300.0).contains(&fmax), "{fmax}");
    assert_eq!(j["timing_met"], true, "{fmax}");
    // Cycles and tokens/s against the cycle simulator run at that Fmax
    // (synth takes them from the plan's formula; sim counts cycles).
    let sim = json(&hitnet(&[
        "sim",
        "--config",
        &cfg,
        "--tokens",
        "50",
        "--clock-mhz",
        &fmax.to_string(),
        "--json",
    ]));
    let cycles = j["cycles_per_token"].as_u64().unwrap();
    assert_eq!(
        Some(cycles as f64),
        sim["cycles_per_token"].as_f64(),
        "{sim}"
    );
    let tps = j["tokens_per_second"].as_f64().unwrap();
    let sim_tps = sim["tokens_per_second"].as_f64().unwrap();
    assert!((tps - sim_tps).abs() < 1e-6 * tps, "{tps} vs sim {sim_tps}");
    // The weight banks in block RAM, no latches, the memories parsed.
    let util = &j["utilization"];
    assert!(util["logic"]["used"].as_u64().unwrap() > 500);
    assert_eq!(util["logic"]["available"], 5280);
    assert!(util["bram"]["used"].as_u64().unwrap() >= 4, "{util}");
    assert_eq!(j["weight_banks"], 4);
    assert_eq!(j["weight_banks_in_bram"], 4, "{}", j["memories"]);
    assert_eq!(
        j["yosys_cells"]["SB_RAM40_4K"].as_u64().unwrap(),
        util["bram"]["used"].as_u64().unwrap()
    );
    assert_eq!(
        j["latches"].as_array().unwrap().len(),
        0,
        "{}",
        j["latches"]
    );
    assert_eq!(j["yosys_version"], "0.23");
    // The UART parameters went through chparam: no port width mismatch.
    let w = j["yosys_warnings"].as_array().unwrap();
    assert!(
        !w.iter()
            .any(|w| w.as_str().unwrap().contains("Resizing cell port")),
        "{w:?}"
    );
    assert!(!j["clocks"][0]["critical_path"]
        .as_array()
        .unwrap()
        .is_empty());
    // The build folder reruns without Rust.
    for f in [
        "run.sh",
        "synth.ys",
        "pnr.sh",
        "gen/manifest.json",
        "hitnet_synth.json",
        "design.bin",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }

    // The report finds the run for this config...
    let r = json(&hitnet(&[
        "report", "--config", &cfg, "--out", &out_s, "--json",
    ]));
    assert_eq!(r["fpga"]["fmax_mhz"], j["fmax_mhz"]);
    assert_eq!(r["fpga"]["tokens_per_second"], j["tokens_per_second"]);
    assert_eq!(r["cycles"]["plan_per_token"], j["cycles_per_token"]);
    // The cycle simulator's steady state matches the plan's closed form.
    assert_eq!(
        r["cycles"]["simulated_per_token"].as_f64().unwrap(),
        cycles as f64
    );
    assert_eq!(r["model"]["weights"], 4 * 16 * 32);
    assert_eq!(r["plan"]["memory"]["weight_bits"], 4 * 64 * 16);
    // ...but not for another shape, and says so.
    let other = write(
        dir.path(),
        "other.toml",
        &SMALL.replace("rows = 4", "rows = 8"),
    );
    let r = json(&hitnet(&[
        "report", "--config", &other, "--out", &out_s, "--json",
    ]));
    assert!(r["fpga"].is_null());
    assert!(
        r["fpga_note"].as_str().unwrap().contains("another config"),
        "{}",
        r["fpga_note"]
    );
    let md = hitnet(&["report", "--config", &cfg, "--out", &out_s]);
    let text = String::from_utf8_lossy(&md.stdout);
    assert!(
        text.contains("## FPGA: ice40-up5k") && text.contains("tokens per second at Fmax"),
        "{text}"
    );
}

#[test]
fn explore_reports_shapes_that_cannot_be_planned() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "small.toml", SMALL);
    let out = dir.path().join("x");
    // 32 rows exceed hidden_size 16; 100 columns exceed I + H = 32.
    let j = json(&hitnet(&[
        "explore",
        "--config",
        &cfg,
        "--target",
        "ice40-hx8k",
        "--shapes",
        "32x8,4x100",
        "--out",
        &out.display().to_string(),
        "--json",
    ]));
    let rows = j["shapes"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for r in rows {
        assert_eq!(r["status"], "cannot plan", "{r}");
    }
    assert!(rows[0]["detail"].as_str().unwrap().contains("hw.rows"));
    assert!(rows[1]["detail"].as_str().unwrap().contains("hw.cols"));
    let md = std::fs::read_to_string(out.join("explore.md")).unwrap();
    assert!(
        md.contains("| 32x8 |") && md.contains("cannot plan"),
        "{md}"
    );
    let svg = std::fs::read_to_string(out.join("explore.svg")).unwrap();
    assert!(
        svg.contains("not plotted: 32x8 (cannot plan), 4x100 (cannot plan)"),
        "{svg}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("explore.csv"))
            .unwrap()
            .lines()
            .count(),
        3
    );
}

#[test]
fn bad_fpga_input_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "small.toml", SMALL);
    let file = write(dir.path(), "a_file", "x");
    let blocked = format!("{file}/sub");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["synth", "--config", &cfg, "--target", "ice40-up3k"],
            "valid targets: ice40-up5k",
        ),
        (
            vec!["synth", "--config", &cfg, "--wrapper", "spi"],
            "--wrapper",
        ),
        (
            vec!["synth", "--config", &cfg, "--clock-mhz=-3"],
            "--clock-mhz",
        ),
        (
            vec!["synth", "--config", &cfg, "--out", &blocked],
            "build folder",
        ),
        (
            vec!["report", "--config", &cfg, "--target", "xc7"],
            "unknown FPGA target",
        ),
        (
            vec!["explore", "--config", &cfg, "--shapes", "8by8"],
            "--shapes",
        ),
        (
            vec![
                "explore", "--config", &cfg, "--shapes", "4x8", "--jobs", "0",
            ],
            "--jobs",
        ),
        (
            vec![
                "explore", "--config", &cfg, "--shapes", "4x8", "--out", &blocked,
            ],
            "build folder",
        ),
        (
            vec!["verify", "--config", &cfg, "--target", "xc7"],
            "unknown FPGA target",
        ),
        (
            vec![
                "verify",
                "--config",
                &cfg,
                "--target",
                "ice40-hx8k",
                "--stage",
                "routed",
                "--wrapper",
                "char",
            ],
            "needs the board UART top",
        ),
    ];
    for (args, needle) in cases {
        let o = hitnet(&args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert_eq!(e.trim_end().lines().count(), 1, "{args:?}: {e}");
        assert!(e.contains(needle), "{args:?}: {e}");
    }
}
