//! The language-model ends (`hitnet_lm` around `hitnet_top`) in RTL: token
//! words through `sim/tb_hitnet_lm.v` in Icarus, every chosen token and
//! its handshake cycle equal to the cycle simulator's, whose tokens equal
//! the golden model's. Small LMs with odd shapes (a head row that does not
//! fill its last chunk, several input beats, two layers, one head lane),
//! sampling and greedy, stalls on both ports; and the committed char model
//! generating its known answer.
mod common;
use hitnet_arch::lm::LmStore;
use hitnet_model::lm::{LmEnds, TokenWord};
use hitnet_model::model::{Embedding, OutputLayer, TernaryMatrix, Vocab, VocabLevel};
use hitnet_sim::Pattern;
use hitnet_verify::lm::{verify_lm, BenchSetup, LmReport, Simulator};
use hitnet_verify::Netlist;

struct Lm {
    plan: hitnet_arch::Plan,
    int: hitnet_model::IntModel,
    ends: LmEnds,
    store: LmStore,
}

impl Lm {
    /// The ends' plan with `lanes` head lanes in `self.store`.
    fn lm_plan(&self, lanes: usize) -> hitnet_arch::lm::LmPlan {
        hitnet_arch::lm::LmPlan::new(&self.plan, &self.ends, lanes)
            .and_then(|p| p.with_store(self.store))
            .expect("lm plan")
    }
}

fn rnd(s: &mut u64) -> u64 {
    *s = hitnet_model::rng::splitmix64(*s);
    *s
}

/// A small language model: the config's seeded recurrent network with a
/// seeded ternary embedding and float head of `vocab` tokens.
fn small(config: &str, vocab: usize, temperature: f64) -> Lm {
    let cfg = hitnet_model::Config::parse(config, "<test config>").expect("config");
    let mut loaded = hitnet_model::load(&cfg).expect("model");
    let m = &mut loaded.model;
    let (input, hidden) = (m.input_size, m.hidden_size);
    let mut s = 99u64;
    let trits: Vec<i8> = (0..vocab * input)
        .map(|_| (rnd(&mut s) % 3) as i8 - 1)
        .collect();
    m.embedding = Some(Embedding {
        table: TernaryMatrix::from_trits(vocab, input, &trits),
    });
    m.output = Some(OutputLayer {
        rows: vocab,
        cols: hidden,
        weight: (0..vocab * hidden)
            .map(|_| (rnd(&mut s) % 2001) as f32 / 1000.0 - 1.0)
            .collect(),
        bias: (0..vocab)
            .map(|_| (rnd(&mut s) % 201) as f32 / 100.0 - 1.0)
            .collect(),
    });
    m.vocab = Some(Vocab {
        level: VocabLevel::Char,
        tokens: (0..vocab).map(|k| format!("t{k}")).collect(),
    });
    let ends = LmEnds::from_model(m, temperature, 5).expect("ends");
    let plan = hitnet_arch::Plan::new(&loaded.int, hitnet_arch::Shape::of(&cfg.hw)).expect("plan");
    Lm {
        plan,
        int: loaded.int,
        ends,
        store: LmStore::Rom,
    }
}

fn run(lm: &Lm, lanes: usize, words: &[TokenWord], valid: Pattern, ready: Pattern) -> LmReport {
    let r = bench(lm, lanes, words, valid, ready, None, Simulator::Icarus);
    assert!(r.ok(), "{r:#?}");
    r
}

/// The bench on the generated RTL; `patch` edits hitnet_lm.v first.
fn bench(
    lm: &Lm,
    lanes: usize,
    words: &[TokenWord],
    valid: Pattern,
    ready: Pattern,
    patch: Option<(&str, &str)>,
    simulator: Simulator,
) -> LmReport {
    let lp = lm.lm_plan(lanes);
    let dir = tempfile::tempdir().unwrap();
    let d = hitnet_rtl::lm::generate(
        &lm.plan,
        &lp,
        serde_json::json!({}),
        Default::default(),
        false,
    );
    // The images load from the bench's working folder.
    let net = common::rtl_in(&d, dir.path(), "hitnet_lm.v", patch);
    let r = verify_lm(
        &BenchSetup {
            net: &net,
            valid,
            ready,
            work: dir.path(),
            simulator,
        },
        &lm.plan,
        &lp,
        &lm.ends,
        &lm.int,
        words,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "{} words, {} tokens, {} cycles (bench {}), {} mismatches, {:.1} s",
        r.words,
        r.tokens,
        r.verdict.sim_cycles,
        r.verdict.bench_cycles,
        r.verdict.mismatches,
        r.verdict.seconds
    );
    r
}

