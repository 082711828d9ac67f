//! In-tree fuzzer (issue #11): random configs, random model files (hitnet
//! JSON and PyTorch safetensors in every dtype) and random bytes, run
//! through the `hitnet` binary as a user would run it.
//!
//! The contract it checks on every input:
//! - no command panics or aborts: the exit code is 0 or 2, never 101/134,
//!   and nothing prints "panicked";
//! - a refusal is one line on stderr, "error: ...", naming the config or the
//!   model file;
//! - `check`, `gen` and `sim` agree: exit 0 from `check` means the other two
//!   accept the input too, a refusal from `check` means they refuse it;
//! - a sample of the accepted inputs co-simulates bit-exact (golden model =
//!   cycle simulator = Verilated RTL, every beat and cycle, with stalls).
//!
//! CI runs a fixed budget from a fixed seed (reproducible); `scripts/fuzz`
//! runs a longer one from a fresh seed. Knobs: HITNET_FUZZ_CASES (cases per
//! family), HITNET_FUZZ_COSIM (co-simulations per family), HITNET_FUZZ_SEED.
mod common;
use common::{hitnet, stderr, write};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use std::cell::RefCell;
use std::path::Path;
use std::process::Output;

/// CI's seed: the same inputs on every run.
const DEFAULT_SEED: u64 = 20261201;

