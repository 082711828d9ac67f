//! The classifier ends (`hitnet_cls` around `hitnet_top`) in RTL: frame
//! words through `sim/tb_hitnet_cls.v`, every class, its logit and its
//! handshake cycle equal to the cycle simulator's, whose classes and
//! logits equal the golden model's. Small classifiers with odd shapes
//! (several input beats, thresholds out of the samples' range, two
//! layers), stalls on both ports, sequences of one frame, the flash store
//! (Icarus and Verilator), a mutation the bench must catch, and the
//! committed BasicMotions model.
use hitnet_arch::cls::ClsPlan;
use hitnet_arch::lm::LmStore;
use hitnet_model::classify::{ClassHead, Classifier, InputQuantizer, InputTrit, Pool};
use hitnet_sim::cls::{frames, ClsFrame};
use hitnet_sim::Pattern;
use hitnet_verify::cls::{verify_cls, ClsReport};
use hitnet_verify::lm::Simulator;
use hitnet_verify::Netlist;

struct Cls {
    plan: hitnet_arch::Plan,
    int: hitnet_model::IntModel,
    c: Classifier,
    store: LmStore,
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
    let cp = ClsPlan::new(&m.plan, &m.c)
        .and_then(|p| p.with_store(m.store))
        .expect("cls plan");
    let dir = tempfile::tempdir().unwrap();
    let d = hitnet_rtl::cls::generate(
        &m.plan,
        &cp,
        serde_json::json!({}),
        Default::default(),
        false,
    );
    d.write(dir.path()).unwrap();
    if let Some((from, to)) = patch {
        let p = dir.path().join("hitnet_cls.v");
        let v = std::fs::read_to_string(&p).unwrap();
        assert!(v.contains(from), "the patch must apply");
        std::fs::write(&p, v.replacen(from, to, 1)).unwrap();
    }
    let net = Netlist {
        files: d.verilog_files().map(|(n, _)| dir.path().join(n)).collect(),
        ..Default::default()
    };
    let r = verify_cls(
        &net,
        &m.plan,
        &cp,
        &m.c,
        &m.int,
        f,
        valid,
        ready,
        dir.path(),
        simulator,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "{} frames, {} sequences, {} cycles (bench {}), {} mismatches, {:.1} s",
        r.frames, r.sequences, r.sim_cycles, r.bench_cycles, r.mismatches, r.seconds
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
    let cp = ClsPlan::new(&m.plan, &m.c)
        .and_then(|p| p.with_store(m.store))
        .unwrap();
    let fl = cp.flash.unwrap();
    // 12 entries + 5 x 12 head words of 37 bits (2 channel bits + 35).
    assert_eq!((fl.width, fl.depth, fl.word_bytes), (37, 72, 5));
    assert!(r.sim_cycles > fl.load_cycles);
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
            "wire better = (r4 == ",
            "wire better = (score4 == best) | (r4 == ",
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
        eprintln!("{patch:?}: {:?}", r.first_mismatches);
        assert!(!r.ok() && r.golden_vs_sim == 0, "{patch:?} not caught");
    }
}

/// The committed BasicMotions model (6 channels x 4 trits, LSTM 32, 8 x 16)
/// on seeded frames: golden = simulator = RTL.
#[test]
fn basicmotions_model_in_rtl() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cfg =
        hitnet_model::Config::load(&root.join("models/basicmotions-lstm32.toml")).expect("config");
    let loaded = hitnet_model::load(&cfg).expect("model");
    let c = loaded.model.classifier.clone().expect("a classifier");
    let plan = hitnet_arch::Plan::new(&loaded.int, hitnet_arch::Shape::of(&cfg.hw)).expect("plan");
    let m = Cls {
        plan,
        int: loaded.int,
        c,
        store: LmStore::Flash { offset: 0x10_0000 },
    };
    let f = sequences(&m.c, 4, 5);
    run(&m, &f, Pattern::Always, Pattern::Always);
}
