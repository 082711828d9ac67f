//! `hitnet eval` of a sequence classifier on a `.ts` test split: accuracy
//! and confusion matrix of each implementation (the float reference in
//! full precision and as trained, the quantized float network, the integer
//! golden model, the cycle simulator of the accelerator); the simulator
//! must agree with the golden model on every h and every prediction.
use crate::classify::{FloatClassifier, FLOAT_FORMAT};
use crate::error::TrainError;
use crate::evaluate::{EvalError, SimRnn};
use crate::net::QuantMode;
use crate::uea::{read_ts, TsDataset};
use hitnet_model::classify::Classifier;
use hitnet_model::float::FloatNet;
use hitnet_model::{Golden, IntModel, QuantModel};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What to evaluate.
pub struct ClassifyEvalOptions {
    /// A classifier model (.json), its float reference (.float.json), or a
    /// config (.toml) whose `[model] weights` is one.
    pub model: PathBuf,
    pub test: PathBuf,
    /// The simulated accelerator's array (default: the config's, else 8 x 16
    /// or as much of it as the model fills).
    pub rows: Option<usize>,
    pub cols: Option<usize>,
    /// Run the cycle simulator too.
    pub simulator: bool,
    /// Seed of the float reference's BTQ draws (as_trained).
    pub seed: u64,
}

/// One implementation's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VariantAccuracy {
    pub variant: &'static str,
    pub accuracy: f64,
    pub correct: usize,
    pub total: usize,
    /// `confusion[true][predicted]`.
    pub confusion: Vec<Vec<usize>>,
}

/// The simulator against the golden model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SimulatorCheck {
    pub rows: usize,
    pub cols: usize,
    /// Steps (frames) run and how many of their h differ from golden.
    pub steps: u64,
    pub h_mismatches: u64,
    pub prediction_mismatches: usize,
    pub agrees: bool,
    pub cycles: u64,
    pub cycles_per_step: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassifyEval {
    pub model: String,
    pub test: String,
    pub problem: String,
    pub classes: Vec<String>,
    pub series: usize,
    pub input_trits: usize,
    pub hidden_size: usize,
    pub variants: Vec<VariantAccuracy>,
    pub simulator: Option<SimulatorCheck>,
}

impl ClassifyEval {
    pub fn text(&self) -> String {
        let mut s = format!(
            "{}: {} series of {} ({} classes), {} input trits, hidden {}\n",
            self.test,
            self.series,
            self.problem,
            self.classes.len(),
            self.input_trits,
            self.hidden_size
        );
        for v in &self.variants {
            s += &format!(
                "  {:<16} accuracy {:.2}% ({}/{})\n",
                v.variant,
                100.0 * v.accuracy,
                v.correct,
                v.total
            );
        }
        if let Some(c) = &self.simulator {
            s += &format!(
                "  simulator {}x{}: {} of {} steps' h differ from golden, {} predictions differ ({}); {:.1} cycles per step\n",
                c.rows,
                c.cols,
                c.h_mismatches,
                c.steps,
                c.prediction_mismatches,
                if c.agrees { "agrees" } else { "DIFFERS" },
                c.cycles_per_step
            );
        }
        if let Some(g) = self.variants.iter().find(|v| v.variant == "golden") {
            s += "confusion (golden; rows: true class, columns: predicted):\n";
            let w = self
                .classes
                .iter()
                .map(String::len)
                .max()
                .unwrap_or(1)
                .max(4);
            s += &format!("  {:>w$}", "");
            for c in &self.classes {
                s += &format!(" {c:>w$}");
            }
            s += "\n";
            for (c, row) in self.classes.iter().zip(&g.confusion) {
                s += &format!("  {c:>w$}");
                for n in row {
                    s += &format!(" {n:>w$}");
                }
                s += "\n";
            }
        }
        s
    }
}

