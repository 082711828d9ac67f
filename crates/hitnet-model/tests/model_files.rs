//! Model files and PyTorch import: round trips and every kind of bad input.
use hitnet_model::config::{CellKind, Config, QuantParams};
use hitnet_model::import::{export_safetensors, import_bytes, Expect};
use hitnet_model::model::{Embedding, OutputLayer, TernaryMatrix, Vocab, VocabLevel};
use hitnet_model::{defaults, io, ModelError};

fn model(cell: CellKind) -> hitnet_model::QuantModel {
    defaults::default_float_model(cell, 7, 5, 2, 3)
        .quantize(&QuantParams::default())
        .unwrap()
}

#[test]
fn json_round_trip_with_embedding_and_output() {
    for cell in [CellKind::Lstm, CellKind::Gru] {
        let mut m = model(cell);
        m.embedding = Some(Embedding {
            table: TernaryMatrix::from_trits(3, 7, &[1, 0, -1, 1, 1, 0, 0].repeat(3)),
        });
        m.output = Some(OutputLayer {
            rows: 3,
            cols: 5,
            weight: (0..15).map(|k| k as f32 * 0.25 - 1.0).collect(),
            bias: vec![0.5, -0.5, 1e-7],
        });
        m.vocab = Some(Vocab {
            level: VocabLevel::Char,
            tokens: vec!["a".into(), "b".into(), "\n".into()],
        });
        m.meta = serde_json::json!({"trained": "test"});
        let text = io::to_json(&m);
        let back = io::from_json(&text, "m.json").unwrap();
        assert_eq!(back, m);
    }
}

#[test]
fn save_is_atomic_and_loads() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.json");
    let m = model(CellKind::Lstm);
    io::save(&m, &p).unwrap();
    assert_eq!(io::load(&p).unwrap(), m);
    // No temporary files left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    // Unwritable destination: an error naming the path, nothing written.
    let bad = dir.path().join("no/such/dir/m.json");
    let e = io::save(&m, &bad).unwrap_err().to_string();
    assert!(e.contains("no/such/dir/m.json"), "{e}");
    assert!(!e.contains(".m.json.tmp"), "names the temporary file: {e}");
}

fn err_of(text: &str) -> String {
    io::from_json(text, "m.json").unwrap_err().to_string()
}

#[test]
fn bad_model_files_name_what_is_wrong() {
    let good = io::to_json(&model(CellKind::Lstm));
    // Truncated.
    let e = err_of(&good[..good.len() / 2]);
    assert!(e.starts_with("m.json: ") && e.contains("EOF"), "{e}");
    // Non-finite scale: JSON has no NaN, a string is a type error.
    let e = err_of(&good.replacen("\"scale\": ", "\"scale\": \"nan\", \"x\": ", 1));
    assert!(e.starts_with("m.json: "), "{e}");
    // (what is wrong, the edit that makes it so, what the message names)
    let cases: [(&str, (&str, &str), &[&str]); 6] = [
        (
            "not a trit",
            ("\"+", "\"x"),
            &["is not a trit", "layers[0].gates[0].rows["],
        ),
        ("wrong row length", ("\"+", "\"++"), &["expected 12"]),
        (
            "wrong gate name",
            ("\"name\": \"f\"", "\"name\": \"q\""),
            &["layers[0].gates[1].name"],
        ),
        (
            "unknown key",
            ("\"cell\"", "\"bogus\": 1, \"cell\""),
            &["bogus"],
        ),
        ("wrong format name", ("hitnet-model", "other"), &["format"]),
        (
            "wrong version",
            ("\"version\": 1", "\"version\": 9"),
            &["version"],
        ),
    ];
    for (what, (from, to), names) in cases {
        let e = err_of(&good.replacen(from, to, 1));
        for n in names {
            assert!(e.contains(n), "{what}: {n:?} not in {e}");
        }
    }
}

fn expect(cell: CellKind) -> Expect {
    Expect {
        cell,
        input_size: 7,
        hidden_size: 5,
        layers: 2,
    }
}

