//! Golden model = cycle simulator = Verilated RTL: random configurations,
//! extremes, full table coverage, a long run, and a deliberate fault.
use hitnet_arch::{Plan, Shape};
use hitnet_cosim::{Report, Setup, Stimulus, Toolchain};
use hitnet_model::config::{ActMode, CellKind, QuantParams};
use hitnet_model::model::QuantModel;
use hitnet_model::rng::{random_input, Rng};
use hitnet_model::{Golden, IntModel};
use hitnet_rtl::Bram;
use hitnet_sim::testgen::RandomConfig;
use hitnet_sim::{Pattern, Token};
use std::path::{Path, PathBuf};

fn cache() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cosim-cache")
}

fn tokens(seed: u64, n: usize, input: usize, reset_every: usize) -> Vec<Token> {
    (0..n)
        .map(|t| Token {
            x: random_input(seed, t as u64, input),
            first: t % reset_every == 0,
        })
        .collect()
}

/// What a three-way run changes: how the weight banks are built (`bram`),
/// the memory images (`images`) or the Verilog before it is verilated
/// (`edit`; a fault in a DP16KD's INITVAL), and whether the RTL starts from
/// random registers (`random_init`). The default: as generated, from zero.
#[derive(Clone, Copy, Default)]
struct Variant<'a> {
    bram: Bram,
    images: Option<&'a dyn Fn(&Path)>,
    edit: Option<&'a dyn Fn(&str) -> String>,
    random_init: Option<u32>,
}

impl Variant<'_> {
    fn on(bram: Bram) -> Self {
        Variant {
            bram,
            ..Variant::default()
        }
    }
}

/// Generates the RTL, writes its images, runs the three models.
fn three_way(m: &IntModel, plan: &Plan, stim: &Stimulus, images: Option<&dyn Fn(&Path)>) -> Report {
    three_way_in(
        m,
        plan,
        stim,
        Variant {
            images,
            ..Variant::default()
        },
    )
}

/// `three_way` with the design changed as `v` says.
fn three_way_in(m: &IntModel, plan: &Plan, stim: &Stimulus, v: Variant) -> Report {
    three_way_try(m, plan, stim, v).unwrap()
}

/// `three_way_in`, or the error a broken design gives (a protocol error,
/// a hang).
fn three_way_try(
    m: &IntModel,
    plan: &Plan,
    stim: &Stimulus,
    v: Variant,
) -> Result<Report, hitnet_cosim::CosimError> {
    let Variant {
        bram,
        images,
        edit,
        random_init,
    } = v;
    let d = hitnet_rtl::generate_with(plan, serde_json::json!({}), bram);
    let verilog = match edit {
        Some(f) => f(&d.verilog()),
        None => d.verilog(),
    };
    let dir = tempfile::tempdir().unwrap();
    hitnet_cosim::write_images(&d, dir.path()).unwrap();
    if let Some(f) = images {
        f(dir.path());
    }
    let tc = Toolchain::find().expect("verilator (scripts/setup installs it)");
    let vcd = dir.path().join("mismatch.vcd");
    let setup = Setup {
        plan,
        model: m,
        verilog: &verilog,
        memdir: dir.path(),
        cache: &cache(),
        opt: 0,
        random_init,
        vcd: Some(&vcd),
    };
    let r = hitnet_cosim::run(&tc, &setup, stim)?;
    if let Some(v) = &r.vcd {
        assert!(std::fs::metadata(v).unwrap().len() > 1000, "VCD written");
    }
    Ok(r)
}

fn assert_exact(r: &Report, what: &str) {
    assert!(
        r.bit_exact,
        "{what}: {} mismatches, first {:?}",
        r.mismatches,
        r.first.as_ref().map(|m| m.to_string())
    );
    assert!(r.beats > 0 && r.rtl_cycles == r.sim_cycles);
}

#[test]
fn twenty_random_configs() {
    let mut rng = Rng::new(77);
    for case in 0..20 {
        let rc = RandomConfig::draw(&mut rng, 48, 3);
        let m = rc.model();
        let plan = rc.plan(&m);
        let (valid, ready) = if case % 2 == 0 {
            (Pattern::Always, Pattern::Always)
        } else {
            (
                Pattern::Random {
                    seed: case,
                    percent: 70,
                },
                Pattern::Random {
                    seed: case + 100,
                    percent: 60,
                },
            )
        };
        let stim = Stimulus {
            tokens: tokens(case, 12, rc.input, 5),
            valid,
            ready,
        };
        let r = three_way(&m, &plan, &stim, None);
        assert_exact(&r, &format!("case {case}: {rc:?}"));
    }
}