fn accuracy(
    variant: &'static str,
    truth: &[usize],
    pred: &[usize],
    classes: usize,
) -> VariantAccuracy {
    let mut confusion = vec![vec![0; classes]; classes];
    for (&t, &p) in truth.iter().zip(pred) {
        confusion[t][p] += 1;
    }
    let correct = truth.iter().zip(pred).filter(|(a, b)| a == b).count();
    VariantAccuracy {
        variant,
        accuracy: correct as f64 / truth.len().max(1) as f64,
        correct,
        total: truth.len(),
        confusion,
    }
}

/// A classifier model, its float reference (when the path is one) and the
/// array of the config (when the path is one).
type Loaded = (QuantModel, Option<FloatClassifier>, Option<(usize, usize)>);

/// The model (and the float reference when given) behind `path`.
fn load(path: &Path) -> Result<Loaded, EvalError> {
    let file = path.display().to_string();
    if path.extension().is_some_and(|e| e == "toml") {
        let cfg = hitnet_model::Config::load(path)?;
        let l = hitnet_model::load(&cfg)?;
        return Ok((l.model, None, Some((cfg.hw.rows, cfg.hw.cols))));
    }
    use hitnet_model::error::{read_limited, MAX_CHECKPOINT_BYTES};
    let bytes = read_limited(path, MAX_CHECKPOINT_BYTES, "model")?;
    let text = String::from_utf8(bytes).map_err(|_| TrainError::NotLm {
        file: file.clone(),
        msg: "not a hitnet model or float reference (JSON)".into(),
    })?;
    let format = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("format").and_then(|f| f.as_str()).map(String::from));
    if format.as_deref() == Some(FLOAT_FORMAT) {
        let f = FloatClassifier::from_json(&text, &file)?;
        let m = f.export(serde_json::json!({ "from_float_reference": file }))?;
        return Ok((m, Some(f), None));
    }
    Ok((hitnet_model::io::from_json(&text, &file)?, None, None))
}