fn env_u64(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A runner with the budget and seed of this run; `family` varies the seed
/// so the four families draw independent streams.
fn runner(family: u8, default_cases: u64) -> TestRunner {
    let seed = env_u64("HITNET_FUZZ_SEED", DEFAULT_SEED);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8] = family;
    let cfg = Config {
        cases: env_u64("HITNET_FUZZ_CASES", default_cases) as u32,
        failure_persistence: None,
        // A case runs processes: shrinking is slow, keep it short.
        max_shrink_iters: 64,
        ..Config::default()
    };
    TestRunner::new_with_rng(cfg, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// What a family tried, printed at the end (`--nocapture` shows it).
#[derive(Default, Debug)]
struct Tally {
    cases: u64,
    accepted: u64,
    refused: u64,
    cosim: u64,
    cosim_beats: u64,
}

impl Tally {
    /// Counts a case; with `cosim` = (config, input, budget), an accepted
    /// input is also co-simulated while the budget lasts.
    fn record(&mut self, ok: bool, cosim: Option<(&str, &str, u64)>) -> Result<(), TestCaseError> {
        self.cases += 1;
        if !ok {
            self.refused += 1;
            return Ok(());
        }
        self.accepted += 1;
        match cosim {
            Some((cfg, input, budget)) if self.cosim < budget => crate::cosim(cfg, input, self),
            _ => Ok(()),
        }
    }

    /// Prints the tally and checks that the family exercised both sides of
    /// the contract and ran the co-simulations the README counts.
    fn finish(self, family: &str, cosim_budget: u64) {
        self.print(family);
        let t = &self;
        assert!(
            t.accepted >= t.cases / 10 && t.refused >= t.cases / 10,
            "{t:?}"
        );
        assert_eq!(t.cosim, cosim_budget, "{t:?}");
    }

    fn print(&self, family: &str) {
        println!(
            "fuzz {family}: {} inputs, {} accepted, {} refused, {} co-simulated bit-exact ({} beats), 0 failures",
            self.cases, self.accepted, self.refused, self.cosim, self.cosim_beats
        );
    }
}

fn fail(what: &str, o: &Output, input: &str) -> TestCaseError {
    TestCaseError::fail(format!(
        "{what}: exit {:?}\nstderr: {}\ninput:\n{input}\n(rerun: HITNET_FUZZ_SEED={} HITNET_FUZZ_CASES={})",
        o.status.code(),
        stderr(o),
        env_u64("HITNET_FUZZ_SEED", DEFAULT_SEED),
        std::env::var("HITNET_FUZZ_CASES").unwrap_or_else(|_| "<default>".into()),
    ))
}

/// Exit 0, or exit 2 with one "error: " line naming one of `names` (the
/// file the case damaged: not merely the config every message mentions).
fn sane(what: &str, o: &Output, names: &[&str], input: &str) -> Result<bool, TestCaseError> {
    let e = stderr(o);
    if e.contains("panicked") {
        return Err(fail(&format!("{what} panicked"), o, input));
    }
    match o.status.code() {
        Some(0) => Ok(true),
        Some(2) => {
            let lines: Vec<&str> = e.lines().filter(|l| !l.starts_with("note: ")).collect();
            if lines.len() != 1 || !lines[0].starts_with("error: ") {
                return Err(fail(
                    &format!("{what}: refusal is not one error line"),
                    o,
                    input,
                ));
            }
            if !names.iter().any(|n| lines[0].contains(n)) {
                return Err(fail(
                    &format!("{what}: refusal names none of {names:?}"),
                    o,
                    input,
                ));
            }
            Ok(false)
        }
        _ => Err(fail(&format!("{what}: not exit 0 or 2"), o, input)),
    }
}

/// Runs check, gen and sim on a config; returns whether it was accepted.
fn check_gen_sim(
    dir: &Path,
    cfg: &str,
    names: &[&str],
    input: &str,
) -> Result<bool, TestCaseError> {
    let c = hitnet(&["check", "--config", cfg]);
    let ok = sane("check", &c, names, input)?;
    let out = dir.join("gen").display().to_string();
    let _ = std::fs::remove_dir_all(&out);
    let g = hitnet(&["gen", "--config", cfg, "--out", &out]);
    let s = hitnet(&[
        "sim",
        "--config",
        cfg,
        "--tokens",
        "3",
        "--stall-percent",
        "20",
    ]);
    for (what, o) in [("gen", &g), ("sim", &s)] {
        if sane(what, o, names, input)? != ok {
            return Err(fail(
                &format!(
                    "check {} but {what} disagrees",
                    if ok { "accepted" } else { "refused" }
                ),
                o,
                input,
            ));
        }
    }
    Ok(ok)
}

/// The three-way co-simulation of an accepted input: bit-exact or a failure.
fn cosim(cfg: &str, input: &str, t: &mut Tally) -> Result<(), TestCaseError> {
    let o = hitnet(&[
        "cosim",
        "--config",
        cfg,
        "--tokens",
        "24",
        "--stall-percent",
        "20",
        "--json",
    ]);
    if !o.status.success() {
        return Err(fail("cosim of an accepted input", &o, input));
    }
    let j: serde_json::Value = serde_json::from_slice(&o.stdout)
        .map_err(|e| TestCaseError::fail(format!("cosim --json: {e}")))?;
    if j["bit_exact"] != true {
        return Err(TestCaseError::fail(format!(
            "cosim not bit-exact: {j}\n{input}"
        )));
    }
    let beats = j["beats"].as_u64().unwrap_or(0);
    if beats == 0 {
        return Err(TestCaseError::fail(format!(
            "cosim compared no beat: {j}\n{input}"
        )));
    }
    t.cosim += 1;
    t.cosim_beats += beats;
    Ok(())
}

// ---- values at and around every documented limit -----------------------

fn pick(v: &[&'static str]) -> BoxedStrategy<String> {
    proptest::sample::select(v.to_vec())
        .prop_map(str::to_string)
        .boxed()
}

fn size() -> BoxedStrategy<String> {
    prop_oneof![
        40 => (2u32..=10).prop_map(|v| v.to_string()),
        1 => pick(&["1", "0", "8192", "8193", "-1", "9223372036854775807", "1e3", "\"7\"", "true", "4.0"]),
    ]
    .boxed()
}

fn float_in(lo: f64, hi: f64, edges: &'static [&'static str]) -> BoxedStrategy<String> {
    prop_oneof![
        30 => (lo..hi).prop_map(|v| format!("{v:?}")),
        1 => pick(edges),
    ]
    .boxed()
}

fn int_in(lo: i64, hi: i64, edges: &'static [&'static str]) -> BoxedStrategy<String> {
    prop_oneof![
        30 => (lo..=hi).prop_map(|v| v.to_string()),
        1 => pick(edges),
    ]
    .boxed()
}

/// `key = value`, present with probability `p` (percent).
fn key(name: &'static str, v: BoxedStrategy<String>, p: u32) -> BoxedStrategy<String> {
    (0u32..100, v)
        .prop_map(move |(r, v)| {
            if r < p {
                format!("{name} = {v}\n")
            } else {
                String::new()
            }
        })
        .boxed()
}

const CELLS: &[&str] = &[
    "\"lstm\"", "\"gru\"", "\"lstm\"", "\"gru\"", "\"lstm\"", "\"gru\"", "\"lstm\"", "\"gru\"",
    "\"LSTM\"", "\"rnn\"", "3",
];
const TARGETS: &[&str] = &[
    "\"ice40-up5k\"",
    "\"ice40-hx8k\"",
    "\"ecp5-25k\"",
    "\"ecp5-45k\"",
    "\"ecp5-85k\"",
    "\"xc7a35t\"",
    "\"\"",
];

fn config_text() -> BoxedStrategy<String> {
    let model = (
        key("cell", pick(CELLS), 97),
        key("input_size", size(), 97),
        key("hidden_size", size(), 97),
        key("layers", int_in(1, 3, &["0", "16", "17", "-2"]), 60),
        key(
            "seed",
            int_in(
                0,
                i64::MAX,
                &["-1", "18446744073709551615", "18446744073709551616", "0"],
            ),
            40,
        ),
    );
    let quant = (
        key(
            "slope",
            float_in(
                0.05,
                64.0,
                &[
                    "0.0", "64.0", "64.0001", "-1.0", "1e308", "nan", "inf", "5e-324",
                ],
            ),
            50,
        ),
        key(
            "activation",
            pick(&["\"bernoulli\"", "\"threshold\"", "\"relu\""]),
            60,
        ),
        key(
            "weight_threshold",
            float_in(0.0, 2.0, &["-0.1", "nan", "1e300", "0.0"]),
            30,
        ),
        key(
            "act_threshold",
            float_in(0.0, 1.0, &["-0.5", "inf", "1e-300", "1.0"]),
            30,
        ),
        key(
            "lfsr_seed",
            int_in(0, 1 << 32, &["-1", "4294967296", "0"]),
            30,
        ),
        key("frac_bits", int_in(4, 16, &["3", "17", "0"]), 30),
        key("cell_int_bits", int_in(0, 8, &["9", "-1"]), 30),
        key("lut_bits", int_in(4, 14, &["3", "15"]), 30),
        key("scale_bits", int_in(4, 20, &["3", "21"]), 30),
    );
    let hw = (
        key(
            "rows",
            int_in(1, 3, &["0", "10", "65", "256", "257", "1000000", "-3"]),
            90,
        ),
        key(
            "cols",
            int_in(1, 8, &["0", "16", "64", "65", "128", "256", "257"]),
            90,
        ),
        key(
            "post_lanes",
            int_in(1, 5, &["0", "7", "64", "256", "257"]),
            20,
        ),
        key(
            "clock_mhz",
            float_in(
                1.0,
                200.0,
                &["0.0", "-1.0", "1000.0", "1000.0001", "1e9", "nan"],
            ),
            20,
        ),
        key("target", pick(TARGETS), 40),
    );
    let extra = prop_oneof![
        12 => Just(String::new()),
        1 => Just("[model]\ncell = \"gru\"\n".to_string()),
        1 => Just("[hw]\nrows = 1\n".to_string()),
        1 => Just("bogus = 1\n".to_string()),
        1 => Just("[extra]\nx = 1\n".to_string()),
    ];
    (model, quant, hw, extra)
        .prop_map(|(m, q, h, x)| {
            let cat = |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<String>();
            format!(
                "[model]\n{}[quant]\n{}[hw]\n{}{x}",
                cat(&[&m.0, &m.1, &m.2, &m.3, &m.4]),
                cat(&[&q.0, &q.1, &q.2, &q.3, &q.4, &q.5, &q.6, &q.7, &q.8]),
                cat(&[&h.0, &h.1, &h.2, &h.3, &h.4]),
            )
        })
        .boxed()
}

/// Small enough to co-simulate in seconds: the config's weights.
fn weight_count(text: &str) -> Option<u64> {
    Some(
        hitnet_model::Config::parse(text, "c.toml")
            .ok()?
            .weight_count(),
    )
}

#[test]
fn fuzz_configs() {
    let dir = tempfile::tempdir().unwrap();
    let tally = RefCell::new(Tally::default());
    let cosim_budget = env_u64("HITNET_FUZZ_COSIM", 2);
    runner(1, 150)
        .run(&config_text(), |text| {
            let cfg = write(dir.path(), "c.toml", &text);
            let ok = check_gen_sim(dir.path(), &cfg, &["c.toml"], &text)?;
            let sample = weight_count(&text).is_some_and(|w| w <= 2000);
            tally
                .borrow_mut()
                .record(ok, sample.then_some((&cfg, &text, cosim_budget)))
        })
        .unwrap();
    tally.into_inner().finish("configs", cosim_budget);
}

// ---- model files ---------------------------------------------------------

/// A model of a small random shape and a config that matches it.
#[derive(Clone, Debug)]
struct Shape {
    gru: bool,
    i: usize,
    h: usize,
    layers: usize,
    rows: usize,
    cols: usize,
    seed: u64,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        any::<bool>(),
        1usize..=6,
        1usize..=6,
        1usize..=2,
        any::<u64>(),
    )
        .prop_flat_map(|(gru, i, h, layers, seed)| {
            // Columns up to the shortest layer input: I + H, and 2H above.
            let shortest = if layers > 1 {
                (i + h).min(2 * h)
            } else {
                i + h
            };
            (1..=h, 1..=shortest.min(16)).prop_map(move |(rows, cols)| Shape {
                gru,
                i,
                h,
                layers,
                rows,
                cols,
                seed,
            })
        })
}