/// The RTL leg is the only one independent of the helpers golden model and
/// simulator share (rshift_round, sat, the LFSR, the tables), so it gets
/// larger configs too: sizes 49..=160, 1 to 3 layers, up to 32 x 64, the
/// lane count drawn, long sequences with resets and stalls.
#[test]
fn eight_larger_random_configs() {
    let mut rng = Rng::new(20_261_201);
    for case in 0..8u64 {
        let rc = RandomConfig::draw_large(&mut rng, 3);
        let m = rc.model();
        let plan = rc.plan(&m);
        let stim = Stimulus {
            tokens: tokens(case + 1000, 16, rc.input, 7),
            valid: Pattern::Random {
                seed: case,
                percent: 80,
            },
            ready: Pattern::Random {
                seed: case + 500,
                percent: 75,
            },
        };
        let r = three_way(&m, &plan, &stim, None);
        assert_exact(&r, &format!("large case {case}: {rc:?}"));
    }
}

/// A model of 11 inputs and 9 units whose every weight is `w` and every
/// bias `bias`.
fn uniform(cell: CellKind, layers: usize, w: i8, bias: f64, q: &QuantParams) -> IntModel {
    let qm = QuantModel::uniform(cell, 11, 9, layers, w, 0.25, bias, q);
    IntModel::new(&qm, q).unwrap()
}

#[test]
fn extremes_all_plus_minus_zero_and_saturation() {
    let thr = QuantParams {
        activation: ActMode::Threshold,
        act_threshold: 0.1,
        ..QuantParams::default()
    };
    let cases = [
        ("all +1, LSTM", uniform(CellKind::Lstm, 2, 1, 0.0, &thr)),
        ("all -1, GRU", uniform(CellKind::Gru, 2, -1, 0.0, &thr)),
        (
            "all 0, LSTM",
            uniform(CellKind::Lstm, 1, 0, 0.5, &QuantParams::default()),
        ),
        // i = f = g = 1: c grows by 1.0 a step and saturates at 2^ci.
        (
            "saturating cell, LSTM",
            uniform(CellKind::Lstm, 1, 1, 6.0, &thr),
        ),
    ];
    for (k, (what, m)) in cases.iter().enumerate() {
        let plan = Plan::new(m, Shape::new(3, 5)).unwrap();
        // All +1 inputs, then all -1: drives accumulators to both ends.
        let toks: Vec<Token> = (0..60)
            .map(|t| Token {
                x: vec![if t < 30 { 1 } else { -1 }; m.input_size],
                first: t == 0,
            })
            .collect();
        let mut g = Golden::new(m);
        g.track_ranges();
        for t in &toks {
            g.step(&t.x);
        }
        let r = g.ranges.take().unwrap();
        if *what == "saturating cell, LSTM" {
            assert_eq!(r.seen["cell"].1, m.formats.cell_max(), "{what}: saturates");
        }
        if k < 2 {
            let (lo, hi) = r.seen["acc"];
            assert_eq!(
                lo.abs().max(hi),
                m.widths.acc_bound,
                "{what}: reaches |acc| = N"
            );
        }
        let stim = Stimulus {
            tokens: toks,
            valid: Pattern::Always,
            ready: Pattern::Random {
                seed: k as u64,
                percent: 80,
            },
        };
        assert_exact(&three_way(m, &plan, &stim, None), what);
    }
}

/// Biases swept across units so the stream looks up every table entry.
/// A model whose biases spread every unit's pre-activations over the whole
/// table range, and a token stream long enough to read every entry.
/// The table model (6 inputs, 48 units, K = 6) on an 8 x 6 array with `n`
/// tokens, no stalls.
fn table_case(cell: CellKind, n: usize) -> (IntModel, Plan, Stimulus) {
    let (i, h) = (6, 48);
    let q = QuantParams {
        lut_bits: 6,
        ..QuantParams::default()
    };
    let fm = hitnet_model::defaults::default_float_model(cell, i, h, 1, 3);
    let mut qm = fm.quantize(&q).unwrap();
    for (g, gate) in qm.layers[0].gates.iter_mut().enumerate() {
        for (j, b) in gate.bias.iter_mut().enumerate() {
            // Spread -6 .. 6 across units (the table covers about [-4, 4)).
            let spread = -6.0 + 12.0 * j as f64 / (h - 1) as f64;
            // LSTM: i and o held open (about 0.98), so that every g and
            // every tanh(c) reaches h and a wrong entry can show; f and g
            // sweep the sigmoid and tanh ranges. GRU: every gate sweeps.
            *b = match (cell, g) {
                (CellKind::Lstm, 0 | 3) => 4.0,
                _ => spread,
            };
        }
        gate.scale = 0.3;
    }
    let m = IntModel::new(&qm, &q).unwrap();
    let plan = Plan::new(&m, Shape::new(8, 6)).unwrap();
    let stim = Stimulus {
        tokens: tokens(9, n, i, 40),
        valid: Pattern::Always,
        ready: Pattern::Always,
    };
    (m, plan, stim)
}