fn words(vocab: usize) -> Vec<TokenWord> {
    let mut w = TokenWord::prompt(&[1, vocab - 1, 0], 5);
    // A second sequence, a word that continues it, a one-step word.
    w.extend(TokenWord::prompt(&[2 % vocab], 2));
    w.push(TokenWord {
        token: vocab - 1,
        first: false,
        feed: 1,
    });
    w.push(TokenWord {
        token: 0,
        first: false,
        feed: 0,
    });
    w
}

#[test]
fn lstm_sampling_with_stalls() {
    // 10 inputs in beats of 4 (3 beats), hidden 11: 3 chunks of 5 lanes,
    // the last one part empty.
    let lm = small(
        "[model]\ncell = \"lstm\"\ninput_size = 10\nhidden_size = 11\nlayers = 1\n\
         [hw]\nrows = 4\ncols = 4\ntarget = \"ice40-up5k\"\n",
        7,
        1.0,
    );
    assert!(lm.ends.noise.iter().any(|&n| n != 0));
    let w = words(7);
    let r = run(&lm, 5, &w, Pattern::stalled(3, 40), Pattern::stalled(4, 40));
    assert_eq!(r.tokens, 8 + 3 + 2 + 1);
    // The sampled tokens are not all the same (the noise reaches the choice).
    assert!(r.golden.iter().any(|&t| t != r.golden[0]));
}

#[test]
fn gru_two_layers_greedy_one_lane() {
    let lm = small(
        "[model]\ncell = \"gru\"\ninput_size = 6\nhidden_size = 8\nlayers = 2\n\
         [hw]\nrows = 4\ncols = 8\ntarget = \"ice40-up5k\"\n",
        3,
        0.0,
    );
    run(&lm, 1, &words(3), Pattern::Always, Pattern::Always);
}

/// The flash store: the embedding and head words in one single-port RAM
/// that the loader fills from the SPI flash model at reset; no word is
/// accepted before the plan's load cycle, then every token and cycle as
/// the simulator's. Icarus and Verilator, stalls on both ports.
#[test]
fn flash_store_loads_then_answers() {
    let mut lm = small(
        "[model]\ncell = \"lstm\"\ninput_size = 10\nhidden_size = 11\nlayers = 1\n\
         [hw]\nrows = 4\ncols = 4\ntarget = \"ice40-up5k\"\n",
        7,
        1.0,
    );
    lm.store = LmStore::Flash { offset: 0x12_3456 };
    let w = words(7);
    let r = run(&lm, 5, &w, Pattern::stalled(3, 40), Pattern::stalled(4, 40));
    let lp = lm.lm_plan(5);
    let f = lp.flash.unwrap();
    // 7 tokens x 4 beat slots of 8 bits (4 trits), then 7 x 3 head words
    // of 40 bits: a RAM of 49 words of 40 bits, 245 bytes.
    assert_eq!((f.width, f.depth, f.bytes, f.head_base), (40, 49, 245, 28));
    assert_eq!(f.load_cycles, 16 + 368 + 64 + 16 * 245);
    assert!(r.verdict.sim_cycles > f.load_cycles);
    let v = bench(
        &lm,
        5,
        &w,
        Pattern::Always,
        Pattern::stalled(5, 30),
        None,
        Simulator::Verilator,
    );
    assert!(v.ok(), "{v:#?}");
    assert_eq!(v.golden, r.golden);
    // The same ends in ROM: the same tokens, the load earlier.
    let rom_plan = hitnet_arch::lm::LmPlan::new(&lm.plan, &lm.ends, 5).unwrap();
    let sim = |p: &hitnet_arch::lm::LmPlan| {
        hitnet_sim::lm::run(&lm.plan, p, &lm.ends, &w, Pattern::Always, Pattern::Always)
    };
    let (a, b) = (sim(&lp), sim(&rom_plan));
    assert_eq!(a.accepted[0], f.load_cycles);
    for (x, y) in a.answers.iter().zip(&b.answers) {
        assert_eq!((x.token, x.cycle), (y.token, y.cycle + f.load_cycles));
    }
    lm.store = LmStore::Rom;
    let rom = run(&lm, 5, &w, Pattern::stalled(3, 40), Pattern::stalled(4, 40));
    assert_eq!(rom.golden, r.golden);
}

