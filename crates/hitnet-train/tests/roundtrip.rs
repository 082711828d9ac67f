//! Train a few steps on an inline corpus, export, load the model through
//! every door the toolchain has (model file, config, checkpoint), and run
//! it: golden model, float references, scoring, sampling, resume.
use hitnet_model::model::VocabLevel;
use hitnet_model::{CellKind, Golden};
use hitnet_train::quant::ttq_layer;
use hitnet_train::{
    score, Checkpoint, Corpus, Lm, QuantMode, SampleOptions, Split, TrainConfig, TrainError,
    TrainOptions, Variant,
};
use std::path::Path;

fn text() -> String {
    let lines = [
        "to be or not to be, that is the question.\n",
        "whether tis nobler in the mind to suffer\n",
        "the slings and arrows of outrageous fortune,\n",
        "or to take arms against a sea of troubles.\n",
    ];
    (0..12).flat_map(|_| lines).collect()
}

fn tiny(cell: CellKind, quant: QuantMode) -> TrainConfig {
    TrainConfig {
        cell,
        quant,
        embed: 8,
        hidden: 12,
        batch: 4,
        seq_len: 16,
        epochs: 1,
        warmup: 2,
        ..TrainConfig::default()
    }
}

fn opts(dir: &Path, cfg: TrainConfig, max_steps: Option<u64>) -> TrainOptions {
    TrainOptions {
        config: cfg,
        out: dir.join("m.json"),
        checkpoint: dir.join("m.ckpt"),
        checkpoint_every: 0,
        max_steps,
        progress: false,
    }
}

/// `cfg` trained to its end in the new folder `name` under `dir` (m.json,
/// m.ckpt there): its options and report.
fn train_in(dir: &Path, name: &str, cfg: TrainConfig) -> (TrainOptions, hitnet_train::TrainReport) {
    let sub = dir.join(name);
    std::fs::create_dir(&sub).unwrap();
    let o = opts(&sub, cfg, None);
    let r = hitnet_train::train(&corpus(), &o, None, &mut |_| {}).unwrap();
    (o, r)
}

fn corpus() -> Corpus {
    Corpus::from_bytes(text().as_bytes(), "inline.txt").unwrap()
}

