//! rtl/ holds the reference design of the built-in default config; it must
//! be exactly what `hitnet gen` produces today.
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn reference_design_is_up_to_date() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rtl");
    let o = Command::new(env!("CARGO_BIN_EXE_hitnet"))
        .args(["gen", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let want = files(&out);
    let have = files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rtl"));
    let names = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&have),
        names(&want),
        "rtl/ is out of date: run `cargo run --release -- gen --out rtl`"
    );
    for (n, b) in &want {
        assert!(
            have[n] == *b,
            "rtl/{n} is out of date: run `cargo run --release -- gen --out rtl`"
        );
    }
}