#[test]
fn safetensors_round_trip_equals_direct_quantization() {
    for cell in [CellKind::Lstm, CellKind::Gru] {
        let fm = defaults::default_float_model(cell, 7, 5, 2, 3);
        for prefix in ["", "rnn."] {
            let bytes = export_safetensors(&fm, prefix);
            let back = import_bytes(&bytes, "w.safetensors", expect(cell)).unwrap();
            let q = QuantParams::default();
            // f32 storage: same trits and scales to f32 precision.
            let a = back.quantize(&q).unwrap();
            let b = fm.quantize(&q).unwrap();
            for (la, lb) in a.layers.iter().zip(&b.layers) {
                for (ga, gb) in la.gates.iter().zip(&lb.gates) {
                    assert_eq!(ga.w, gb.w);
                    assert!((ga.scale - gb.scale).abs() < 1e-6);
                }
            }
        }
    }
}

fn import_err(bytes: &[u8], e: Expect) -> String {
    let r = import_bytes(bytes, "w.safetensors", e);
    match r {
        Err(e @ ModelError::Import { .. }) => e.to_string(),
        other => panic!("expected an import error, got {other:?}"),
    }
}

#[test]
fn bad_safetensors_name_the_tensor() {
    let fm = defaults::default_float_model(CellKind::Lstm, 7, 5, 2, 3);
    let bytes = export_safetensors(&fm, "");
    // Truncated file.
    let e = import_err(&bytes[..bytes.len() - 10], expect(CellKind::Lstm));
    assert!(e.contains("w.safetensors"), "{e}");
    // Wrong cell: an LSTM file for a GRU config.
    let e = import_err(&bytes, expect(CellKind::Gru));
    assert!(e.contains("weight_ih_l0") && e.contains("LSTM"), "{e}");
    // Wrong sizes.
    let mut ex = expect(CellKind::Lstm);
    ex.hidden_size = 6;
    let e = import_err(&bytes, ex);
    assert!(e.contains("weight_ih_l0") && e.contains("shape"), "{e}");
    // An LSTM whose gate rows (4 x 3 = 12) look like a GRU's of the config
    // (3 x 4): the message names what the file holds, not a GRU.
    let small = export_safetensors(
        &defaults::default_float_model(CellKind::Lstm, 7, 3, 2, 3),
        "",
    );
    let mut ex = expect(CellKind::Lstm);
    ex.hidden_size = 4;
    let e = import_err(&small, ex);
    assert!(e.contains("an LSTM with hidden size 3"), "{e}");
    assert!(!e.contains("GRU"), "{e}");
    // Wrong layer count.
    let mut ex = expect(CellKind::Lstm);
    ex.layers = 3;
    let e = import_err(&bytes, ex);
    assert!(e.contains("2 layers"), "{e}");
    // Wrong names.
    let e = import_err(
        &replace_bytes(&bytes, b"weight_ih_l", b"weight_xx_l"),
        expect(CellKind::Lstm),
    );
    assert!(e.contains("weight_ih_l0") && e.contains("not found"), "{e}");
    // Non-finite values.
    let mut bad = fm.clone();
    bad.layers[1].w_hh[3] = f64::NAN;
    let e = import_err(&export_safetensors(&bad, ""), expect(CellKind::Lstm));
    assert!(
        e.contains("weight_hh_l1") && e.contains("not finite"),
        "{e}"
    );
    // Missing one bias.
    let e = import_err(
        &replace_bytes(&bytes, b"bias_ih_l1", b"bias_zz_l1"),
        expect(CellKind::Lstm),
    );
    assert!(e.contains("bias_ih_l1") && e.contains("missing"), "{e}");
}