/// The loader reading one byte past the image's start (a wrong offset):
/// every RAM word shifted, caught on the tokens.
#[test]
fn the_bench_catches_a_wrong_flash_offset() {
    let mut lm = small(
        "[model]\ncell = \"lstm\"\ninput_size = 10\nhidden_size = 11\nlayers = 1\n\
         [hw]\nrows = 4\ncols = 4\ntarget = \"ice40-up5k\"\n",
        7,
        1.0,
    );
    lm.store = LmStore::Flash { offset: 0x10_0000 };
    let r = bench(
        &lm,
        5,
        &words(7),
        Pattern::Always,
        Pattern::Always,
        Some(("24'h100000", "24'h100001")),
        Simulator::Icarus,
    );
    eprintln!("{:?}", r.verdict.first_mismatches);
    assert!(!r.ok() && r.verdict.mismatches > 0 && r.verdict.golden_vs_sim == 0);
}

#[test]
fn char_model_generates_its_known_answer() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cfg = hitnet_model::Config::load(&root.join("models/char-lstm64.toml")).expect("config");
    let loaded = hitnet_model::load(&cfg).expect("model");
    let ends = LmEnds::from_model(&loaded.model, 0.0, 1).expect("ends");
    let plan = hitnet_arch::Plan::new(&loaded.int, hitnet_arch::Shape::of(&cfg.hw)).expect("plan");
    let lm = Lm {
        plan,
        int: loaded.int,
        ends,
        store: LmStore::Rom,
    };
    let prompt = lm.ends.encode("ROMEO:\n").unwrap();
    let w = TokenWord::prompt(&prompt, 31);
    let r = run(&lm, 8, &w, Pattern::Always, Pattern::Always);
    let text = lm.ends.decode(&r.golden[prompt.len() - 1..]);
    assert_eq!(text, "The will the shall the shall the");
    // The Verilated design: the same tokens at the same cycles.
    let v = bench(
        &lm,
        8,
        &w,
        Pattern::Always,
        Pattern::stalled(9, 30),
        None,
        Simulator::Verilator,
    );
    assert!(v.ok(), "{v:#?}");
    assert_eq!(v.golden, r.golden);
}

#[test]
fn the_bench_catches_a_wrong_draw_order() {
    // The 8 bits drawn per row taken LSB first instead of MSB first: the
    // noise of another table entry, so other tokens are sampled.
    let lm = small(
        "[model]\ncell = \"lstm\"\ninput_size = 10\nhidden_size = 11\nlayers = 1\n\
         [hw]\nrows = 4\ncols = 4\ntarget = \"ice40-up5k\"\n",
        7,
        1.0,
    );
    let w = words(7);
    let from =
        "wire [7:0] draw = {ls0[0], ls1[0], ls2[0], ls3[0], ls4[0], ls5[0], ls6[0], ls7[0]};";
    let to = "wire [7:0] draw = {ls7[0], ls6[0], ls5[0], ls4[0], ls3[0], ls2[0], ls1[0], ls0[0]};";
    let r = bench(
        &lm,
        5,
        &w,
        Pattern::Always,
        Pattern::Always,
        Some((from, to)),
        Simulator::Icarus,
    );
    eprintln!("{:?}", r.verdict.first_mismatches);
    assert!(!r.ok() && r.verdict.mismatches > 0 && r.verdict.golden_vs_sim == 0);
}