/// Evaluates a classifier on a test split.
pub fn evaluate_classifier(opts: &ClassifyEvalOptions) -> Result<ClassifyEval, EvalError> {
    let file = opts.model.display().to_string();
    let (model, float, shape) = load(&opts.model)?;
    let cls = model.classifier.clone().ok_or_else(|| TrainError::NotLm {
        file: file.clone(),
        msg: "the model has no classifier (train one with `hitnet train --task classify`)".into(),
    })?;
    let classes = cls.head.classes.clone();
    let reference = TsDataset {
        problem: String::new(),
        channels: cls.input.channels,
        classes: classes.clone(),
        series: Vec::new(),
    };
    let test_file = opts.test.display().to_string();
    let test = read_ts(&opts.test)?.aligned_to(&reference, &test_file)?;
    let truth: Vec<usize> = test.series.iter().map(|s| s.label).collect();
    let raw: Vec<Vec<Vec<f32>>> = test.series.iter().map(|s| s.values.clone()).collect();
    let fixed: Vec<Vec<Vec<i32>>> = raw
        .iter()
        .map(|s| s.iter().map(|f| cls.input.samples(f)).collect())
        .collect();
    let n = classes.len();
    let mut variants = Vec::new();
    if let Some(f) = &float {
        let mut fp = f.clone();
        fp.config.core.quant = QuantMode::Fp;
        variants.push(accuracy(
            "full_precision",
            &truth,
            &fp.predict(&raw, opts.seed)?,
            n,
        ));
        if f.config.core.quant != QuantMode::Fp {
            variants.push(accuracy(
                "as_trained",
                &truth,
                &f.predict(&raw, opts.seed)?,
                n,
            ));
        }
    }
    let params = model.quant.clone();
    let int = IntModel::new(&model, &params)?;
    // Quantized float: ternary weights x scale, real activations, the same
    // LFSR draws; its h is ternary, so the integer head applies.
    let net = FloatNet::quantized(&model, &params);
    let mut st = net.initial_state();
    let qf = predict_all(&cls, &fixed, |x, first| {
        if first {
            st = net.initial_state();
        }
        let x: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let h = net.step(&mut st, &x).pop().unwrap_or_default();
        h.iter().map(|&v| v as i8).collect()
    });
    variants.push(accuracy("quantized_float", &truth, &qf, n));
    let mut g = Golden::new(&int);
    let mut golden_h = Vec::new();
    let golden = predict_all(&cls, &fixed, |x, first| {
        if first {
            g.reset();
        }
        let h = g.step_last(x);
        golden_h.push(h.clone());
        h
    });
    variants.push(accuracy("golden", &truth, &golden, n));
    let simulator = if opts.simulator {
        let (r, c) = match (opts.rows, opts.cols, shape) {
            (r, c, Some((sr, sc))) => (r.unwrap_or(sr), c.unwrap_or(sc)),
            // The default array, narrowed to what a small model fills.
            (r, c, None) => {
                let min_z = (0..int.layers.len())
                    .map(|l| int.layer_input(l))
                    .min()
                    .unwrap_or(0);
                let (h, z) = (model.hidden_size, min_z + model.hidden_size);
                (r.unwrap_or(8.min(h)), c.unwrap_or(16.min(z)))
            }
        };
        let plan =
            hitnet_arch::Plan::new(&int, hitnet_arch::Shape::new(r, c)).map_err(|source| {
                EvalError::Plan {
                    file: file.clone(),
                    source,
                }
            })?;
        let mut sim = hitnet_sim::Sim::new(&plan);
        let mut rnn = SimRnn::new(&mut sim);
        let (mut k, mut h_mismatches) = (0usize, 0u64);
        let pred = predict_all(&cls, &fixed, |x, first| {
            let h = rnn.push(x.to_vec(), first);
            h_mismatches += u64::from(golden_h.get(k) != Some(&h));
            k += 1;
            h
        });
        let stats = rnn.finish();
        variants.push(accuracy("simulator", &truth, &pred, n));
        let prediction_mismatches = pred.iter().zip(&golden).filter(|(a, b)| a != b).count();
        Some(SimulatorCheck {
            rows: r,
            cols: c,
            steps: k as u64,
            h_mismatches,
            prediction_mismatches,
            agrees: h_mismatches == 0 && prediction_mismatches == 0,
            cycles: stats.total_cycles,
            cycles_per_step: stats.total_cycles as f64 / k.max(1) as f64,
        })
    } else {
        None
    };
    Ok(ClassifyEval {
        model: file,
        test: test_file,
        problem: test.problem.clone(),
        classes,
        series: test.series.len(),
        input_trits: model.input_size,
        hidden_size: model.hidden_size,
        variants,
        simulator,
    })
}

/// The class of every series through `step` (x trits, first -> h).
fn predict_all(
    cls: &Classifier,
    series: &[Vec<Vec<i32>>],
    mut step: impl FnMut(&[i8], bool) -> Vec<i8>,
) -> Vec<usize> {
    series
        .iter()
        .map(|s| {
            let r = cls.run::<std::convert::Infallible>(s, |x, first| Ok(step(x, first)));
            match r {
                Ok(Some((c, _))) => c,
                Ok(None) => 0,
                Err(e) => match e {},
            }
        })
        .collect()
}

/// `hitnet train --task classify`: training, then (with a test split) the
/// evaluation of what it wrote.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassifyRun {
    pub train: crate::classify::ClassifyReport,
    pub test: Option<ClassifyEval>,
}

/// Reads the training split (and checks the test split against it before
/// any training), trains, writes, and evaluates on the test split.
pub fn classify_job(
    train: &Path,
    test: Option<&Path>,
    opts: &crate::classify::ClassifyOptions,
    log: &mut dyn FnMut(&str),
) -> Result<ClassifyRun, EvalError> {
    let ds = read_ts(train)?;
    if let Some(t) = test {
        read_ts(t)?.check_test_against(&ds, &t.display().to_string())?;
    }
    let report = crate::classify::train_classifier(&ds, opts, log)?;
    let test = match test {
        Some(t) => Some(evaluate_classifier(&ClassifyEvalOptions {
            model: opts.float_out.clone(),
            test: t.to_path_buf(),
            rows: None,
            cols: None,
            simulator: true,
            seed: opts.config.core.seed,
        })?),
        None => None,
    };
    Ok(ClassifyRun {
        train: report,
        test,
    })
}
