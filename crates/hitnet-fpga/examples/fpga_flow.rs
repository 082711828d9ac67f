//! Runs the flow on any Verilog by hand, until `hitnet synth` wraps it:
//!
//! ```text
//! cargo run -p hitnet-fpga --example fpga_flow -- --target ice40-up5k --top icebreaker_top \
//!     --out build/up5k --mhz 12 --pcf fpga/icebreaker.pcf \
//!     fpga/icebreaker_top.v fpga/hitnet_uart.v fpga/hitnet_uart_rx.v fpga/hitnet_uart_tx.v \
//!     fpga/standin/hitnet_top.v
//! ```
//! Options: --target T, --top M, --out DIR, --mhz F, --pcf/--lpf FILE,
//! --param NAME=INT, --define NAME=VALUE, --data FILE, --no-bitstream, --json.

use std::path::PathBuf;
use std::process::ExitCode;

use hitnet_fpga::{run_flow, Design, FlowOptions, Progress, Step, Target};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (mut target, mut top, mut out, mut mhz) = (None, None, None, 12.0);
    let mut files = Vec::new();
    let mut design_extra: Vec<(String, String)> = Vec::new();
    let mut json = false;
    let mut bitstream = true;
    while let Some(a) = args.next() {
        let mut val = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--target" => target = Some(val("--target")?),
            "--top" => top = Some(val("--top")?),
            "--out" => out = Some(PathBuf::from(val("--out")?)),
            "--mhz" => mhz = val("--mhz")?.parse::<f64>().map_err(|e| e.to_string())?,
            "--pcf" | "--lpf" | "--param" | "--define" | "--data" => {
                let v = val(&a)?;
                design_extra.push((a.clone(), v));
            }
            "--json" => json = true,
            "--no-bitstream" => bitstream = false,
            f if !f.starts_with("--") => files.push(PathBuf::from(f)),
            other => return Err(format!("unknown option {other}")),
        }
    }
    let target =
        Target::from_name(&target.ok_or("--target is required")?).map_err(|e| e.to_string())?;
    let top = top.ok_or("--top is required")?;
    let out = out.unwrap_or_else(|| PathBuf::from(format!("build/{}-{}", target.name, top)));
    let mut d = Design::new(files, top, mhz);
    for (k, v) in design_extra {
        match k.as_str() {
            "--pcf" | "--lpf" => d = d.with_constraints(v),
            "--data" => d.data_files.push(v.into()),
            _ => {
                let (name, value) = v.split_once('=').ok_or(format!("{k} takes NAME=VALUE"))?;
                if k == "--param" {
                    let n = value.parse::<i64>().map_err(|e| format!("{k} {v}: {e}"))?;
                    d = d.with_param(name, n);
                } else {
                    d = d.with_define(name, value);
                }
            }
        }
    }
    let opts = FlowOptions {
        progress: Progress::Stderr,
        to: if bitstream { Step::Pack } else { Step::Pnr },
        ..FlowOptions::default()
    };
    let report = run_flow(&d, target, &out, &opts).map_err(|e| e.to_string())?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", report.table());
    }
    Ok(())
}