/// `hitnet_lm` of `lp` synthesized alone for `target` by the flow's synth
/// step in `dir`: the netlist with the Yosys cell models.
fn synth_netlist(
    plan: &hitnet_arch::Plan,
    lp: &hitnet_arch::lm::LmPlan,
    target: &str,
    dir: &std::path::Path,
) -> Netlist {
    let t = hitnet_fpga::Target::from_name(target).unwrap();
    let d = hitnet_rtl::lm::generate(plan, lp, serde_json::json!({}), common::bram_for(t), false);
    common::synth_alone(&d, "hitnet_lm", t, dir)
}

/// The char model's ends synthesized for `target` by the flow's synth
/// step (top hitnet_lm), the netlist simulated with the Yosys cell models.
fn char_netlist(target: &str, prompt: &str, feed: usize) -> (LmReport, String) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cfg = hitnet_model::Config::load(&root.join("models/char-lstm64.toml")).expect("config");
    let loaded = hitnet_model::load(&cfg).expect("model");
    let ends = LmEnds::from_model(&loaded.model, 0.8, 1).expect("ends");
    let plan = hitnet_arch::Plan::new(&loaded.int, hitnet_arch::Shape::of(&cfg.hw)).expect("plan");
    let lp = hitnet_arch::lm::LmPlan::new(&plan, &ends, 8).expect("lm plan");
    let dir = tempfile::tempdir().unwrap();
    let net = synth_netlist(&plan, &lp, target, dir.path());
    let prompt = ends.encode(prompt).unwrap();
    let n = prompt.len();
    let w = TokenWord::prompt(&prompt, feed);
    let r = verify_lm(
        &BenchSetup {
            net: &net,
            valid: Pattern::Always,
            ready: Pattern::Always,
            work: &dir.path().join("verify"),
            simulator: Simulator::Icarus,
        },
        &plan,
        &lp,
        &ends,
        &loaded.int,
        &w,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "{target} netlist: {} tokens, {} cycles, {} mismatches, {:.1} s; text {:?}",
        r.tokens,
        r.verdict.bench_cycles,
        r.verdict.mismatches,
        r.verdict.seconds,
        ends.decode(&r.golden[n - 1..])
    );
    assert!(r.ok(), "{r:#?}");
    let text = ends.decode(&r.golden[n - 1..]);
    (r, text)
}

/// The small sampling LSTM LM (7 tokens, 5 head lanes) with the flash
/// store at 1 MiB, and its plan.
fn small_flash() -> (Lm, hitnet_arch::lm::LmPlan) {
    let mut lm = small(
        "[model]\ncell = \"lstm\"\ninput_size = 10\nhidden_size = 11\nlayers = 1\n\
         [hw]\nrows = 4\ncols = 4\ntarget = \"ice40-up5k\"\n",
        7,
        1.0,
    );
    lm.store = LmStore::Flash { offset: 0x10_0000 };
    let lp = lm.lm_plan(5);
    (lm, lp)
}

/// The flash store synthesized for the UP5K: Yosys maps the ends' RAM to
/// SB_SPRAM256KA, and the netlist (Icarus, Yosys's iCE40 cell models,
/// the SPRAM's included) loads it from the flash model and answers as the
/// simulator, token by token and cycle by cycle.
#[test]
fn flash_store_netlist_ice40_spram() {
    let (lm, lp) = small_flash();
    let dir = tempfile::tempdir().unwrap();
    let net = synth_netlist(&lm.plan, &lp, "ice40-up5k", dir.path());
    let log = std::fs::read_to_string(dir.path().join("build/synth.log")).unwrap();
    assert!(
        log.contains("SB_SPRAM256KA"),
        "the ends' RAM is not in SPRAM"
    );
    let w = TokenWord::prompt(&[1, 6], 2);
    let r = verify_lm(
        &BenchSetup {
            net: &net,
            valid: Pattern::Always,
            ready: Pattern::stalled(3, 20),
            work: &dir.path().join("verify"),
            simulator: Simulator::Icarus,
        },
        &lm.plan,
        &lp,
        &lm.ends,
        &lm.int,
        &w,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "UP5K flash-store netlist: {} tokens, {} cycles, {} mismatches, {:.1} s",
        r.tokens, r.verdict.bench_cycles, r.verdict.mismatches, r.verdict.seconds
    );
    assert!(r.ok(), "{r:#?}");
    assert_eq!(r.tokens, 4);
}