/// Every reachable entry of both ROMs the hardware reads (act.hex in the
/// post lanes, tanh.hex in the element-wise units), counted per ROM, is
/// read by the stream, and the three models agree on it: LSTM and GRU.
#[test]
fn every_table_entry() {
    for (cell, n) in [(CellKind::Lstm, 120), (CellKind::Gru, 200)] {
        let (m, plan, stim) = table_case(cell, n);
        let mut g = Golden::new(&m);
        g.track_coverage();
        for t in &stim.tokens {
            if t.first {
                g.reset();
            }
            g.step(&t.x);
        }
        let cov = g.coverage.take().unwrap();
        assert_eq!(
            cov.missing(),
            (0, 0),
            "{cell:?}: entries of (act.hex, tanh.hex) never read"
        );
        assert_exact(
            &three_way(&m, &plan, &stim, None),
            &format!("{cell:?} table coverage"),
        );
    }
}

/// The default model of the given sizes and seed, planned on `shape`.
fn default_case(
    cell: CellKind,
    i: usize,
    h: usize,
    layers: usize,
    seed: u64,
    shape: Shape,
) -> (IntModel, Plan) {
    let q = QuantParams::default();
    let m = hitnet_model::defaults::default_int_model(cell, i, h, layers, seed, &q).unwrap();
    let plan = Plan::new(&m, shape).unwrap();
    (m, plan)
}

#[test]
fn long_run_10000_tokens() {
    let (m, plan) = default_case(CellKind::Lstm, 40, 32, 2, 5, Shape::new(8, 16));
    let stim = Stimulus {
        tokens: tokens(11, 10_000, 40, 2_500),
        valid: Pattern::Always,
        ready: Pattern::Random {
            seed: 5,
            percent: 90,
        },
    };
    let r = three_way(&m, &plan, &stim, None);
    assert_exact(&r, "10,000 tokens");
    assert_eq!(r.tokens, 10_000);
}

/// The design and stimulus of the fault-injection tests: GRU 13/11 on 4 x 8.
fn fault_case() -> (IntModel, Plan, Stimulus) {
    let (m, plan) = default_case(CellKind::Gru, 13, 11, 1, 8, Shape::new(4, 8));
    let stim = Stimulus {
        tokens: tokens(3, 30, 13, 30),
        valid: Pattern::Always,
        ready: Pattern::Always,
    };
    (m, plan, stim)
}

#[test]
fn a_flipped_weight_is_caught() {
    let (m, plan, stim) = fault_case();
    assert_exact(&three_way(&m, &plan, &stim, None), "unmodified");
    // Negate one nonzero weight in the RTL's memory image only.
    let flip = |dir: &Path| {
        let p = dir.join("w_2.hex");
        let text = std::fs::read_to_string(&p).unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let k = lines
            .iter()
            .position(|l| l.chars().any(|c| c != '0'))
            .unwrap();
        let v = u64::from_str_radix(&lines[k], 16).unwrap();
        let bit = (0..64).find(|b| v >> b & 1 == 1).unwrap() & !1;
        lines[k] = format!("{:0w$x}", v ^ (2u64 << bit), w = lines[k].len());
        std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    };
    let r = three_way(&m, &plan, &stim, Some(&flip));
    assert!(!r.bit_exact);
    assert!(r.sim_vs_rtl > 0);
    assert_eq!(r.golden_vs_sim, 0);
    let first = r.first.expect("a first mismatch");
    assert_eq!(first.between, hitnet_cosim::Between::SimVsRtl);
    assert!(first.element.is_some() && first.cycle.is_some());
    assert!(r.vcd.is_some());
}