impl Shape {
    fn cell(&self) -> hitnet_model::CellKind {
        if self.gru {
            hitnet_model::CellKind::Gru
        } else {
            hitnet_model::CellKind::Lstm
        }
    }
    fn float_model(&self) -> hitnet_model::model::FloatModel {
        hitnet_model::defaults::default_float_model(
            self.cell(),
            self.i,
            self.h,
            self.layers,
            self.seed,
        )
    }
    fn config(&self, weights: &str, activation: &str) -> String {
        format!(
            "[model]\ncell = \"{}\"\ninput_size = {}\nhidden_size = {}\nlayers = {}\nweights = \"{weights}\"\n[quant]\nactivation = \"{activation}\"\n[hw]\nrows = {}\ncols = {}\n",
            self.cell().name(),
            self.i,
            self.h,
            self.layers,
            self.rows,
            self.cols
        )
    }
}

/// Finite and non-finite extremes of an f64 field.
const EXTREMES: &[f64] = &[
    0.0,
    -0.0,
    -1.0,
    5e-324,
    1e-300,
    1e-12,
    0.5,
    3.0,
    1e6,
    3e9,
    1e12,
    1e14,
    1e15,
    1e17,
    1e300,
    f64::MAX,
    -f64::MAX,
];

/// One edit of a hitnet model file's JSON.
#[derive(Clone, Debug)]
enum Edit {
    Scale {
        l: usize,
        g: usize,
        v: f64,
    },
    Bias {
        l: usize,
        g: usize,
        k: usize,
        v: f64,
    },
    Row {
        l: usize,
        g: usize,
        r: usize,
        text: String,
    },
    Quant {
        key: &'static str,
        v: serde_json::Value,
    },
    Remove {
        path: &'static str,
    },
    Retype {
        path: &'static str,
    },
}