#[test]
fn config_and_model_file_must_agree() {
    let dir = tempfile::tempdir().unwrap();
    let m = model(CellKind::Lstm);
    io::save(&m, &dir.path().join("m.json")).unwrap();
    let cfg_text = |h: usize, extra: &str| {
        format!("[model]\ncell = \"lstm\"\ninput_size = 7\nhidden_size = {h}\nlayers = 2\nweights = \"m.json\"\n{extra}")
    };
    let write = |t: String| {
        let p = dir.path().join("c.toml");
        std::fs::write(&p, t).unwrap();
        Config::load(&p).unwrap()
    };
    let ok = hitnet_model::load(&write(cfg_text(5, ""))).unwrap();
    assert_eq!(ok.model, m);
    let e = hitnet_model::load(&write(cfg_text(6, "")))
        .unwrap_err()
        .to_string();
    assert!(e.contains("hidden_size") && e.contains("m.json"), "{e}");
    let e = hitnet_model::load(&write(cfg_text(5, "[quant]\nslope = 3.0\n")))
        .unwrap_err()
        .to_string();
    assert!(e.contains("quant.slope"), "{e}");
    // Missing weights file: the path is named.
    std::fs::remove_file(dir.path().join("m.json")).unwrap();
    let e = hitnet_model::load(&write(cfg_text(5, "")))
        .unwrap_err()
        .to_string();
    assert!(e.contains("m.json"), "{e}");
}

#[test]
fn safetensors_through_config() {
    let dir = tempfile::tempdir().unwrap();
    let fm = defaults::default_float_model(CellKind::Gru, 7, 5, 2, 3);
    std::fs::write(
        dir.path().join("w.safetensors"),
        export_safetensors(&fm, "gru."),
    )
    .unwrap();
    let p = dir.path().join("c.toml");
    std::fs::write(
        &p,
        "[model]\ncell = \"gru\"\ninput_size = 7\nhidden_size = 5\nlayers = 2\nweights = \"w.safetensors\"\n",
    )
    .unwrap();
    let l = hitnet_model::load(&Config::load(&p).unwrap()).unwrap();
    assert_eq!(l.model.cell, CellKind::Gru);
    assert!(matches!(
        l.source,
        hitnet_model::ModelSource::Safetensors(_)
    ));
}

/// Same-length byte replacement (keeps the safetensors header offsets valid).
fn replace_bytes(b: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut v = b.to_vec();
    let mut k = 0;
    while k + from.len() <= v.len() {
        if &v[k..k + from.len()] == from {
            v[k..k + from.len()].copy_from_slice(to);
            k += from.len();
        } else {
            k += 1;
        }
    }
    v
}

/// Scales and biases far out of range (found by fuzzing: a gate scale of
/// 1e15 was accepted with a 15-bit pre-activation, a bias of 1e17 made
/// `gen` panic). Every model is either refused, naming the gate, or gets
/// widths that hold its real bound, computed here in floating point.
#[test]
fn huge_scales_and_biases_are_refused_or_fit() {
    let q = QuantParams::default();
    for cell in [CellKind::Lstm, CellKind::Gru] {
        for (scale, bias) in [
            (1e3, 0.0),
            (1e9, 0.0),
            (1e10, 0.0),
            (1e12, 0.0),
            (1e14, 0.0),
            (1e15, 0.0),
            (1e19, 0.0),
            (1e300, 0.0),
            (0.5, 1e9),
            (0.5, 1e17),
            (0.5, -1e20),
        ] {
            let mut m = model(cell);
            m.layers[0].gates[0].scale = scale;
            m.layers[0].gates[0].bias[1] = bias;
            let what = format!("{cell:?} scale {scale:e} bias {bias:e}");
            match hitnet_model::IntModel::new(&m, &q) {
                Err(e) => {
                    let e = e.to_string();
                    assert!(e.contains("layers[0].gates."), "{what}: {e}");
                    assert!(e.contains("at most 48"), "{what}: {e}");
                }
                Ok(im) => {
                    let f = 2f64.powi(im.formats.pre_frac as i32);
                    let n = m.layers[0].gates[0].w.max_row_nonzeros() as f64;
                    let p = scale.abs() * f * n + bias.abs() * f;
                    let need = (p + 1.0).log2().ceil() as u32 + 1;
                    assert!(
                        im.widths.pre >= need,
                        "{what}: pre {} < {need}",
                        im.widths.pre
                    );
                    assert!(im.widths.pre <= 48, "{what}");
                }
            }
        }
    }
}

