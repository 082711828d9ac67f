//! fpga/host.py packs and unpacks exactly as the Rust protocol code (which
//! the co-simulation checks against the Verilog) does.

use std::process::Command;

use hitnet_fpga::cosim::repo_fpga_dir;
use hitnet_fpga::uart::{self, Token, UartParams};

/// python3 with `args`, in fpga/ (where host.py imports from); its stdout.
fn python(args: &[&str]) -> String {
    let out = Command::new("python3")
        .current_dir(repo_fpga_dir())
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn host_py(args: &[&str]) -> String {
    let mut all = vec!["host.py"];
    all.extend_from_slice(args);
    python(&all)
}

fn params(i: usize, h: usize) -> UartParams {
    UartParams {
        clk_hz: 12_000_000,
        baud: 115_200,
        i,
        h,
        layers: 1,
        in_trits: 4,
        out_trits: 4,
        layer_bits: 1,
        all_layers: false,
        rx_fifo_log2: 7,
    }
}

fn show(trits: &[i8]) -> String {
    trits
        .iter()
        .map(|t| match t {
            1 => '+',
            -1 => '-',
            _ => '0',
        })
        .collect()
}

#[test]
fn encode_matches_rust() {
    let x: Vec<i8> = vec![1, -1, 0, 1, -1, 0, 0, 1, -1];
    for first in [false, true] {
        let p = params(x.len(), 4);
        let want = uart::encode_token(
            &p,
            &Token {
                first,
                x: x.clone(),
            },
        )
        .unwrap();
        let want_hex: Vec<String> = want.iter().map(|b| format!("{b:02x}")).collect();
        let mut args = vec!["encode", "--I", "9"];
        if first {
            args.push("--first");
        }
        let s = show(&x);
        args.push(&s);
        assert_eq!(host_py(&args), want_hex.join(" "));
    }
}

#[test]
fn decode_matches_rust() {
    let h: Vec<i8> = vec![-1, 0, 1, 1, 0, -1, 1];
    let p = params(4, h.len());
    let bytes = uart::encode_reply(&p, std::slice::from_ref(&h)).unwrap();
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(host_py(&["decode", "--H", "7", &hex.join(" ")]), show(&h));
}

/// host.py's trit table is the one encoding (hitnet_model::trit).
#[test]
fn host_trit_codes_are_the_model_encoding() {
    let codes = python(&[
        "-c",
        "import host; print(host.CODE[0], host.CODE[1], host.CODE[-1])",
    ]);
    let want: Vec<String> = [0i8, 1, -1]
        .iter()
        .map(|&t| hitnet_model::trit::encode(t).unwrap().to_string())
        .collect();
    assert_eq!(codes, want.join(" "));
}

#[test]
fn lm_words_match_rust() {
    for (first, token, feed) in [(true, 5usize, 31usize), (false, 255, 0), (false, 0, 65535)] {
        let want = uart::encode_lm_word(first, token, feed).unwrap();
        let want_hex: Vec<String> = want.iter().map(|b| format!("{b:02x}")).collect();
        let (t, f) = (token.to_string(), feed.to_string());
        let mut args = vec!["encode-word", "--token", &t, "--feed", &f];
        if first {
            args.push("--first");
        }
        assert_eq!(host_py(&args), want_hex.join(" "));
    }
    assert!(uart::encode_lm_word(false, 256, 0).is_err());
    // host.py's prompt words are TokenWord::prompt's.
    let words = hitnet_model::lm::TokenWord::prompt(&[3, 1, 4], 7);
    let py = python(&["-c", "import host; print(host.prompt_words([3, 1, 4], 8))"]);
    let rs: Vec<String> = words
        .iter()
        .map(|w| {
            format!(
                "({}, {}, {})",
                if w.first { "True" } else { "False" },
                w.token,
                w.feed
            )
        })
        .collect();
    assert_eq!(py, format!("[{}]", rs.join(", ")));
}

/// host.py's classifier frames, answers and fixed-point samples are the
/// Rust protocol's (`uart::encode_cls_frame`, `encode_cls_answer`) and the
/// model's (`InputQuantizer::sample`: f32 input, half away from zero,
/// saturated).
#[test]
fn classifier_frames_match_rust() {
    for (first, last, samples) in [
        (true, false, vec![1, -2, 32767, -32768]),
        (false, true, vec![0; 12]),
        (true, true, vec![-1]),
    ] {
        let want = uart::encode_cls_frame(first, last, &samples).unwrap();
        let want_hex: Vec<String> = want.iter().map(|b| format!("{b:02x}")).collect();
        let s: Vec<String> = samples.iter().map(|x| x.to_string()).collect();
        let mut args = vec!["encode-frame"];
        if first {
            args.push("--first");
        }
        if last {
            args.push("--last");
        }
        args.push("--");
        args.extend(s.iter().map(String::as_str));
        assert_eq!(host_py(&args), want_hex.join(" "));
    }
    for (class, score, bits) in [(2usize, -5i64, 25u32), (255, 8_388_607, 24), (0, -1, 9)] {
        let b = uart::encode_cls_answer(class, score, bits);
        let hex: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
        assert_eq!(
            host_py(&["decode-answer", &hex.join(" ")]),
            format!("{class} {score}")
        );
    }
    let values = [
        0.5,
        -1.001953125,
        1e9,
        -1e9,
        -0.0019531,
        0.1,
        1.5 / 256.0,
        -1.5 / 256.0,
        -2.5 / 256.0,
        3.3333333,
        f64::NAN,
    ];
    for frac in [0u32, 8, 12] {
        let q = hitnet_model::classify::InputQuantizer {
            channels: 1,
            frac_bits: frac,
            trits: Vec::new(),
        };
        let want: Vec<String> = values
            .iter()
            .map(|&v| q.sample(v as f32 as f64).to_string())
            .collect();
        let f = frac.to_string();
        let vs: Vec<String> = values.iter().map(|v| format!("{v:e}")).collect();
        let mut args = vec!["sample", "--frac-bits", &f, "--"];
        args.extend(vs.iter().map(String::as_str));
        assert_eq!(host_py(&args), want.join(" "), "frac_bits {frac}");
    }
}
