//! hitnet_fpga::bram against the tools: a small design with block RAMs in
//! three read modes and widths that span two EBRs, built with placeholder
//! images by Yosys and nextpnr-ice40; then `icebram` replaces the contents
//! in the `.asc`, and our patcher in `routed.json`. The two must agree on
//! every block RAM's 4,096 bits, before (the `.asc` and the JSON describe
//! the same RAMs) and after (icebram's result equals ours), and the
//! replaced contents must hold the new images.
use hitnet_fpga::bram::{self, Image, Replacements};
use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new(tool).arg("-V").output().is_ok()
}

fn sorted(mut v: Vec<Vec<bool>>) -> Vec<Vec<bool>> {
    v.sort();
    v
}

// (name, width, depth): 256x16 across two EBRs (24 bits), 512x8, 1024x4.
const MEMS: [(&str, usize, usize); 3] = [("a", 24, 256), ("b", 8, 512), ("c", 4, 1024)];

fn verilog() -> String {
    let mut v = String::from("module top(input clk, input [9:0] addr, output reg [3:0] q);\n");
    for (n, w, d) in MEMS {
        let ab = (d as f64).log2() as usize;
        v += &format!(
            "(* ram_style = \"block\" *) reg [{}:0] {n} [0:{}];\ninitial $readmemh(\"{n}.hex\", {n});\nreg [{}:0] q_{n};\nalways @(posedge clk) q_{n} <= {n}[addr[{}:0]];\n",
            w - 1,
            d - 1,
            w - 1,
            ab - 1
        );
    }
    // Every bit read on a few pins (the package has 39).
    v += "wire [35:0] all = {q_a, q_b, q_c};\n";
    v += "always @(posedge clk) q <= {^all[8:0], ^all[17:9], ^all[26:18], ^all[35:27]};\nendmodule\n";
    v
}

fn run(dir: &Path, prog: &str, args: &[&str]) {
    let out = Command::new(prog)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{prog} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn our_patcher_and_icebram_agree_on_a_placed_design() {
    if !have("yosys") || !have("nextpnr-ice40") || Command::new("icebram").output().is_err() {
        eprintln!("skipped: yosys, nextpnr-ice40 or icebram missing (scripts/setup installs them)");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("top.v"), verilog()).unwrap();
    let mut taken = HashSet::new();
    let mut other = HashSet::new();
    let mut reps = Replacements::default();
    let mut news = Vec::new();
    for (i, (n, w, depth)) in MEMS.into_iter().enumerate() {
        let from = bram::placeholder(w, depth, 11 + i as u64, &mut taken);
        let to = bram::placeholder(w, depth, 77 + i as u64, &mut other);
        std::fs::write(d.join(format!("{n}.hex")), from.to_hex()).unwrap();
        std::fs::write(d.join(format!("{n}_new.hex")), to.to_hex()).unwrap();
        // The hex text round-trips.
        assert_eq!(Image::parse_hex(&from.to_hex(), w, n).unwrap(), from);
        reps.add(n, &from, &to).unwrap();
        news.push((from, to));
    }
    run(
        d,
        "yosys",
        &[
            "-q",
            "-p",
            "read_verilog top.v; synth_ice40 -top top; write_json design.json",
        ],
    );
    run(
        d,
        "nextpnr-ice40",
        &[
            "--up5k",
            "--package",
            "sg48",
            "--json",
            "design.json",
            "--asc",
            "design.asc",
            "--write",
            "routed.json",
            "-q",
        ],
    );
    let read_json = |p: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(d.join(p)).unwrap()).unwrap()
    };
    let asc = |p: &str| -> Vec<Vec<bool>> {
        bram::asc_contents(&std::fs::read_to_string(d.join(p)).unwrap())
            .unwrap()
            .into_iter()
            .map(|(_, v)| v)
            .collect()
    };
    let mut routed = read_json("routed.json");
    let before = sorted(bram::json_contents(&mut routed).unwrap());
    // 24 bits x 256 (2 EBRs), 8 x 512 (1), 4 x 1024 (1).
    assert_eq!(before.len(), 4, "block RAMs in routed.json");
    let asc_before = sorted(asc("design.asc"));
    let used: Vec<Vec<bool>> = asc_before
        .iter()
        .filter(|v| v.iter().any(|&b| b))
        .cloned()
        .collect();
    assert_eq!(
        sorted(used),
        before,
        "the .asc and routed.json hold the same RAMs"
    );

    // icebram, memory by memory, on the .asc.
    let mut cur = std::fs::read(d.join("design.asc")).unwrap();
    for (n, _, _) in MEMS {
        let out = Command::new("icebram")
            .current_dir(d)
            .args([format!("{n}.hex"), format!("{n}_new.hex")])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().unwrap().write_all(&cur)?;
                c.wait_with_output()
            })
            .unwrap();
        assert!(
            out.status.success(),
            "icebram {n}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        cur = out.stdout;
    }
    std::fs::write(d.join("new.asc"), &cur).unwrap();

    // Ours on the .asc: the same text as icebram's.
    let mut on_asc = Replacements::default();
    for ((n, _, _), (from, to)) in MEMS.into_iter().zip(&news) {
        on_asc.add(n, from, to).unwrap();
    }
    let (ours_asc, n) = bram::patch_asc(
        &std::fs::read_to_string(d.join("design.asc")).unwrap(),
        &mut on_asc,
    )
    .unwrap();
    on_asc.check().unwrap();
    assert_eq!(n, 4);
    assert_eq!(
        ours_asc,
        String::from_utf8(cur.clone()).unwrap(),
        "our .asc equals icebram's"
    );

    // Ours, on routed.json.
    assert_eq!(bram::patch_json(&mut routed, &mut reps).unwrap(), 4);
    reps.check().unwrap();
    let ours = sorted(bram::json_contents(&mut routed).unwrap());
    let theirs: Vec<Vec<bool>> = asc("new.asc")
        .into_iter()
        .filter(|v| v.iter().any(|&b| b))
        .collect();
    assert_eq!(
        sorted(theirs),
        ours,
        "icebram's .asc equals our routed.json"
    );
    assert_ne!(ours, before);

    // And the replaced design holds the new images: patching back from
    // the new images to the placeholders restores the original.
    let mut back = Replacements::default();
    for ((n, _, _), (from, to)) in MEMS.into_iter().zip(&news) {
        back.add(n, to, from).unwrap();
    }
    assert_eq!(bram::patch_json(&mut routed, &mut back).unwrap(), 4);
    back.check().unwrap();
    assert_eq!(sorted(bram::json_contents(&mut routed).unwrap()), before);
}