/// In CI: two prompt steps and two fed-back tokens (about 3,300 cycles,
/// a minute of Icarus on the netlist).
#[test]
fn char_model_netlist_ecp5_25k() {
    let (r, _) = char_netlist("ecp5-25k", "RO", 2);
    assert_eq!(r.tokens, 4);
}

/// The full known answer on the netlist: 31,053 cycles, about 10 minutes
/// (`cargo test --release -p hitnet-verify --test lm_rtl -- --ignored`).
#[test]
#[ignore]
fn char_model_netlist_ecp5_25k_full() {
    let (_, text) = char_netlist("ecp5-25k", "ROMEO:\n", 31);
    // The golden model's text at T = 0.8, seed 1 (tests/lm_ends.rs).
    assert_eq!(text, "A't as and, this wife him your s");
}

/// Verilator -Wall (no waiver) and Icarus -Wall on the generated
/// hitnet_lm designs, and a snapshot of a small one (CI=true: insta
/// never writes).
#[test]
fn lm_designs_lint_clean_and_snapshot() {
    let cases = [
        ("lstm_lm", "lstm", 10, 11, 1, 4, 4, 7, 5),
        ("gru_lm", "gru", 6, 8, 2, 4, 8, 3, 1),
        ("lstm_lm_p8", "lstm", 16, 16, 1, 4, 8, 40, 8),
        ("lstm_lm_flash", "lstm", 10, 11, 1, 4, 4, 7, 5),
        ("gru_lm_flash", "gru", 6, 8, 2, 4, 8, 3, 1),
    ];
    for (name, cell, i, h, layers, rows, cols, vocab, lanes) in cases {
        let store = if name.ends_with("flash") {
            LmStore::Flash { offset: 0x10_0000 }
        } else {
            LmStore::Rom
        };
        let lm = small(
            &format!(
                "[model]\ncell = \"{cell}\"\ninput_size = {i}\nhidden_size = {h}\nlayers = {layers}\n\
                 [hw]\nrows = {rows}\ncols = {cols}\ntarget = \"ice40-up5k\"\n"
            ),
            vocab,
            0.5,
        );
        let lp = hitnet_arch::lm::LmPlan::new(&lm.plan, &lm.ends, lanes)
            .and_then(|p| p.with_store(store))
            .expect("lm plan");
        let d = hitnet_rtl::lm::generate(
            &lm.plan,
            &lp,
            serde_json::json!({}),
            Default::default(),
            false,
        );
        let text = common::lint_design(&d, "hitnet_lm");
        assert!(text.trim().is_empty(), "{name}:\n{text}");
        if name == "lstm_lm" || name == "lstm_lm_flash" {
            let v = common::verilog_of(&d, "hitnet_lm.v");
            insta::assert_snapshot!(name, v);
        }
    }
}

/// `lp`'s ends generated in a temporary folder and wrapped by the flow's
/// `wrap` in `target`'s board top.
fn board_top(
    plan: &hitnet_arch::Plan,
    lp: &hitnet_arch::lm::LmPlan,
    t: &hitnet_fpga::Target,
    clock_mhz: f64,
) -> (tempfile::TempDir, hitnet_fpga::Wrapped) {
    let d = hitnet_rtl::lm::generate(plan, lp, serde_json::json!({}), common::bram_for(t), false);
    common::board_top(&d, t, clock_mhz)
}

/// The LM's board tops wrapped around small generated ends: Verilator
/// -Wall (no waiver) and Icarus -Wall clean with the parameters `wrap`
/// sets, the iCEBreaker's with the flash store and the ULX3S's with the
/// "rom" store; a 2-token vocabulary (1-bit tokens) and a 200-token one.
#[test]
fn lm_board_tops_lint_clean() {
    let cfg = "[model]\ncell = \"lstm\"\ninput_size = 10\nhidden_size = 11\nlayers = 1\n\
         [hw]\nrows = 4\ncols = 4\ntarget = \"ice40-up5k\"\n";
    for (vocab, target, flash) in [
        (7, "ice40-up5k", true),
        (7, "ecp5-25k", false),
        (2, "ice40-up5k", true),
        (200, "ecp5-45k", false),
    ] {
        let mut lm = small(cfg, vocab, 1.0);
        if flash {
            lm.store = LmStore::Flash { offset: 0x10_0000 };
        }
        let lp = lm.lm_plan(5);
        let t = hitnet_fpga::Target::from_name(target).unwrap();
        let (dir, w) = board_top(&lm.plan, &lp, t, 50.0);
        assert!(w.design.top.ends_with("_lm_top"), "{}", w.design.top);
        let text = common::lint_wrapped(dir.path(), &w);
        assert!(
            text.trim().is_empty(),
            "{target} vocab {vocab} {}:\n{text}",
            w.design.top
        );
    }
}