#[test]
fn export_round_trip_lstm() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), tiny(CellKind::Lstm, QuantMode::Hybrid), Some(2));
    let rep = hitnet_train::train(&corpus(), &o, None, &mut |_| {}).unwrap();
    assert!(!rep.finished);
    assert_eq!(rep.progress.step, 2);

    // The file loads with the model crate and equals what training returned.
    let m = hitnet_model::io::load(&o.out).unwrap();
    assert_eq!(m, rep.model);
    assert_eq!(m.quant.slope, 2.0);
    assert_eq!(m.vocab.as_ref().unwrap().level, VocabLevel::Char);

    // Training-time TTQ equals the exported gates (trits and scales).
    let ck = Checkpoint::load(&o.checkpoint).unwrap();
    let cfg = &ck.meta.config;
    let gh = 4 * cfg.hidden;
    let w_x = ck.get("l0.w_x", &[cfg.embed, gh]).unwrap();
    let w_h = ck.get("l0.w_h", &[cfg.hidden, gh]).unwrap();
    let q = ttq_layer(cfg.cell, cfg.embed, cfg.hidden, w_x, w_h, 0.7);
    for (g, gate) in m.layers[0].gates.iter().enumerate() {
        let trits: Vec<i8> = (0..cfg.hidden).flat_map(|r| gate.w.row_trits(r)).collect();
        assert_eq!(q.gates[g].0, trits);
        assert_eq!(q.gates[g].1, gate.scale);
    }

    // Through a config, as gen/sim/cosim load it.
    let toml = "[model]\ncell = \"lstm\"\ninput_size = 8\nhidden_size = 12\nlayers = 1\nweights = \"m.json\"\n\n[hw]\nrows = 4\ncols = 8\n";
    let cfg_path = dir.path().join("m.toml");
    std::fs::write(&cfg_path, toml).unwrap();
    let loaded = hitnet_model::load(&hitnet_model::Config::load(&cfg_path).unwrap()).unwrap();
    let mut g = Golden::new(&loaded.int);
    let emb = m.embedding.as_ref().unwrap();
    let out = g.step(&emb.table.row_trits(3));
    assert_eq!(out[0].h.len(), 12);

    // Eval: the library's golden variant equals a hand-made golden closure
    // (the hook the cycle simulator will use).
    let c = corpus();
    let lm = Lm::load(&cfg_path).unwrap();
    let all = lm.encode(&c).unwrap();
    let toks = &all[hitnet_train::data::split_range(all.len(), Split::Test)];
    let s = lm.score(Variant::Golden, toks).unwrap();
    let mut g = Golden::new(&lm.int);
    let s2 = score::<TrainError, _, _>(lm.output(), toks, |t| {
        Ok(g.step_last(&emb.table.row_trits(t as usize)))
    })
    .unwrap();
    assert_eq!(s, s2);
    assert_eq!(s.tokens as usize, toks.len() - 1);
    let bpc = s.bits_per_token();
    // A barely trained model sits near log2(vocab).
    let v = lm.vocab().tokens.len() as f64;
    assert!(bpc > 0.5 && bpc < 2.0 * v.log2(), "{bpc}");
    let qf = lm
        .score(Variant::QuantizedFloat, toks)
        .unwrap()
        .bits_per_token();
    assert!(qf.is_finite());

    // The checkpoint adds the full-precision network.
    let lmc = Lm::load(&o.checkpoint).unwrap();
    assert_eq!(
        lmc.variants(),
        vec![
            Variant::FullPrecision,
            Variant::QuantizedFloat,
            Variant::Golden
        ]
    );
    assert!(lmc
        .score(Variant::FullPrecision, toks)
        .unwrap()
        .bits_per_token()
        .is_finite());
    // Same quantized model from the checkpoint as in the file.
    assert_eq!(lmc.score(Variant::Golden, toks).unwrap(), s);

    // Sampling is reproducible and stays in the vocabulary.
    let so = SampleOptions {
        temperature: 0.8,
        seed: 7,
    };
    let a = lm
        .generate(Variant::Golden, &lm.default_prompt(), 40, so)
        .unwrap();
    let b = lm
        .generate(Variant::Golden, &lm.default_prompt(), 40, so)
        .unwrap();
    assert_eq!(a, b);
    assert!(a.iter().all(|&t| (t as usize) < lm.vocab().tokens.len()));
}

#[test]
fn resume_continues_exactly() {
    let c = corpus();
    let cfg = tiny(CellKind::Lstm, QuantMode::Hybrid);
    let d1 = tempfile::tempdir().unwrap();
    let straight = hitnet_train::train(
        &c,
        &opts(d1.path(), cfg.clone(), Some(4)),
        None,
        &mut |_| {},
    )
    .unwrap();
    let d2 = tempfile::tempdir().unwrap();
    let o2 = opts(d2.path(), cfg.clone(), Some(2));
    hitnet_train::train(&c, &o2, None, &mut |_| {}).unwrap();
    let ck = Checkpoint::load(&o2.checkpoint).unwrap();
    let resumed = hitnet_train::train(&c, &o2, Some(ck), &mut |_| {}).unwrap();
    assert_eq!(resumed.progress.step, 4);
    let strip = |mut m: hitnet_model::QuantModel| {
        m.meta = serde_json::Value::Null;
        m
    };
    assert_eq!(strip(resumed.model), strip(straight.model));

    // Another configuration may not resume this run.
    let mut other = cfg;
    other.hidden = 16;
    let ck = Checkpoint::load(&o2.checkpoint).unwrap();
    let e = hitnet_train::train(&c, &opts(d2.path(), other, Some(1)), Some(ck), &mut |_| {})
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("m.ckpt") && e.contains("differ"), "{e}");
}

