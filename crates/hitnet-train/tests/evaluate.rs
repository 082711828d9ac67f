//! The library side of `hitnet train` / `hitnet eval`: the resume rule as
//! typed errors, and a whole evaluation (variants, simulator, sampling) as
//! a typed report with its events in report order.
use hitnet_train::{
    checkpoint_path, Checkpoint, Corpus, EvalError, EvalEvent, EvalOptions, GenerateOptions,
    Overrides, Runner, SampleOptions, Split, TrainError, TrainOptions,
};
use std::path::Path;

fn tiny() -> Overrides {
    Overrides {
        hidden: Some(6),
        embed: Some(4),
        batch: Some(2),
        seq_len: Some(8),
        epochs: Some(1),
        ..Overrides::default()
    }
}

fn train(dir: &Path) -> TrainOptions {
    train_with(dir, tiny())
}

fn train_with(dir: &Path, ov: Overrides) -> TrainOptions {
    let out = dir.join("m.json");
    let o = TrainOptions {
        config: ov.config(),
        checkpoint: checkpoint_path(&out, None),
        out,
        checkpoint_every: 0,
        max_steps: Some(2),
        progress: false,
    };
    let c = Corpus::from_bytes("abcabcabd abcd\n".repeat(20).as_bytes(), "c.txt").unwrap();
    let rep = hitnet_train::train(&c, &o, None, &mut |_| {}).unwrap();
    let s = rep.summary(&o.out, &o.checkpoint);
    assert_eq!((s.steps, s.finished), (2, false));
    assert!(s.checkpoint.ends_with("m.json.ckpt"), "{}", s.checkpoint);
    std::fs::write(dir.join("c.txt"), "abcabcabd abcd\n".repeat(20)).unwrap();
    o
}