/// The ECP5 build: weight banks as DP16KD primitives with the output
/// register, simulated with the shipped model (checked against Yosys's own
/// DP16KD mapping in hitnet-fpga/tests/dp16kd_model.rs). Every mode: 36 bits
/// (512 deep), 18 (1024), 9 (2048, 1408 used), plus random configurations,
/// with and without stalls.
#[test]
fn dp16kd_banks_every_mode() {
    let q = QuantParams::default();
    let m = hitnet_model::defaults::default_int_model(CellKind::Lstm, 64, 64, 1, 5, &q).unwrap();
    for (rows, cols, width) in [(8, 16, 36), (4, 8, 18), (3, 8, 9)] {
        let plan = Plan::new(&m, Shape::new(rows, cols)).unwrap();
        let d = hitnet_rtl::generate_with(&plan, serde_json::json!({}), Bram::Dp16kd);
        let wb = &d.manifest["memories"]["weight_bram"];
        assert_eq!(wb["primitive"], "DP16KD", "{rows}x{cols}: {wb}");
        assert_eq!(wb["width"], width, "{rows}x{cols}: {wb}");
        assert!(d.files.iter().all(|(n, _)| !n.starts_with("w_")));
        let stim = Stimulus {
            tokens: tokens(rows as u64, 12, 64, 5),
            valid: Pattern::Random {
                seed: 1,
                percent: 70,
            },
            ready: Pattern::Random {
                seed: 2,
                percent: 60,
            },
        };
        let r = three_way_in(&m, &plan, &stim, Variant::on(Bram::Dp16kd));
        assert_exact(&r, &format!("DP16KD {rows}x{cols}"));
    }
    let mut rng = Rng::new(78);
    for case in 0..6 {
        let rc = RandomConfig::draw(&mut rng, 48, 3);
        let m = rc.model();
        let plan = rc.plan(&m);
        let stim = Stimulus {
            tokens: tokens(case, 10, rc.input, 4),
            valid: Pattern::Always,
            ready: Pattern::Always,
        };
        let r = three_way_in(&m, &plan, &stim, Variant::on(Bram::Dp16kd));
        assert_exact(&r, &format!("DP16KD case {case}: {rc:?}"));
    }
}

#[test]
fn a_flipped_weight_in_initval_is_caught() {
    let (m, plan, stim) = fault_case();
    assert_exact(
        &three_way_in(&m, &plan, &stim, Variant::on(Bram::Dp16kd)),
        "unmodified",
    );
    // Negate bank 2's first nonzero weight (lowest address, lowest trit):
    // INITVAL hex is MSB first, and a trit's two bits share a hex digit.
    let flip = |v: &str| -> String {
        let start = v.find("module hitnet_wbank2 (").unwrap();
        let key = ".INITVAL_00(320'h";
        let at = start + v[start..].find(key).unwrap() + key.len();
        let mut b = v.as_bytes().to_vec();
        let k = (at..at + 80)
            .rev()
            .find(|&i| {
                let d = (b[i] as char).to_digit(16).unwrap();
                d & 1 == 1 || d & 4 == 4
            })
            .unwrap();
        let d = (b[k] as char).to_digit(16).unwrap();
        let nd = if d & 1 == 1 { d ^ 2 } else { d ^ 8 };
        b[k] = char::from_digit(nd, 16).unwrap() as u8;
        String::from_utf8(b).unwrap()
    };
    let r = three_way_in(
        &m,
        &plan,
        &stim,
        Variant {
            edit: Some(&flip),
            ..Variant::on(Bram::Dp16kd)
        },
    );
    assert!(!r.bit_exact);
    assert!(r.sim_vs_rtl > 0);
    assert_eq!(r.golden_vs_sim, 0);
}

/// Two-state Verilator with zero initial values would hide a register the
/// reset forgets (it starts at the value reset would give it). Here every
/// register and memory starts from random bits (`--x-initial unique`), on
/// random configurations with stalls, for both weight-bank builds.
#[test]
fn random_initial_state_changes_nothing() {
    let mut rng = Rng::new(4242);
    for case in 0..6u64 {
        let rc = RandomConfig::draw(&mut rng, 24, 2);
        let m = rc.model();
        let plan = rc.plan(&m);
        let stim = Stimulus {
            tokens: tokens(case, 10, rc.input, 4),
            valid: Pattern::Random {
                seed: case,
                percent: 75,
            },
            ready: Pattern::Random {
                seed: case + 50,
                percent: 70,
            },
        };
        let bram = if case % 3 == 2 {
            Bram::Dp16kd
        } else {
            Bram::Inferred
        };
        let seed = 1 + case as u32;
        let r = three_way_in(
            &m,
            &plan,
            &stim,
            Variant {
                random_init: Some(seed),
                ..Variant::on(bram)
            },
        );
        assert_exact(&r, &format!("case {case}, init seed {seed}: {rc:?}"));
    }
}

