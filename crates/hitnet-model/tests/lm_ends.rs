//! The integer language-model ends on the committed char model
//! (models/char-lstm64.json): the int8 head chooses what the float head
//! chooses, and generation is the golden model's own.
use hitnet_model::lm::LmEnds;
use hitnet_model::{Config, Golden};
use std::path::Path;

fn char_model() -> hitnet_model::Loaded {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/char-lstm64.toml");
    hitnet_model::load(&Config::load(&p).unwrap()).unwrap()
}

/// Greedy choices of the int8 head against argmax of the float head
/// (W h + b in f64 on the same ternary h), teacher-forced over a fixed
/// English text: they differ only where two float logits are within the
/// int8 rounding of each other.
#[test]
fn int8_head_agrees_with_the_float_head() {
    let l = char_model();
    let e = LmEnds::from_model(&l.model, 0.0, 1).unwrap();
    let out = l.model.output.as_ref().unwrap();
    let text = "First Citizen:\nBefore we proceed any further, hear me speak.\n\n\
                All:\nSpeak, speak.\n\nFirst Citizen:\nYou are all resolved rather to die than to famish?\n";
    let toks = e.encode(text).unwrap();
    let mut g = Golden::new(&l.int);
    let (mut same, mut n) = (0, 0);
    let mut st = e.seed;
    for &t in &toks {
        let h = g.step_last(&e.embedding[t]);
        let f: Vec<f64> = (0..out.rows)
            .map(|r| {
                (0..out.cols)
                    .map(|c| out.weight[r * out.cols + c] as f64 * h[c] as f64)
                    .sum::<f64>()
                    + out.bias[r] as f64
            })
            .collect();
        let fbest = (0..f.len()).fold(0, |b, k| if f[k] > f[b] { k } else { b });
        same += usize::from(e.choose(&h, &mut st) == fbest);
        n += 1;
    }
    eprintln!("int8 head = float head on {same} of {n} steps");
    assert!(same * 100 >= n * 97, "{same} of {n}");
}

#[test]
fn generates_text_from_a_prompt() {
    let l = char_model();
    let mut g = Golden::new(&l.int);
    let greedy = LmEnds::from_model(&l.model, 0.0, 1).unwrap();
    let prompt = greedy.encode("ROMEO:\n").unwrap();
    let out = greedy.generate(&mut g, &prompt, 31);
    let text = greedy.decode(&out[prompt.len() - 1..]);
    eprintln!("greedy: {text:?}");
    // A known answer: the hardware's generated text is to equal it.
    assert_eq!(text, "The will the shall the shall the");
    let warm = LmEnds::from_model(&l.model, 0.8, 1).unwrap();
    let out2 = warm.generate(&mut g, &prompt, 31);
    let text2 = warm.decode(&out2[prompt.len() - 1..]);
    // The known answer at T = 0.8, sampler seed 1 (24 bits, the chip's
    // bias memory's last word): the chip tests and results files hold it.
    assert_eq!(text2, "A't as and, this wife him your s");
    assert_eq!(out2, warm.generate(&mut g, &prompt, 31));
}