fn edit() -> impl Strategy<Value = Edit> {
    let ex = proptest::sample::select(EXTREMES.to_vec());
    let idx = (0usize..3, 0usize..4);
    prop_oneof![
        4 => (idx.clone(), ex.clone()).prop_map(|((l, g), v)| Edit::Scale { l, g, v }),
        4 => (idx.clone(), 0usize..8, ex).prop_map(|((l, g), k, v)| Edit::Bias { l, g, k, v }),
        2 => (idx, 0usize..8, "[-+0x ]{0,14}").prop_map(|((l, g), r, text)| Edit::Row { l, g, r, text }),
        2 => (
            proptest::sample::select(vec![
                "frac_bits", "cell_int_bits", "lut_bits", "scale_bits", "lfsr_seed",
                "weight_threshold", "act_threshold", "slope",
            ]),
            prop_oneof![
                (-3i64..40).prop_map(serde_json::Value::from),
                proptest::sample::select(EXTREMES.to_vec()).prop_map(serde_json::Value::from),
            ]
        )
            .prop_map(|(key, v)| Edit::Quant { key, v }),
        1 => proptest::sample::select(vec!["format", "cell", "input_size", "layers", "quant", "hidden_size"])
            .prop_map(|path| Edit::Remove { path }),
        1 => proptest::sample::select(vec!["version", "input_size", "cell", "layers"])
            .prop_map(|path| Edit::Retype { path }),
    ]
}