#[test]
fn two_layer_gru_word_level_trains_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = tiny(CellKind::Gru, QuantMode::Hybrid);
    cfg.level = VocabLevel::Word;
    cfg.seq_len = 4;
    cfg.layers = 2;
    let o = opts(dir.path(), cfg, Some(2));
    hitnet_train::train(&corpus(), &o, None, &mut |_| {}).unwrap();
    let lm = Lm::load(&o.checkpoint).unwrap();
    assert_eq!(lm.model.cell, CellKind::Gru);
    assert_eq!(lm.model.layers.len(), 2);
    let toks = lm.encode(&corpus()).unwrap();
    for v in lm.variants() {
        let s = lm.score(v, &toks[..60]).unwrap();
        assert!(s.perplexity().is_finite() && s.perplexity() > 1.0, "{v:?}");
    }
    // The golden GRU equals the float GRU closely on the first steps.
    let g = lm.score(Variant::Golden, &toks[..3]).unwrap().nats;
    let f = lm.score(Variant::QuantizedFloat, &toks[..3]).unwrap().nats;
    assert!((g - f).abs() < 0.5, "{g} vs {f}");
}

#[test]
fn every_quant_mode_trains() {
    for q in [QuantMode::Fp, QuantMode::Ttq, QuantMode::Btq] {
        let dir = tempfile::tempdir().unwrap();
        let o = opts(dir.path(), tiny(CellKind::Lstm, q), Some(1));
        hitnet_train::train(&corpus(), &o, None, &mut |_| {}).unwrap();
        let lm = Lm::load(&o.checkpoint).unwrap();
        let want_as_trained = matches!(q, QuantMode::Ttq | QuantMode::Btq);
        assert_eq!(lm.variants().contains(&Variant::AsTrained), want_as_trained);
        let toks = lm.encode(&corpus()).unwrap();
        for v in lm.variants() {
            assert!(lm
                .score(v, &toks[..50])
                .unwrap()
                .bits_per_token()
                .is_finite());
        }
    }
}

/// Training learns: over a few epochs of the inline text the training loss
/// falls well below its first epoch's, and the trained model scores the
/// text far better than a uniform guess over its vocabulary (a broken
/// gradient or optimizer leaves both flat).
#[test]
fn training_lowers_the_loss() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = tiny(CellKind::Lstm, QuantMode::Hybrid);
    cfg.epochs = 20;
    cfg.hidden = 24;
    let o = opts(dir.path(), cfg, None);
    let rep = hitnet_train::train(&corpus(), &o, None, &mut |_| {}).unwrap();
    assert!(rep.finished);
    let bits: Vec<f64> = rep.history.iter().map(|e| e.train_bits).collect();
    assert_eq!(bits.len(), 20);
    let (first, last) = (bits[0], *bits.last().unwrap());
    assert!(last < 0.75 * first, "training bits per token {bits:?}");
    let lm = Lm::load(&o.checkpoint).unwrap();
    let uniform = (lm.vocab().tokens.len() as f64).log2();
    let toks = lm.encode(&corpus()).unwrap();
    let s = lm.score(Variant::QuantizedFloat, &toks[..400]).unwrap();
    eprintln!("bits per token {bits:?}; scored {}", s.bits_per_token());
    assert!(
        s.bits_per_token() < 0.8 * uniform,
        "{} bits per token vs uniform {uniform}",
        s.bits_per_token()
    );
}

