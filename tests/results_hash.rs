//! Numbers cannot go stale: every results file under fpga/results
//! (synthesis and verification) records the SHA-256 of the generated
//! design it was measured on (`design_sha256`, hitnet_rtl::design_sha256) and the config
//! it came from (`config_file`); this test regenerates that design with the
//! current generator and fails when it differs. A generator change thus
//! forces a re-measurement, or an explicit `stale` note in the file that
//! names the current design's hash (and so fails again on the next change).

use std::path::{Path, PathBuf};

fn results_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            results_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

fn current_hash(root: &Path, v: &serde_json::Value) -> String {
    let cfg_file = v["config_file"]
        .as_str()
        .expect("a results file names its config_file");
    let cfg = hitnet_model::Config::load(&root.join(cfg_file)).expect("config");
    let loaded = hitnet_model::load(&cfg).expect("model");
    // A synthesis result names the array it built; a verification result
    // ran the config's own.
    let a = &v["array"];
    let shape = if a.is_object() {
        hitnet_arch::Shape::of(&loaded.config.hw)
            .at(
                a["rows"].as_u64().unwrap() as usize,
                a["cols"].as_u64().unwrap() as usize,
            )
            .with_lanes(a["lanes"].as_u64().unwrap() as usize)
    } else {
        hitnet_arch::Shape::of(&loaded.config.hw)
    };
    let plan = hitnet_arch::Plan::new(&loaded.int, shape).expect("plan");
    let target = v["target"]
        .as_str()
        .or(v["synth"]["target"].as_str())
        .expect("a results file names its target");
    let target = hitnet_fpga::Target::from_name(target).unwrap();
    let bram = if target.family == hitnet_fpga::Family::Ecp5 {
        hitnet_rtl::Bram::Dp16kd
    } else {
        hitnet_rtl::Bram::Inferred
    };
    // A deployable build generates its own variant (bias memories in block RAM).
    let deployable = v["deployable"].as_bool().unwrap_or(false);
    // With [lm], the design is hitnet_lm around the core.
    if let Some(e) = hitnet_flow::lm::ends_for(&loaded, &plan).expect("[lm]") {
        return hitnet_rtl::lm::generate(&plan, &e.plan, serde_json::json!({}), bram, deployable)
            .sha256();
    }
    // With [classifier], hitnet_cls around the core.
    if let Some(e) = hitnet_flow::cls::ends_for(&loaded, &plan).expect("[classifier]") {
        return hitnet_rtl::cls::generate(&plan, &e.plan, serde_json::json!({}), bram, deployable)
            .sha256();
    }
    hitnet_rtl::generate_for(&plan, serde_json::json!({}), bram, deployable).sha256()
}

/// The current wrapper hash of a synthesis result (its `wrapper`, or its
/// `synth`'s for a deploy result); None for results of no build.
fn wrapper_now(v: &serde_json::Value) -> Option<String> {
    let s = if v["wrapper"].is_string() {
        v
    } else {
        &v["synth"]
    };
    let kind = match s["wrapper"].as_str()? {
        "uart" => hitnet_fpga::WrapperKind::Uart,
        _ => hitnet_fpga::WrapperKind::Char,
    };
    let target = hitnet_fpga::Target::from_name(s["target"].as_str()?).ok()?;
    // A build of the model ends has their board top.
    let top = s["top"].as_str().unwrap_or("");
    let ends = if top.ends_with("_lm_top") {
        hitnet_fpga::accel::EndsKind::Lm
    } else if top.ends_with("_cls_top") {
        hitnet_fpga::accel::EndsKind::Cls
    } else {
        hitnet_fpga::accel::EndsKind::Core
    };
    Some(hitnet_fpga::accel::wrapper_sha256_for(kind, target, ends).unwrap())
}

#[test]
fn every_result_was_measured_on_the_current_design() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    results_files(&root.join("fpga/results"), &mut files);
    files.sort();
    let mut checked = 0;
    for f in files {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        if v.get("design_sha256").is_none() {
            continue; // not measured on a generated design
        }
        let now = current_hash(root, &v);
        match v.get("stale") {
            Some(s) => assert_eq!(
                s["current_design_sha256"].as_str(),
                Some(now.as_str()),
                "{}: the stale note names another design than the generator's current one; re-measure or update the note",
                f.display()
            ),
            None => assert_eq!(
                v["design_sha256"].as_str(),
                Some(now.as_str()),
                "{}: measured on another design than the generator now produces; re-measure (hitnet synth) or mark it stale",
                f.display()
            ),
        }
        // The build measured is the design inside its wrapper: a synthesis
        // result records the wrapper's sources too.
        if v.get("stale").is_none() {
            if let Some(w) = wrapper_now(&v) {
                let rec = v["wrapper_sha256"]
                    .as_str()
                    .or(v["synth"]["wrapper_sha256"].as_str());
                assert_eq!(
                    rec,
                    Some(w.as_str()),
                    "{}: measured with other wrapper sources (fpga/*.v, pin files) than the current ones; re-measure or mark it stale",
                    f.display()
                );
            }
        }
        checked += 1;
    }
    // 3 UP5K seeds, 3 PTB seeds, the default design's verification.
    assert!(checked >= 7, "only {checked} results files checked");
}
