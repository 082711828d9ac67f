//! The classifier ends (`hitnet_cls` around `hitnet_top`) in RTL: frame
//! words through `sim/tb_hitnet_cls.v`, every class, its logit and its
//! handshake cycle equal to the cycle simulator's, whose classes and
//! logits equal the golden model's. Small classifiers with odd shapes
//! (several input beats, thresholds out of the samples' range, two
//! layers), stalls on both ports, sequences of one frame, the flash store
//! (Icarus and Verilator), a mutation the bench must catch, and the
//! committed BasicMotions model.
mod common;
use hitnet_arch::cls::ClsPlan;
use hitnet_arch::lm::LmStore;
use hitnet_model::classify::{ClassHead, Classifier, InputQuantizer, InputTrit, Pool};
use hitnet_sim::cls::{frames, ClsFrame};
use hitnet_sim::Pattern;
use hitnet_verify::cls::{verify_cls, ClsReport};
use hitnet_verify::ends::{BenchSetup, Simulator};
use hitnet_verify::Netlist;

struct Cls {
    plan: hitnet_arch::Plan,
    int: hitnet_model::IntModel,
    c: Classifier,
    store: LmStore,
}

impl Cls {
    /// A committed model (`models/...`) with its classifier, its ends in
    /// the flash store.
    fn committed(file: &str) -> Cls {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let cfg = hitnet_model::Config::load(&root.join(file)).expect("config");
        let loaded = hitnet_model::load(&cfg).expect("model");
        let c = loaded.model.classifier.clone().expect("a classifier");
        let plan =
            hitnet_arch::Plan::new(&loaded.int, hitnet_arch::Shape::of(&cfg.hw)).expect("plan");
        Cls {
            plan,
            int: loaded.int,
            c,
            store: LmStore::Flash { offset: 0x10_0000 },
        }
    }

    /// The ends' plan in `self.store`, and their design with weight banks
    /// `bram`.
    fn design(&self, bram: hitnet_rtl::Bram) -> (ClsPlan, hitnet_rtl::Design) {
        let cp = ClsPlan::new(&self.plan, &self.c)
            .and_then(|p| p.with_store(self.store))
            .expect("cls plan");
        let d = hitnet_rtl::cls::generate(&self.plan, &cp, serde_json::json!({}), bram, false);
        (cp, d)
    }
}

fn rnd(s: &mut u64) -> u64 {
    *s = hitnet_model::rng::splitmix64(*s);
    *s
}

/// The config's seeded recurrent network with a seeded quantizer of
/// `channels` channels and a seeded head of `classes` classes.
fn small(config: &str, channels: usize, classes: usize) -> Cls {
    let cfg = hitnet_model::Config::parse(config, "<test config>").expect("config");
    let loaded = hitnet_model::load(&cfg).expect("model");
    let (input, hidden) = (loaded.model.input_size, loaded.model.hidden_size);
    let mut s = 7u64;
    let trits = (0..input)
        .map(|k| {
            let lo = (rnd(&mut s) % 4000) as i32 - 3000;
            let hi = lo + 1 + (rnd(&mut s) % 3000) as i32;
            let (lo, hi) = match k % 7 {
                // Thresholds past the 16-bit samples: one comparator off.
                5 => (-40_000, hi),
                6 => (lo, 40_000),
                _ => (lo, hi),
            };
            InputTrit {
                channel: (rnd(&mut s) as usize) % channels,
                lo,
                hi,
                neg: rnd(&mut s) % 2 == 1,
            }
        })
        .collect();
    let c = Classifier {
        input: InputQuantizer {
            channels,
            frac_bits: 8,
            trits,
        },
        head: ClassHead {
            pool: Pool::Last,
            classes: (0..classes).map(|k| format!("c{k}")).collect(),
            weight: (0..classes)
                .map(|_| {
                    (0..hidden)
                        .map(|_| (rnd(&mut s) % 256) as u8 as i8)
                        .collect()
                })
                .collect(),
            bias: (0..classes)
                .map(|_| (rnd(&mut s) % 2001) as i32 - 1000)
                .collect(),
            scale: 0.01,
        },
    };
    c.validate(input, hidden).expect("a valid classifier");
    let plan = hitnet_arch::Plan::new(&loaded.int, hitnet_arch::Shape::of(&cfg.hw)).expect("plan");
    Cls {
        plan,
        int: loaded.int,
        c,
        store: LmStore::Rom,
    }
}