/// `lp`'s board top for `target` placed and routed in a temporary folder
/// and run at its pins against its RTL and the golden model on `words`.
fn routed_at_the_pins(
    plan: &hitnet_arch::Plan,
    lp: &hitnet_arch::lm::LmPlan,
    ends: &LmEnds,
    int: &hitnet_model::IntModel,
    words: &[TokenWord],
    target: &str,
    clock_mhz: f64,
) -> hitnet_verify::lm::LmRoutedReport {
    let t = hitnet_fpga::Target::from_name(target).unwrap();
    let (dir, w) = board_top(plan, lp, t, clock_mhz);
    let board = hitnet_fpga::accel::lm_board(t).unwrap();
    assert_eq!(w.design.top, board.top);
    let r = hitnet_fpga::run_flow(
        &w.design,
        t,
        dir.path(),
        &hitnet_fpga::FlowOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(r.fits);
    let yosys = hitnet_fpga::Toolchain::for_family(t.family).yosys;
    hitnet_verify::lm::verify_lm_routed_build(int, ends, lp, words, t, &yosys, dir.path(), &w)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The ULX3S board top of the ends placed and routed, at its serial pins:
/// a one-character prompt and one fed-back token (2 bytes back), the
/// routed chip's bytes on the same cycles as the RTL chip's, bytes = the
/// golden model's tokens. The full known answer is a results file
/// (fpga/results/ecp5-25k-char-lm, `hitnet verify --generate --stage
/// routed`).
#[test]
fn char_model_routed_ulx3s_at_the_pins() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cfg = hitnet_model::Config::load(&root.join("fpga/configs/ecp5-25k-char-lm.toml"))
        .expect("config");
    let loaded = hitnet_model::load(&cfg).expect("model");
    let lm = cfg.lm.clone().unwrap();
    let ends = LmEnds::from_model(&loaded.model, lm.temperature, lm.sample_seed).expect("ends");
    let plan = hitnet_arch::Plan::new(&loaded.int, hitnet_arch::Shape::of(&cfg.hw)).expect("plan");
    let lp = hitnet_arch::lm::LmPlan::new(&plan, &ends, lm.head_lanes).expect("lm plan");
    let prompt = ends.encode("R").unwrap();
    let words = TokenWord::prompt(&prompt, 1);
    let rep = routed_at_the_pins(&plan, &lp, &ends, &loaded.int, &words, "ecp5-25k", 100.0);
    eprintln!("{rep:#?}");
    assert!(rep.verdict.bit_exact, "{rep:#?}");
    assert_eq!(rep.verdict.routed_bytes, 2);
}

/// The iCEBreaker board top of a small LM with the flash store, placed
/// and routed, at its serial and flash pins (the flash model on FLASH_*):
/// the routed chip loads its SPRAM (nextpnr's ICESTORM_SPRAM, Yosys's
/// SB_SPRAM256KA model behind it) and answers a two-token prompt and one
/// fed-back token on the RTL chip's cycles, bytes = the golden tokens.
/// The char model's full answer is a results file
/// (fpga/results/up5k-char-lm).
#[test]
fn small_flash_lm_routed_icebreaker_at_the_pins() {
    let (lm, lp) = small_flash();
    let words = TokenWord::prompt(&[1, 6], 1);
    let rep = routed_at_the_pins(&lm.plan, &lp, &lm.ends, &lm.int, &words, "ice40-up5k", 50.0);
    eprintln!("{rep:#?}");
    assert!(rep.verdict.bit_exact, "{rep:#?}");
    assert_eq!(rep.verdict.routed_bytes, 3);
}
