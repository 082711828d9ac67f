use hitnet_arch::{Plan, Shape};
use hitnet_cosim::{Setup, Stimulus, Toolchain};
use hitnet_model::config::{ActMode, CellKind, QuantParams};
use hitnet_model::rng::random_input;
use hitnet_model::{defaults, IntModel};
use hitnet_sim::{Pattern, Token};

#[test]
fn smoke() {
    for (cell, act) in [
        (CellKind::Lstm, ActMode::Bernoulli),
        (CellKind::Gru, ActMode::Threshold),
    ] {
        let q = QuantParams {
            activation: act,
            ..QuantParams::default()
        };
        let fm = defaults::default_float_model(cell, 13, 11, 2, 1);
        let im = IntModel::new(&fm.quantize(&q).unwrap(), &q).unwrap();
        let plan = Plan::new(
            &im,
            Shape {
                rows: 4,
                cols: 8,
                lanes: None,
            },
        )
        .unwrap();
        let d = hitnet_rtl::generate(&plan, serde_json::json!({}));
        let dir = tempfile::tempdir().unwrap();
        hitnet_cosim::write_images(&d, dir.path()).unwrap();
        let tc = Toolchain::find().unwrap();
        let cache = std::path::PathBuf::from("/tmp/hitnet-cosim-cache");
        let tokens: Vec<Token> = (0..20)
            .map(|t| Token {
                x: random_input(1, t, 13),
                first: t % 7 == 0,
            })
            .collect();
        let s = Setup {
            plan: &plan,
            model: &im,
            verilog: d.verilog(),
            memdir: dir.path(),
            cache: &cache,
            opt: 1,
            vcd: Some(std::path::Path::new("/tmp/mm.vcd")),
        };
        let r = hitnet_cosim::run(
            &tc,
            &s,
            &Stimulus {
                tokens: tokens.clone(),
                valid: Pattern::Random {
                    seed: 3,
                    percent: 60,
                },
                ready: Pattern::Random {
                    seed: 4,
                    percent: 50,
                },
            },
        )
        .unwrap();
        println!(
            "{cell:?} backpressure: {}",
            serde_json::to_string(&r).unwrap()
        );
        // flip the first nonzero weight of bank 0
        let p = dir.path().join("w_0.hex");
        let text = std::fs::read_to_string(&p).unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let k = lines
            .iter()
            .position(|l| l.chars().any(|c| c != '0'))
            .unwrap();
        let v = u64::from_str_radix(&lines[k], 16).unwrap();
        let bit = (0..64).find(|b| v >> b & 1 == 1).unwrap();
        let v2 = v ^ (2u64 << (bit & !1)); // toggle the sign bit of that trit
        lines[k] = format!("{:0w$x}", v2, w = lines[k].len());
        std::fs::write(&p, lines.join("\n") + "\n").unwrap();
        let r = hitnet_cosim::run(
            &tc,
            &s,
            &Stimulus {
                tokens,
                valid: Pattern::Always,
                ready: Pattern::Always,
            },
        )
        .unwrap();
        println!(
            "{cell:?} fault: {} first: {}",
            serde_json::to_string(&r).unwrap(),
            r.first.as_ref().map(|m| m.to_string()).unwrap_or_default()
        );
    }
}