/// `n` sequences of seeded frames, of lengths 1, 2, 3, ...; samples at
/// the range's ends and at the thresholds (the comparators' edges) too.
fn sequences(c: &Classifier, n: usize, seed: u64) -> Vec<ClsFrame> {
    let mut s = seed;
    let seqs: Vec<Vec<Vec<i32>>> = (0..n)
        .map(|k| {
            (0..k % 4 + 1)
                .map(|_| {
                    (0..c.input.channels)
                        .map(|ch| {
                            let on: Vec<&InputTrit> =
                                c.input.trits.iter().filter(|t| t.channel == ch).collect();
                            let pick = |s: &mut u64| on[(rnd(s) as usize) % on.len()];
                            match rnd(&mut s) % 10 {
                                0 => -32768,
                                1 => 32767,
                                2 | 3 if !on.is_empty() => pick(&mut s).hi,
                                4 | 5 if !on.is_empty() => pick(&mut s).lo,
                                _ => (rnd(&mut s) % 8000) as i32 - 4000,
                            }
                            .clamp(-32768, 32767)
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    frames(&seqs)
}

/// The bench on the generated RTL; `patch` edits hitnet_cls.v first.
fn bench(
    m: &Cls,
    f: &[ClsFrame],
    valid: Pattern,
    ready: Pattern,
    patch: Option<(&str, &str)>,
    simulator: Simulator,
) -> ClsReport {
    let (cp, d) = m.design(Default::default());
    let dir = tempfile::tempdir().unwrap();
    let net = common::rtl_in(&d, dir.path(), "hitnet_cls.v", patch);
    let r = verify_cls(
        &BenchSetup {
            net: &net,
            valid,
            ready,
            work: dir.path(),
            simulator,
        },
        &m.plan,
        &cp,
        &m.c,
        &m.int,
        f,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "{} frames, {} sequences, {} cycles (bench {}), {} mismatches, {:.1} s",
        r.frames,
        r.sequences,
        r.verdict.sim_cycles,
        r.verdict.bench_cycles,
        r.verdict.mismatches,
        r.verdict.seconds
    );
    r
}

fn run(m: &Cls, f: &[ClsFrame], valid: Pattern, ready: Pattern) -> ClsReport {
    let r = bench(m, f, valid, ready, None, Simulator::Icarus);
    assert!(r.ok(), "{r:#?}");
    r
}

const LSTM: &str = "[model]\ncell = \"lstm\"\ninput_size = 10\nhidden_size = 11\nlayers = 1\n\
     [hw]\nrows = 4\ncols = 4\ntarget = \"ice40-up5k\"\n";

#[test]
fn lstm_several_beats_with_stalls() {
    // 10 inputs in beats of 4 (3 beats, 2 padding entries), 3 channels.
    let m = small(LSTM, 3, 5);
    let f = sequences(&m.c, 7, 1);
    let r = run(&m, &f, Pattern::stalled(3, 40), Pattern::stalled(4, 40));
    assert_eq!(r.sequences, 7);
    // The classes are not all the same (the inputs reach the answer).
    assert!(r.golden.iter().any(|&k| k != r.golden[0]), "{:?}", r.golden);
    let fast = run(&m, &f, Pattern::Always, Pattern::Always);
    assert_eq!(fast.golden, r.golden);
}

#[test]
fn gru_two_layers_one_beat() {
    let m = small(
        "[model]\ncell = \"gru\"\ninput_size = 6\nhidden_size = 8\nlayers = 2\n\
         [hw]\nrows = 4\ncols = 8\ntarget = \"ice40-up5k\"\n",
        2,
        3,
    );
    run(
        &m,
        &sequences(&m.c, 6, 2),
        Pattern::Always,
        Pattern::stalled(9, 50),
    );
}

/// The flash store: the quantizer table and the head in one single-port
/// RAM that the loader fills from the SPI flash model; no frame before the
/// load, then every class and cycle as the simulator's (Icarus and
/// Verilator).
#[test]
fn flash_store_loads_then_answers() {
    let mut m = small(LSTM, 3, 5);
    m.store = LmStore::Flash { offset: 0x10_0000 };
    let f = sequences(&m.c, 5, 3);
    let r = run(&m, &f, Pattern::stalled(3, 30), Pattern::stalled(4, 30));
    let (cp, _) = m.design(Default::default());
    let fl = cp.flash.unwrap();
    // 12 entries + 5 x 12 head words of 37 bits (2 channel bits + 35).
    assert_eq!((fl.width, fl.depth, fl.word_bytes), (37, 72, 5));
    assert!(r.verdict.sim_cycles > fl.load_cycles);
    let v = bench(
        &m,
        &f,
        Pattern::Always,
        Pattern::Always,
        None,
        Simulator::Verilator,
    );
    assert!(v.ok(), "{v:#?}");
    assert_eq!(v.golden, r.golden);
    m.store = LmStore::Rom;
    assert_eq!(
        run(&m, &f, Pattern::Always, Pattern::Always).golden,
        r.golden
    );
}

/// Mutations the bench must catch: a quantizer compare off by one (`>=`
/// becomes `>`), and ties going to the last class (classes 0 and 1 are
/// the same row, far ahead of the others).
#[test]
fn the_bench_catches_mutations() {
    let mut m = small(LSTM, 3, 5);
    m.c.head.weight[1] = m.c.head.weight[0].clone();
    m.c.head.bias[0] = 100_000;
    m.c.head.bias[1] = 100_000;
    let f = sequences(&m.c, 7, 1);
    let r = run(&m, &f, Pattern::Always, Pattern::Always);
    assert!(r.golden.iter().all(|&k| k == 0), "{:?}", r.golden);
    for patch in [
        ("wire ge = ~", "wire ge = (xs != hi3) & ~"),
        (
            "better5 <= (r4 == ",
            "better5 <= (score4 == best) | (r4 == ",
        ),
    ] {
        let r = bench(
            &m,
            &f,
            Pattern::Always,
            Pattern::Always,
            Some(patch),
            Simulator::Icarus,
        );
        eprintln!("{patch:?}: {:?}", r.verdict.first_mismatches);
        assert!(
            !r.ok() && r.verdict.golden_vs_sim == 0,
            "{patch:?} not caught"
        );
    }
}

/// The committed BasicMotions model (6 channels x 4 trits, LSTM 32, 8 x 16)
/// on seeded frames: golden = simulator = RTL.
#[test]
fn basicmotions_model_in_rtl() {
    let m = Cls::committed("models/basicmotions-lstm32.toml");
    let f = sequences(&m.c, 4, 5);
    run(&m, &f, Pattern::Always, Pattern::Always);
}

/// Verilator -Wall (no waiver) and Icarus -Wall on generated hitnet_cls
/// designs, and snapshots of a small one in both stores (CI=true: insta
/// never writes).
#[test]
fn cls_designs_lint_clean_and_snapshot() {
    let gru = "[model]\ncell = \"gru\"\ninput_size = 6\nhidden_size = 8\nlayers = 2\n\
         [hw]\nrows = 4\ncols = 8\ntarget = \"ice40-up5k\"\n";
    let one = "[model]\ncell = \"lstm\"\ninput_size = 1\nhidden_size = 1\nlayers = 1\n\
         [hw]\nrows = 1\ncols = 2\ntarget = \"ice40-up5k\"\n";
    let cases = [
        ("lstm_cls", LSTM, 3, 5, false),
        ("lstm_cls_flash", LSTM, 3, 5, true),
        ("gru_cls", gru, 2, 3, false),
        ("one_channel_cls_flash", one, 1, 2, true),
    ];
    for (name, cfg, channels, classes, flash) in cases {
        let mut m = small(cfg, channels, classes);
        if flash {
            m.store = LmStore::Flash { offset: 0x10_0000 };
        }
        let (_, d) = m.design(Default::default());
        let text = common::lint_design(&d, "hitnet_cls");
        assert!(text.trim().is_empty(), "{name}:\n{text}");
        if name == "lstm_cls" || name == "lstm_cls_flash" {
            let v = common::verilog_of(&d, "hitnet_cls.v");
            insta::assert_snapshot!(name, v);
        }
    }
}

/// The smallest ends: one channel (no select), one input trit, one unit
/// (a head row of one weight), in the flash store.
#[test]
fn one_channel_one_unit() {
    let mut m = small(
        "[model]\ncell = \"lstm\"\ninput_size = 1\nhidden_size = 1\nlayers = 1\n\
         [hw]\nrows = 1\ncols = 2\ntarget = \"ice40-up5k\"\n",
        1,
        2,
    );
    m.store = LmStore::Flash { offset: 0x10_0000 };
    run(
        &m,
        &sequences(&m.c, 6, 4),
        Pattern::stalled(1, 30),
        Pattern::Always,
    );
}

/// `hitnet_cls` of `m` synthesized alone for `target` by the flow's synth
/// step in `dir`: the netlist with the Yosys cell models, and its plan.
fn synth_netlist(m: &Cls, target: &str, dir: &std::path::Path) -> (Netlist, ClsPlan) {
    let t = hitnet_fpga::Target::from_name(target).unwrap();
    let (cp, d) = m.design(common::bram_for(t));
    let net = common::synth_alone(&d, "hitnet_cls", t, dir);
    (net, cp)
}

fn netlist_run(m: &Cls, target: &str, f: &[ClsFrame], ready: Pattern) -> ClsReport {
    let dir = tempfile::tempdir().unwrap();
    let (net, cp) = synth_netlist(m, target, dir.path());
    if cp.flash.is_some() {
        let log = std::fs::read_to_string(dir.path().join("build/synth.log")).unwrap();
        assert!(
            log.contains("SB_SPRAM256KA"),
            "the ends' RAM is not in SPRAM"
        );
    }
    let r = verify_cls(
        &BenchSetup {
            net: &net,
            valid: Pattern::Always,
            ready,
            work: &dir.path().join("verify"),
            simulator: Simulator::Icarus,
        },
        &m.plan,
        &cp,
        &m.c,
        &m.int,
        f,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "{target} netlist: {} frames, {} sequences, {} cycles, {} mismatches, {:.1} s",
        r.frames, r.sequences, r.verdict.bench_cycles, r.verdict.mismatches, r.verdict.seconds
    );
    assert!(r.ok(), "{r:#?}");
    r
}

/// The flash store synthesized for the UP5K (the ends' RAM in SPRAM) and
/// the "rom" store for the ECP5-25k (DP16KD): each netlist, simulated with
/// Yosys's cell models, loads and answers as the simulator, class by class
/// and cycle by cycle.
#[test]
fn netlists_ice40_spram_and_ecp5() {
    let mut m = small(LSTM, 3, 5);
    let f = sequences(&m.c, 4, 6);
    m.store = LmStore::Flash { offset: 0x10_0000 };
    netlist_run(&m, "ice40-up5k", &f, Pattern::stalled(3, 20));
    m.store = LmStore::Rom;
    netlist_run(&m, "ecp5-25k", &f, Pattern::Always);
}

/// The committed BasicMotions model's ends on the UP5K (the iCEBreaker's
/// build: core in block RAM, ends in SPRAM): the synthesized netlist
/// answers three sequences as the golden model and the simulator.
#[test]
fn basicmotions_netlist_up5k() {
    let m = Cls::committed("models/basicmotions-lstm32.toml");
    let f = sequences(&m.c, 3, 8);
    netlist_run(&m, "ice40-up5k", &f, Pattern::Always);
}

/// `m`'s ends for `target` generated and wrapped by the flow's `wrap` in
/// the board's classifier top, in a temporary folder: the folder, the
/// plan and the wrapped design.
fn board_top(m: &Cls, target: &str) -> (tempfile::TempDir, ClsPlan, hitnet_fpga::Wrapped) {
    let t = hitnet_fpga::Target::from_name(target).unwrap();
    let (cp, d) = m.design(common::bram_for(t));
    let (dir, w) = common::board_top(&d, t, 50.0);
    (dir, cp, w)
}

/// The classifier's board tops wrapped by the flow's `wrap` around small
/// generated ends: Verilator -Wall (no waiver) and Icarus -Wall clean
/// with the parameters `wrap` sets, the iCEBreaker's with the flash store
/// (HITNET_CLS_FLASH) and the ULX3S's with the "rom" store; one class bit
/// and a logit of whole bytes (the answer's extensions degenerate) too.
#[test]
fn board_tops_lint_clean() {
    let one = "[model]\ncell = \"lstm\"\ninput_size = 1\nhidden_size = 1\nlayers = 1\n\
         [hw]\nrows = 1\ncols = 2\ntarget = \"ice40-up5k\"\n";
    for (cfg, channels, classes, target, flash) in [
        (LSTM, 3, 5, "ice40-up5k", true),
        (LSTM, 3, 5, "ecp5-25k", false),
        (one, 1, 2, "ice40-up5k", true),
        (one, 1, 2, "ecp5-45k", false),
    ] {
        let mut m = small(cfg, channels, classes);
        if flash {
            m.store = LmStore::Flash { offset: 0x10_0000 };
        }
        let (dir, _, w) = board_top(&m, target);
        assert!(w.design.top.ends_with("_cls_top"), "{}", w.design.top);
        assert_eq!(w.design.keep_module.as_deref(), Some("hitnet_cls"));
        assert_eq!(w.design.params["CH"], channels as i64);
        assert_eq!(flash, !w.design.defines.is_empty());
        let text = common::lint_wrapped(dir.path(), &w);
        assert!(text.trim().is_empty(), "{target} {}:\n{text}", w.design.top);
    }
}

/// A small classifier's iCEBreaker board top (flash store) placed and
/// routed, at its serial and flash pins: the routed chip loads its SPRAM
/// from the flash model and answers two sequences (the class byte and the
/// logit's bytes) on the RTL chip's cycles, bytes = the golden model's.
/// The committed models' answers are results files
/// (fpga/results/up5k-*-ends, `hitnet verify --classify --stage routed`).
#[test]
fn small_cls_routed_icebreaker_at_the_pins() {
    let mut m = small(LSTM, 3, 5);
    m.store = LmStore::Flash { offset: 0x10_0000 };
    let t = hitnet_fpga::Target::from_name("ice40-up5k").unwrap();
    let (dir, cp, w) = board_top(&m, "ice40-up5k");
    let r = hitnet_fpga::run_flow(
        &w.design,
        t,
        dir.path(),
        &hitnet_fpga::FlowOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(r.fits);
    // Sequences of one and two frames (a routed UP5K netlist runs a few
    // hundred cycles a second; a frame of 3 channels is 7,300).
    let f = sequences(&m.c, 2, 9);
    assert_eq!(f.len(), 3);
    let yosys = hitnet_fpga::Toolchain::for_family(t.family).yosys;
    let rep = hitnet_verify::cls::verify_cls_routed_build(
        &m.int,
        &m.c,
        &cp,
        &f,
        t,
        &yosys,
        dir.path(),
        &w,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{rep:#?}");
    assert!(rep.verdict.bit_exact, "{rep:#?}");
    let n = 1 + hitnet_fpga::uart::cls_score_bytes(cp.score_bits);
    assert_eq!(rep.verdict.routed_bytes, 2 * n);
    assert!(rep.routed_classes.iter().all(Option::is_some));
}
