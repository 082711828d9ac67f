//! Bad input gives one-line errors naming the file, never a panic.
use hitnet_model::CellKind;
use hitnet_train::{Checkpoint, Corpus, Lm, QuantMode, TrainConfig, TrainOptions};
use std::path::Path;

fn tiny() -> TrainConfig {
    TrainConfig {
        cell: CellKind::Lstm,
        quant: QuantMode::Hybrid,
        embed: 4,
        hidden: 6,
        batch: 2,
        seq_len: 8,
        epochs: 1,
        ..TrainConfig::default()
    }
}

fn train_tiny(dir: &Path) -> TrainOptions {
    let o = TrainOptions {
        config: tiny(),
        out: dir.join("m.json"),
        checkpoint: dir.join("m.ckpt"),
        checkpoint_every: 0,
        max_steps: Some(1),
        progress: false,
    };
    let c = Corpus::from_bytes("abcabcabd abcd\n".repeat(20).as_bytes(), "c.txt").unwrap();
    hitnet_train::train(&c, &o, None, &mut |_| {}).unwrap();
    o
}

fn one_line(e: impl std::fmt::Display) -> String {
    let s = e.to_string();
    assert!(!s.contains('\n'), "{s}");
    s
}

#[test]
fn corpus_problems() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("empty.txt");
    std::fs::write(&p, "").unwrap();
    let e = one_line(Corpus::read(&p).unwrap_err());
    assert!(e.contains("empty.txt") && e.contains("empty"), "{e}");
    let p = dir.path().join("bin.dat");
    std::fs::write(&p, [0x7fu8, 0x45, 0x4c, 0x46, 0, 1, 2, 3]).unwrap();
    let e = one_line(Corpus::read(&p).unwrap_err());
    assert!(
        e.contains("bin.dat") && e.contains("not a text corpus"),
        "{e}"
    );
    let e = one_line(Corpus::read(&dir.path().join("missing.txt")).unwrap_err());
    assert!(e.contains("missing.txt"), "{e}");
    // One character only: no language to model.
    let c = Corpus::from_bytes(b"aaaa", "a.txt").unwrap();
    let o = TrainOptions {
        config: tiny(),
        out: dir.path().join("x.json"),
        checkpoint: dir.path().join("x.ckpt"),
        checkpoint_every: 0,
        max_steps: Some(1),
        progress: false,
    };
    let e = one_line(
        hitnet_train::train(&c, &o, None, &mut |_| {})
            .err()
            .unwrap(),
    );
    assert!(e.contains("a.txt") && e.contains("distinct"), "{e}");
    // Two tokens: nothing left to train on after the split.
    let c = Corpus::from_bytes(b"ab", "ab.txt").unwrap();
    let e = one_line(
        hitnet_train::train(&c, &o, None, &mut |_| {})
            .err()
            .unwrap(),
    );
    assert!(e.contains("ab.txt"), "{e}");
}

#[test]
fn vocabulary_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let o = train_tiny(dir.path());
    let lm = Lm::load(&o.out).unwrap();
    let other = Corpus::from_bytes("abc\nxyz\n".as_bytes(), "other.txt").unwrap();
    let e = one_line(lm.encode(&other).unwrap_err());
    assert!(
        e.contains("other.txt")
            && e.contains("vocabulary")
            && e.contains("'x'")
            && e.contains("line 2"),
        "{e}"
    );
}

#[test]
fn corrupt_checkpoints_and_models() {
    let dir = tempfile::tempdir().unwrap();
    let o = train_tiny(dir.path());
    let good = std::fs::read(&o.checkpoint).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated.ckpt", good[..good.len() / 2].to_vec()),
        ("garbage.ckpt", b"this is not a checkpoint at all".to_vec()),
        ("empty.ckpt", Vec::new()),
        ("flipped.ckpt", {
            // Corrupt the JSON header.
            let mut b = good.clone();
            b[20] = b'#';
            b
        }),
    ];
    for (name, bytes) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, &bytes).unwrap();
        let e = one_line(Checkpoint::load(&p).unwrap_err());
        assert!(e.contains(name) && e.contains("checkpoint"), "{e}");
        let e = one_line(Lm::load(&p).err().unwrap());
        assert!(e.contains(name), "{e}");
    }
    // A checkpoint whose tensor lost a value.
    let mut ck = Checkpoint::load(&o.checkpoint).unwrap();
    let t = ck.tensors.get_mut("l0.w_h").unwrap();
    assert_eq!(t.0, vec![6, 24]);
    t.1.truncate(6 * 23);
    t.0 = vec![6, 23];
    let p = dir.path().join("shape.ckpt");
    ck.save(&p).unwrap();
    let e = one_line(Checkpoint::load(&p).unwrap_err());
    assert!(e.contains("shape.ckpt") && e.contains("l0.w_h"), "{e}");

    // A model file that is not a language model, and a broken one.
    let mut m = hitnet_model::io::load(&o.out).unwrap();
    m.embedding = None;
    let p = dir.path().join("noemb.json");
    hitnet_model::io::save(&m, &p).unwrap();
    let e = one_line(Lm::load(&p).err().unwrap());
    assert!(e.contains("noemb.json") && e.contains("embedding"), "{e}");
    let p = dir.path().join("broken.json");
    std::fs::write(&p, "{\"format\": \"hitnet-model\"").unwrap();
    let e = one_line(Lm::load(&p).err().unwrap());
    assert!(e.contains("broken.json"), "{e}");
    let p = dir.path().join("binary.json");
    std::fs::write(&p, [0xffu8, 0xfe, 0, 1]).unwrap();
    let e = one_line(Lm::load(&p).err().unwrap());
    assert!(e.contains("binary.json"), "{e}");
}