/// The check above can fail: the same design with the reset of its output
/// queue's count removed passes from zero initial values (the count then
/// starts as reset would leave it) and fails from random ones (the queue
/// then holds beats nobody pushed).
#[test]
fn a_forgotten_reset_is_caught_by_random_init() {
    let (m, plan, stim) = fault_case();
    let forget = |v: &str| {
        let from = "if (rst) begin qn <= 2'd0; en <= 1'b1; end";
        assert!(v.contains(from), "the queue reset moved; update this test");
        v.replace(from, "if (rst) begin en <= 1'b1; end")
    };
    let forgotten = Variant {
        edit: Some(&forget),
        ..Variant::default()
    };
    let zero = three_way_in(&m, &plan, &stim, forgotten);
    assert_exact(&zero, "no reset, zero init");
    // A 2-bit count starts at 0 on one seed in four: try four seeds.
    let caught = (1..=4u32)
        .filter(|&seed| {
            let v = Variant {
                random_init: Some(seed),
                ..forgotten
            };
            match three_way_try(&m, &plan, &stim, v) {
                Ok(r) => !r.bit_exact,
                // The RTL misbehaving is also caught; a build or I/O
                // failure is not an answer.
                Err(
                    hitnet_cosim::CosimError::Protocol(_) | hitnet_cosim::CosimError::Hung { .. },
                ) => true,
                Err(e) => panic!("seed {seed}: {e}"),
            }
        })
        .count();
    assert!(
        caught >= 1,
        "a forgotten reset went unseen on 4 random seeds"
    );
    let unchanged = Variant {
        random_init: Some(3),
        ..Variant::default()
    };
    let unchanged = three_way_in(&m, &plan, &stim, unchanged);
    assert_exact(&unchanged, "with reset, random init");
}

/// Full coverage means a wrong entry anywhere can show: the first entry of
/// act.hex's tanh half (the g gate's most negative input, about -1) and the
/// last of tanh.hex (about +1), each set to 0 in the RTL's image only, are
/// both caught. (A one-LSB change of one entry is not, on this stream: the
/// outputs are trits, and a small change to one unit's g or tanh(c) rarely
/// moves a threshold or a Bernoulli draw.)
#[test]
fn a_flipped_table_entry_is_caught() {
    let (m, plan, stim) = table_case(CellKind::Lstm, 120);
    let k = 1usize << 6; // lut_bits
    for (file, entry) in [("act.hex", k), ("tanh.hex", k - 1)] {
        let flip = move |dir: &Path| {
            let p = dir.join(file);
            let text = std::fs::read_to_string(&p).unwrap();
            let mut lines: Vec<String> = text.lines().map(String::from).collect();
            assert!(u64::from_str_radix(&lines[entry], 16).unwrap() != 0);
            lines[entry] = "0".repeat(lines[entry].len());
            std::fs::write(&p, lines.join("\n") + "\n").unwrap();
        };
        let r = three_way(&m, &plan, &stim, Some(&flip));
        assert!(!r.bit_exact, "{file} entry {entry} set to 0, not caught");
        assert_eq!(r.golden_vs_sim, 0);
    }
}

/// Token overlap on the default design (LSTM 64/64, 8 x 16): the next
/// token's h part waits the plan's bubble and no less. With one slot
/// fewer, its first group reads an h trit of the previous token before
/// the element-wise lane has written it, and the RTL (not the simulator,
/// which models values by token) answers wrong trits; so the bubble is
/// exact, not merely safe.
#[test]
fn the_overlap_bubble_is_the_shortest_safe_one() {
    let (m, plan) = default_case(CellKind::Lstm, 64, 64, 1, 1, Shape::new(8, 16));
    assert!(plan.overlap && plan.layers[0].prefix > 0 && plan.bubble > 0);
    let stim = Stimulus {
        tokens: tokens(3, 120, 64, 50),
        valid: Pattern::Always,
        ready: Pattern::Always,
    };
    let r = three_way(&m, &plan, &stim, None);
    assert_exact(&r, "overlap with the plan's bubble");
    assert_eq!(r.rtl_cycles, r.sim_cycles);
    let short = plan.clone().with_bubble(plan.bubble - 1);
    let r = three_way(&m, &short, &stim, None);
    assert!(
        !r.bit_exact && r.mismatches > 0,
        "one bubble slot fewer went unnoticed"
    );
}