#[test]
fn a_language_model_state_dict_says_what_it_did_not_import() {
    let fm = defaults::default_float_model(CellKind::Lstm, 7, 5, 2, 3);
    let mut sd = hitnet_model::import::state_dict(&fm, "rnn.");
    sd.push(("encoder.weight".into(), vec![11, 7], vec![0.5; 77]));
    sd.push(("decoder.weight".into(), vec![11, 5], vec![0.5; 55]));
    sd.push(("decoder.bias".into(), vec![11], vec![0.5; 11]));
    // A look-alike of a used name is reported too, not silently dropped.
    sd.push(("rnn.weight_hh_l00".into(), vec![1], vec![0.5]));
    let bytes = hitnet_model::import::serialize_f32(&sd);
    let imp =
        hitnet_model::import::import_bytes_all(&bytes, "lm.safetensors", expect(CellKind::Lstm))
            .unwrap();
    assert_eq!(
        imp.ignored,
        [
            "decoder.bias [11]",
            "decoder.weight [11, 5]",
            "encoder.weight [11, 7]",
            "rnn.weight_hh_l00 [1]"
        ]
    );
    // The RNN itself is imported in full.
    assert_eq!(imp.model.layers.len(), 2);
    // A plain nn.LSTM file leaves nothing out.
    let plain = export_safetensors(&fm, "rnn.");
    let imp = hitnet_model::import::import_bytes_all(&plain, "w", expect(CellKind::Lstm)).unwrap();
    assert!(imp.ignored.is_empty(), "{:?}", imp.ignored);
}