/// Distillation changes training only: a student distilled from a
/// full-precision teacher trains, exports a model like any other, differs
/// from the undistilled run, and records its teacher; a teacher of another
/// vocabulary is refused.
#[test]
fn distillation_from_a_teacher() {
    let dir = tempfile::tempdir().unwrap();
    let (teacher, _) = train_in(dir.path(), "teacher", tiny(CellKind::Lstm, QuantMode::Fp));
    let (_, a) = train_in(dir.path(), "plain", tiny(CellKind::Lstm, QuantMode::Hybrid));
    let mut cfg = tiny(CellKind::Lstm, QuantMode::Hybrid);
    cfg.distill = Some(hitnet_train::net::Distill {
        teacher: teacher.checkpoint.display().to_string(),
        weight: 0.5,
        temperature: 2.0,
    });
    let (student, b) = train_in(dir.path(), "student", cfg.clone());
    assert_ne!(a.history[0].train_bits, b.history[0].train_bits);
    assert!(b.history[0].train_bits.is_finite());
    assert_eq!(b.model.meta["train"]["distill"]["weight"], 0.5);
    // Another corpus (another vocabulary): refused, naming the teacher.
    let other = Corpus::from_bytes(
        b"abcabcabcabc abc abc abcabc abcab cabca bcabcabcab cabcab\n"
            .repeat(8)
            .as_slice(),
        "o.txt",
    )
    .unwrap();
    let e = match hitnet_train::train(&other, &student, None, &mut |_| {}) {
        Ok(_) => panic!("a teacher of another vocabulary was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("m.ckpt") && e.contains("vocabulary"), "{e}");
}

/// `--init`: a run warm-started from a trained full-precision checkpoint
/// starts from its weights (its first epoch is far below a random start's)
/// and records the file; a checkpoint of another width is refused, naming
/// `init` and the file.
#[test]
fn warm_start_from_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let mut fp = tiny(CellKind::Lstm, QuantMode::Fp);
    fp.epochs = 4;
    let (fp, _) = train_in(dir.path(), "fp", fp);
    let (_, a) = train_in(dir.path(), "cold", tiny(CellKind::Lstm, QuantMode::Fp));
    let mut cfg = tiny(CellKind::Lstm, QuantMode::Fp);
    cfg.init = Some(fp.checkpoint.display().to_string());
    let (mut warm, b) = train_in(dir.path(), "warm", cfg.clone());
    let (cold_bits, warm_bits) = (a.history[0].train_bits, b.history[0].train_bits);
    assert!(
        warm_bits < cold_bits - 0.3,
        "warm {warm_bits} vs cold {cold_bits} bits per token"
    );
    assert_eq!(
        b.model.meta["train"]["init"],
        fp.checkpoint.display().to_string()
    );
    // Another hidden width: refused before training.
    cfg.hidden = 10;
    cfg.embed = 10;
    warm.config = cfg;
    let e = match hitnet_train::train(&corpus(), &warm, None, &mut |_| {}) {
        Ok(_) => panic!("a checkpoint of another width was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(
        e.contains("init") && e.contains("m.ckpt") && e.contains("--hidden"),
        "{e}"
    );
}

/// `--learn-scale`: the gate factors train (they leave 1), and each
/// exported gate's scale is the training-time TTQ scale of the latent
/// weights times its factor, with the same trits; full precision is
/// refused (the factors scale ternary weights).
#[test]
fn learned_gate_scales_export_as_they_train() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = tiny(CellKind::Lstm, QuantMode::Hybrid);
    cfg.learn_scale = true;
    cfg.act_threshold = Some(0.5);
    cfg.lr = 0.05;
    let o = opts(dir.path(), cfg, Some(8));
    let rep = hitnet_train::train(&corpus(), &o, None, &mut |_| {}).unwrap();
    let ck = Checkpoint::load(&o.checkpoint).unwrap();
    let c = &ck.meta.config;
    let gh = 4 * c.hidden;
    let w_x = ck.get("l0.w_x", &[c.embed, gh]).unwrap();
    let w_h = ck.get("l0.w_h", &[c.hidden, gh]).unwrap();
    let gain = ck.get("l0.gain", &[4]).unwrap();
    assert!(gain.iter().all(|g| *g != 0.0), "{gain:?}");
    let q = ttq_layer(c.cell, c.embed, c.hidden, w_x, w_h, 0.7);
    for (k, gate) in rep.model.layers[0].gates.iter().enumerate() {
        let trits: Vec<i8> = (0..c.hidden).flat_map(|r| gate.w.row_trits(r)).collect();
        assert_eq!(q.gates[k].0, trits);
        assert_eq!(q.gates[k].1 * (gain[k] as f64).exp(), gate.scale);
    }
    let mut fp = tiny(CellKind::Lstm, QuantMode::Fp);
    fp.learn_scale = true;
    let e = match hitnet_train::train(&corpus(), &opts(dir.path(), fp, None), None, &mut |_| {}) {
        Ok(_) => panic!("--learn-scale with --quant fp was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("learn-scale"), "{e}");
}