#[test]
fn resume_changes_epochs_only() {
    let dir = tempfile::tempdir().unwrap();
    let o = train(dir.path());
    let ck = Checkpoint::load(&o.checkpoint).unwrap();
    let more = Overrides {
        epochs: Some(4),
        ..tiny()
    };
    assert_eq!(more.resume_config(&ck, &o.checkpoint).unwrap().epochs, 4);
    let (cfg, resumed) = Overrides::default().resolve(true, &o.checkpoint).unwrap();
    assert_eq!(cfg, ck.meta.config);
    assert!(resumed.is_some());
    let other = Overrides {
        hidden: Some(7),
        ..tiny()
    };
    let e = other.resume_config(&ck, &o.checkpoint).unwrap_err();
    assert!(matches!(e, TrainError::ResumeDiffers { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("m.json.ckpt") && msg.contains("only --epochs may change"),
        "{msg}"
    );
    let missing = dir.path().join("none.ckpt");
    let e = tiny().resolve(true, &missing).unwrap_err();
    assert!(matches!(e, TrainError::ResumeLoad(_)), "{e:?}");
    let chain = format!("{e}: {}", std::error::Error::source(&e).unwrap());
    assert!(
        chain.starts_with("--resume needs the checkpoint of an earlier run: ")
            && chain.contains("none.ckpt"),
        "{chain}"
    );
}

/// Evaluation of `o`'s checkpoint on the corpus `train` wrote, with the
/// simulator on a 2 x 4 array and no generation.
fn eval_options(o: &TrainOptions, dir: &Path) -> EvalOptions {
    EvalOptions {
        model: o.checkpoint.clone(),
        corpus: Some(dir.join("c.txt")),
        split: Split::All,
        max_tokens: None,
        variants: None,
        simulator: true,
        rows: Some(2),
        cols: Some(4),
        generate: None,
    }
}

#[test]
fn evaluate_reports_and_tells_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let o = train(dir.path());
    let opts = EvalOptions {
        generate: Some(GenerateOptions {
            tokens: 7,
            with: Runner::Simulator,
            prompt: None,
            sample: SampleOptions {
                temperature: 0.0,
                seed: 3,
            },
        }),
        ..eval_options(&o, dir.path())
    };
    let mut seen = Vec::new();
    let rep = hitnet_train::evaluate(&opts, &mut |m, e| {
        assert_eq!(m.hidden_size, 6);
        seen.push(match e {
            EvalEvent::Loaded => "loaded".to_string(),
            EvalEvent::Corpus { .. } => "corpus".into(),
            EvalEvent::Scored(r) => r.variant.name().into(),
            EvalEvent::Fidelity(_) => "fidelity".into(),
            EvalEvent::GoldenVsQuantizedFloat(_) => "gap".into(),
            EvalEvent::Generated(_) => "generated".into(),
        });
        Ok::<_, EvalError>(())
    })
    .unwrap();
    assert_eq!(
        seen,
        [
            "loaded",
            "corpus",
            "full_precision",
            "quantized_float",
            "golden",
            "simulator",
            "fidelity",
            "gap",
            "generated"
        ]
    );
    let scored = rep.scored.as_ref().unwrap();
    let sim = scored.simulator.unwrap();
    assert!(sim.matches && sim.mismatched == 0);
    let bits = |name: &str| {
        scored
            .results
            .iter()
            .find(|r| r.variant.name() == name)
            .unwrap()
            .bits_per_token
    };
    // The simulator is the golden model, bit for bit.
    assert_eq!(bits("simulator"), bits("golden"));
    let g = rep.generated.as_ref().unwrap();
    assert_eq!((g.variant, g.tokens), (Runner::Simulator, 7));
    // The JSON report's keys.
    let j = serde_json::to_value(&rep).unwrap();
    for k in [
        "model",
        "level",
        "cell",
        "input_size",
        "hidden_size",
        "layers",
        "vocab",
        "quant",
        "trained_quant",
        "corpus",
        "split",
        "results",
        "simulator_matches_golden",
        "simulator_mismatched_tokens",
        "golden_vs_quantized_float",
        "generated",
    ] {
        assert!(j.get(k).is_some(), "{k} missing: {j}");
    }
    assert_eq!(j["level"], "char");
    assert_eq!(j["split"], "all");
    let sim_row = &j["results"].as_array().unwrap()[3];
    assert_eq!(sim_row["variant"], "simulator");
    assert_eq!(sim_row["array"], "2x4");
    assert!(sim_row["cycles_per_token"].as_f64().unwrap() > 0.0);
    assert!(j["results"][0].get("array").is_none());
    for k in ["variant", "tokens", "temperature", "seed", "text"] {
        assert!(j["generated"].get(k).is_some(), "{k}: {j}");
    }

    // Too short a stretch is a typed error naming the corpus.
    let short = EvalOptions {
        max_tokens: Some(1),
        generate: None,
        ..opts
    };
    let e = hitnet_train::evaluate(&short, &mut |_, _| Ok::<_, EvalError>(())).unwrap_err();
    assert!(
        matches!(e, EvalError::TooFewTokens { tokens: 1, .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("c.txt"), "{e}");
}

/// `--act-threshold`: trained with the accelerator's threshold quantizer,
/// exported as `activation = "threshold"` with that threshold, and the
/// simulator still equals the golden model.
#[test]
fn threshold_activations_train_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let o = train_with(
        dir.path(),
        Overrides {
            act_threshold: Some(0.3),
            ..tiny()
        },
    );
    let m = hitnet_model::io::load(&o.out).unwrap();
    assert_eq!(m.quant.activation, hitnet_model::ActMode::Threshold);
    assert_eq!(m.quant.act_threshold, 0.3);
    let opts = eval_options(&o, dir.path());
    let rep = hitnet_train::evaluate(&opts, &mut |_, _| Ok::<_, EvalError>(())).unwrap();
    let sim = rep.scored.as_ref().unwrap().simulator.unwrap();
    assert!(sim.matches && sim.mismatched == 0);
}