/// A char-RNN state_dict (`rnn.*`, `encoder.weight`, `decoder.weight`,
/// `decoder.bias`) with `[model] vocab`: the whole language model is
/// imported (embedding TTQ-ternarized, decoder as the float output layer,
/// the vocabulary from the corpus's sorted characters or a JSON list), and
/// the import says where each tensor went. Refused, naming the file: a
/// vocabulary of another size, a vocabulary for a file without ends, two
/// tensors that could be the embedding, an output layer over another
/// vocabulary.
#[test]
fn a_whole_language_model_state_dict_imports_with_its_vocabulary() {
    let dir = tempfile::tempdir().unwrap();
    let fm = defaults::default_float_model(CellKind::Lstm, 7, 5, 2, 3);
    let v = 4usize;
    let emb: Vec<f32> = (0..v * 7)
        .map(|k| ((k * 37 % 11) as f32 - 5.0) / 4.0)
        .collect();
    let dec: Vec<f32> = (0..v * 5)
        .map(|k| ((k * 13 % 7) as f32 - 3.0) / 2.0)
        .collect();
    let base = hitnet_model::import::state_dict(&fm, "rnn.");
    let file = |extra: Vec<(String, Vec<usize>, Vec<f32>)>, name: &str| {
        let mut sd = base.clone();
        sd.extend(extra);
        let p = dir.path().join(name);
        std::fs::write(&p, hitnet_model::import::serialize_f32(&sd)).unwrap();
        p
    };
    let lm = vec![
        ("encoder.weight".to_string(), vec![v, 7], emb.clone()),
        ("decoder.weight".to_string(), vec![v, 5], dec.clone()),
        (
            "decoder.bias".to_string(),
            vec![v],
            vec![0.25, -0.5, 0.0, 1.0],
        ),
    ];
    let w = file(lm.clone(), "lm.safetensors");
    std::fs::write(dir.path().join("corpus.txt"), "ba\nb a\n").unwrap();
    let cfg = |weights: &std::path::Path, vocab: &str| {
        let text = format!(
            "[model]\ncell = \"lstm\"\ninput_size = 7\nhidden_size = 5\nlayers = 2\nweights = {:?}\n{vocab}",
            weights.display()
        );
        let p = dir.path().join("c.toml");
        std::fs::write(&p, &text).unwrap();
        Config::load(&p).unwrap()
    };
    let l = hitnet_model::load(&cfg(&w, "vocab = \"corpus.txt\"\n")).unwrap();
    let voc = l.model.vocab.as_ref().unwrap();
    assert_eq!(voc.tokens, ["\n", " ", "a", "b"]);
    assert_eq!(voc.level, VocabLevel::Char);
    let e = &l.model.embedding.as_ref().unwrap().table;
    let (trits, _) = hitnet_model::model::ttq(
        &emb.iter().map(|&x| x as f64).collect::<Vec<_>>(),
        l.params.weight_threshold,
    );
    assert_eq!(*e, TernaryMatrix::from_trits(v, 7, &trits));
    let o = l.model.output.as_ref().unwrap();
    assert_eq!((o.rows, o.cols), (v, 5));
    assert_eq!(o.weight, dec);
    assert_eq!(o.bias, [0.25, -0.5, 0.0, 1.0]);
    assert!(l.ignored_tensors.is_empty(), "{:?}", l.ignored_tensors);
    let said = l.imported_tensors.join("\n");
    for want in [
        "encoder.weight [4, 7] -> embedding",
        "decoder.weight [4, 5] -> output layer weight",
        "decoder.bias [4] -> output layer bias",
        "-> vocabulary (4 tokens)",
        "-> layers[1]",
    ] {
        assert!(said.contains(want), "{want}: {said}");
    }
    // The ends of the import are the ends the chip runs.
    hitnet_model::lm::LmEnds::from_model(&l.model, 0.5, 1).expect("LM ends");
    // Without a vocabulary the ends stay ignored, and the note can say why.
    let l = hitnet_model::load(&cfg(&w, "")).unwrap();
    assert!(l.model.embedding.is_none() && l.ends_importable);
    assert_eq!(l.ignored_tensors.len(), 3);
    // A JSON vocabulary in id order.
    std::fs::write(dir.path().join("v.json"), r#"["x", "y", "zz", "\n"]"#).unwrap();
    let l = hitnet_model::load(&cfg(&w, "vocab = \"v.json\"\n")).unwrap();
    assert_eq!(l.model.vocab.as_ref().unwrap().level, VocabLevel::Word);

    let refused = |c: Config, want: &str| {
        let e = hitnet_model::load(&c).unwrap_err().to_string();
        assert!(e.contains(want), "{want}: {e}");
    };
    std::fs::write(dir.path().join("short.txt"), "abc").unwrap();
    refused(
        cfg(&w, "vocab = \"short.txt\"\n"),
        "3 distinct characters, but the embedding encoder.weight [4, 7] has 4 rows",
    );
    std::fs::write(dir.path().join("dup.json"), r#"["a", "b", "a", "c"]"#).unwrap();
    refused(cfg(&w, "vocab = \"dup.json\"\n"), "appears twice");
    let plain = file(Vec::new(), "plain.safetensors");
    refused(
        cfg(&plain, "vocab = \"corpus.txt\"\n"),
        "holds no language model's embedding",
    );
    let mut two = lm.clone();
    two.push(("embed2.weight".into(), vec![v, 7], emb.clone()));
    refused(
        cfg(&file(two, "two.safetensors"), "vocab = \"corpus.txt\"\n"),
        "could be the embedding",
    );
    let mut other = lm.clone();
    other[1] = ("fc.weight".into(), vec![v + 1, 5], vec![0.5; (v + 1) * 5]);
    other[2] = ("fc.bias".into(), vec![v + 1], vec![0.0; v + 1]);
    refused(
        cfg(
            &file(other, "other.safetensors"),
            "vocab = \"corpus.txt\"\n",
        ),
        "5 rows, but the embedding encoder.weight has 4",
    );
}