fn gate_mut(j: &mut serde_json::Value, l: usize, g: usize) -> Option<&mut serde_json::Value> {
    let layers = j.get_mut("layers")?.as_array_mut()?;
    let n = layers.len().max(1);
    let gates = layers.get_mut(l % n)?.get_mut("gates")?.as_array_mut()?;
    let m = gates.len().max(1);
    gates.get_mut(g % m)
}

/// Element k (modulo the length) of the array at `key` in `v`.
fn elem_mut<'a>(
    v: &'a mut serde_json::Value,
    key: &str,
    k: usize,
) -> Option<&'a mut serde_json::Value> {
    let a = v.get_mut(key)?.as_array_mut()?;
    let n = a.len().max(1);
    a.get_mut(k % n)
}

fn apply(j: &mut serde_json::Value, e: &Edit) {
    use serde_json::Value;
    match e {
        Edit::Scale { l, g, v } => {
            if let Some(gate) = gate_mut(j, *l, *g) {
                gate["scale"] = Value::from(*v);
            }
        }
        Edit::Bias { l, g, k, v } => {
            if let Some(b) = gate_mut(j, *l, *g).and_then(|gate| elem_mut(gate, "bias", *k)) {
                *b = Value::from(*v);
            }
        }
        Edit::Row { l, g, r, text } => {
            if let Some(row) = gate_mut(j, *l, *g).and_then(|gate| elem_mut(gate, "rows", *r)) {
                *row = Value::from(text.as_str());
            }
        }
        Edit::Quant { key, v } => {
            if let Some(q) = j.get_mut("quant").and_then(|q| q.as_object_mut()) {
                q.insert(key.to_string(), v.clone());
            }
        }
        Edit::Remove { path } => {
            j.as_object_mut().unwrap().remove(*path);
        }
        Edit::Retype { path } => {
            let v = j[*path].clone();
            j[*path] = match v {
                Value::String(s) => Value::from(s.len()),
                other => Value::from(other.to_string()),
            };
        }
    }
}

#[test]
fn fuzz_model_files() {
    let dir = tempfile::tempdir().unwrap();
    let tally = RefCell::new(Tally::default());
    let cosim_budget = env_u64("HITNET_FUZZ_COSIM", 2);
    let strategy = (
        shape(),
        proptest::collection::vec(edit(), 0..3),
        any::<bool>(),
    );
    runner(2, 120)
        .run(&strategy, |(s, edits, bernoulli)| {
            let act = if bernoulli { "bernoulli" } else { "threshold" };
            let q = hitnet_model::config::QuantParams {
                activation: if bernoulli {
                    hitnet_model::ActMode::Bernoulli
                } else {
                    hitnet_model::ActMode::Threshold
                },
                ..Default::default()
            };
            let qm = s.float_model().quantize(&q).unwrap();
            let mut j: serde_json::Value =
                serde_json::from_str(&hitnet_model::io::to_json(&qm)).unwrap();
            for e in &edits {
                apply(&mut j, e);
            }
            let text = serde_json::to_string_pretty(&j).unwrap();
            std::fs::write(dir.path().join("m.json"), &text).unwrap();
            let cfg_text = s.config("m.json", act);
            let cfg = write(dir.path(), "c.toml", &cfg_text);
            let input = format!("{cfg_text}edits: {edits:?}");
            let ok = check_gen_sim(dir.path(), &cfg, &["m.json"], &input)?;
            // Edited models first: they are where the bugs were.
            let sample = !edits.is_empty();
            tally
                .borrow_mut()
                .record(ok, sample.then_some((&cfg, &input, cosim_budget)))
        })
        .unwrap();
    tally.into_inner().finish("model files", cosim_budget);
}

// ---- safetensors ---------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Dt {
    F32,
    F64,
    F16,
    Bf16,
    I32,
}

fn f16_bits(x: f32) -> u16 {
    // Truncating conversion; overflow gives inf (which import must refuse).
    let b = x.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let exp = ((b >> 23) & 0xff) as i32;
    let man = b & 0x7f_ffff;
    if exp == 255 {
        return sign | 0x7c00 | if man != 0 { 0x200 } else { 0 };
    }
    let e = exp - 127 + 15;
    if e >= 31 {
        sign | 0x7c00
    } else if e <= 0 {
        if e < -10 {
            sign
        } else {
            sign | ((man | 0x80_0000) >> (14 - e)) as u16
        }
    } else {
        sign | ((e as u16) << 10) | (man >> 13) as u16
    }
}

fn encode(dt: Dt, v: &[f64]) -> (safetensors::Dtype, Vec<u8>) {
    use safetensors::Dtype;
    match dt {
        Dt::F32 => (
            Dtype::F32,
            v.iter().flat_map(|x| (*x as f32).to_le_bytes()).collect(),
        ),
        Dt::F64 => (Dtype::F64, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
        Dt::F16 => (
            Dtype::F16,
            v.iter()
                .flat_map(|x| f16_bits(*x as f32).to_le_bytes())
                .collect(),
        ),
        Dt::Bf16 => (
            Dtype::BF16,
            v.iter()
                .flat_map(|x| (((*x as f32).to_bits() >> 16) as u16).to_le_bytes())
                .collect(),
        ),
        Dt::I32 => (
            Dtype::I32,
            v.iter().flat_map(|x| (*x as i32).to_le_bytes()).collect(),
        ),
    }
}

/// One tensor edit: every element scaled, one element replaced, a shape
/// or a name changed, or the tensor dropped.
#[derive(Clone, Debug)]
enum TEdit {
    None,
    ScaleAll(f64),
    One(usize, f64),
    Shape,
    Rename,
    Drop,
}

fn tedit() -> impl Strategy<Value = TEdit> {
    let ex = proptest::sample::select(vec![
        1e-40,
        1e-8,
        1e4,
        65504.0,
        7e4,
        3e38,
        1e39,
        f64::MAX,
        f64::NAN,
        f64::INFINITY,
        -1e30,
    ]);
    prop_oneof![
        10 => Just(TEdit::None),
        3 => ex.clone().prop_map(TEdit::ScaleAll),
        3 => (0usize..64, ex).prop_map(|(k, v)| TEdit::One(k, v)),
        1 => Just(TEdit::Shape),
        1 => Just(TEdit::Rename),
        1 => Just(TEdit::Drop),
    ]
}

#[test]
fn fuzz_safetensors() {
    let dir = tempfile::tempdir().unwrap();
    let tally = RefCell::new(Tally::default());
    let cosim_budget = env_u64("HITNET_FUZZ_COSIM", 1);
    let float = prop_oneof![Just(Dt::F32), Just(Dt::F64), Just(Dt::F16), Just(Dt::Bf16)];
    let dt = prop_oneof![
        6 => float.clone(), 1 => Just(Dt::I32)
    ];
    // One dtype for the file, then up to two tensors edited (dtype and
    // values): a file with every tensor damaged would say nothing new.
    let strategy = (
        shape(),
        float,
        proptest::collection::vec((0usize..8, dt, tedit()), 0..3),
        prop_oneof![Just(""), Just("rnn."), Just("model.lstm.")],
        any::<bool>(),
    );
    runner(3, 100)
        .run(&strategy, |(s, file_dt, edits, prefix, extra)| {
            let mut sd = hitnet_model::import::state_dict(&s.float_model(), prefix);
            if extra {
                sd.push(("embedding.weight".into(), vec![5, s.i], vec![0.25; 5 * s.i]));
            }
            let mut owned = Vec::new();
            for (k, (name, mut shape, v)) in sd.into_iter().enumerate() {
                let (dt, e) = edits
                    .iter()
                    .find(|(t, _, _)| t % 8 == k % 8)
                    .map(|(_, d, e)| (*d, e.clone()))
                    .unwrap_or((file_dt, TEdit::None));
                let mut v: Vec<f64> = v.iter().map(|x| *x as f64).collect();
                let mut name = name;
                match e {
                    TEdit::None => {}
                    TEdit::ScaleAll(f) => v.iter_mut().for_each(|x| *x *= f),
                    TEdit::One(i, x) => {
                        let n = v.len();
                        if n > 0 {
                            v[i % n] = x;
                        }
                    }
                    TEdit::Shape => {
                        shape[0] += 1;
                        v.extend(std::iter::repeat_n(0.0, v.len() / (shape[0] - 1).max(1)));
                    }
                    TEdit::Rename => name.push('x'),
                    TEdit::Drop => continue,
                }
                let (dtype, bytes) = encode(dt, &v);
                owned.push((name, shape, dtype, bytes));
            }
            let views: Vec<(String, safetensors::tensor::TensorView)> = owned
                .iter()
                .filter_map(|(n, s, d, b)| {
                    safetensors::tensor::TensorView::new(*d, s.clone(), b)
                        .ok()
                        .map(|v| (n.clone(), v))
                })
                .collect();
            let bytes = safetensors::serialize(views, &None).unwrap();
            std::fs::write(dir.path().join("w.safetensors"), &bytes).unwrap();
            let cfg_text = s.config("w.safetensors", "threshold");
            let cfg = write(dir.path(), "c.toml", &cfg_text);
            let input = format!("{cfg_text}prefix {prefix:?}, {file_dt:?}, edits: {edits:?}");
            let ok = check_gen_sim(dir.path(), &cfg, &["w.safetensors"], &input)?;
            tally
                .borrow_mut()
                .record(ok, Some((&cfg, &input, cosim_budget)))
        })
        .unwrap();
    tally.into_inner().finish("safetensors", cosim_budget);
}

// ---- bytes that are no config and no model file --------------------------

#[test]
fn fuzz_bad_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let tally = RefCell::new(Tally::default());
    let good_cfg =
        "[model]\ncell = \"lstm\"\ninput_size = 3\nhidden_size = 4\n[hw]\nrows = 2\ncols = 4\n";
    let fm = hitnet_model::defaults::default_float_model(hitnet_model::CellKind::Lstm, 3, 4, 1, 1);
    let st = hitnet_model::import::export_safetensors(&fm, "");
    let js = hitnet_model::io::to_json(&fm.quantize(&Default::default()).unwrap()).into_bytes();
    // Which file, how much of a good one to keep, what to append.
    let strategy = (
        0u8..3,
        any::<proptest::sample::Index>(),
        proptest::collection::vec(any::<u8>(), 0..64),
    );
    runner(4, 150)
        .run(&strategy, |(which, cut, tail)| {
            let (file, base): (&str, &[u8]) = match which {
                0 => ("c.toml", good_cfg.as_bytes()),
                1 => ("w.safetensors", &st),
                _ => ("m.json", &js),
            };
            let mut bytes = base[..cut.index(base.len())].to_vec();
            bytes.extend(&tail);
            std::fs::write(dir.path().join(file), &bytes).unwrap();
            let cfg = if file == "c.toml" {
                dir.path().join("c.toml").display().to_string()
            } else {
                write(
                    dir.path(),
                    "c.toml",
                    &good_cfg.replace(
                        "hidden_size = 4\n",
                        &format!("hidden_size = 4\nweights = \"{file}\"\n"),
                    ),
                )
            };
            let input = format!(
                "{file}: {} bytes {:?}",
                bytes.len(),
                String::from_utf8_lossy(&bytes)
            );
            let ok = check_gen_sim(dir.path(), &cfg, &[file], &input)?;
            tally.borrow_mut().record(ok, None)
        })
        .unwrap();
    let t = tally.into_inner();
    t.print("bad bytes");
    assert!(t.refused >= t.cases / 2, "{t:?}");
}
