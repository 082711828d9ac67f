//! The SLURM executor against a real single-node cluster (Debian's
//! slurmctld, slurmd and munge, started and stopped here by
//! scripts/slurm-cluster on private ports): the flow's steps run as jobs,
//! Yosys and nextpnr for real on a small design, a failing job is a
//! failing step naming its log, and a cluster that is down is refused
//! with a message before any job is submitted.
//!
//! One test function: the cluster and SLURM_CONF are process-wide.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use hitnet_fpga::{run_flow, Design, Executor, FlowOptions, FpgaError, Slurm, Step, Target};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `script` in `dir` as the job `hitnet-<step>` on `executor`.
fn run_script(
    executor: &Executor,
    dir: &Path,
    step: &str,
    script: &str,
    env: Vec<(&'static str, String)>,
) -> hitnet_fpga::Result<hitnet_fpga::exec::Ran> {
    executor.run(&hitnet_fpga::exec::ScriptJob {
        name: format!("hitnet-{step}"),
        step,
        dir,
        script,
        env,
    })
}

struct Cluster {
    state: PathBuf,
}

impl Cluster {
    fn cmd(&self, what: &str) -> std::process::Output {
        // Private ports, so a developer's cluster or a parallel run does
        // not collide (the munge socket path must stay short).
        let base = 20_000 + (std::process::id() % 20_000) as u16;
        Command::new("sh")
            .arg(repo().join("scripts/slurm-cluster"))
            .args([what, self.state.to_str().unwrap()])
            .env("SLURM_CLUSTER_CTLD_PORT", base.to_string())
            .env("SLURM_CLUSTER_SLURMD_PORT", (base + 1).to_string())
            .output()
            .unwrap()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.cmd("stop");
    }
}

fn design(dir: &Path) -> Design {
    common::tiny_design(
        dir,
        "module t(input clk, output reg [3:0] q); always @(posedge clk) q <= q + 1'b1; endmodule\n",
    )
}

#[test]
fn steps_run_as_slurm_jobs_on_a_real_cluster() {
    let state = PathBuf::from(format!("/tmp/hs{}", std::process::id()));
    let cluster = Cluster {
        state: state.clone(),
    };
    let up = cluster.cmd("start");
    assert!(
        up.status.success(),
        "scripts/slurm-cluster start failed:\n{}{}",
        String::from_utf8_lossy(&up.stdout),
        String::from_utf8_lossy(&up.stderr)
    );
    std::env::set_var("SLURM_CONF", state.join("slurm.conf"));
    let slurm = Executor::Slurm(Slurm::default());
    slurm.check().unwrap_or_else(|e| panic!("{e}"));

    // The real tools, each step a job: the scripts see SLURM_JOB_ID.
    let d = tempfile::tempdir().unwrap();
    let t = Target::from_name("ice40-up5k").unwrap();
    let out = d.path().join("out");
    let opts = FlowOptions {
        executor: slurm.clone(),
        ..FlowOptions::default()
    };
    let r = run_flow(&design(d.path()), t, &out, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert!(r.fits && r.fmax_mhz.unwrap_or(0.0) > 12.0, "{r:?}");
    assert!(r.bitstream.as_ref().is_some_and(|b| b.is_file()));
    for step in ["synth", "pnr", "pack"] {
        let console = std::fs::read_to_string(out.join(format!("{step}.slurm.out"))).unwrap();
        assert!(!console.contains("srun: error"), "{step}: {console}");
    }
    // Resuming on the cluster: place again with another seed.
    let mut seeded = design(d.path());
    seeded.pnr_seed = 5;
    let opts_pnr = FlowOptions {
        from: Step::Pnr,
        to: Step::Pnr,
        ..opts.clone()
    };
    let r2 = run_flow(&seeded, t, &out, &opts_pnr).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r2.yosys_cells, r.yosys_cells);
    assert_eq!(r2.steps.len(), 2);

    // The job really ran under SLURM, with the submitter's environment.
    let job = Executor::Slurm(Slurm::default());
    std::fs::write(
        d.path().join("probe.sh"),
        "echo \"job=$SLURM_JOB_ID yosys=$YOSYS\"; exit 3\n",
    )
    .unwrap();
    let ran = run_script(
        &job,
        d.path(),
        "probe",
        "probe.sh",
        vec![("YOSYS", "my-yosys".into())],
    )
    .unwrap();
    assert_eq!(
        ran.status,
        hitnet_fpga::exec::Status::Exited(3),
        "{}",
        ran.console
    );
    assert!(ran.console.contains("yosys=my-yosys"), "{}", ran.console);
    let id = ran
        .console
        .split("job=")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or("");
    assert!(
        id.parse::<u64>().is_ok(),
        "no SLURM_JOB_ID: {}",
        ran.console
    );

    // A step that fails on the cluster fails the flow, naming its log.
    let mut bad = opts.clone();
    let mut tools = t.toolchain();
    tools.nextpnr = common::fake_tool(d.path(), "bad-nextpnr", "echo 'ERROR: no route'\nexit 1");
    bad.toolchain = Some(tools);
    bad.from = Step::Pnr;
    match run_flow(&design(d.path()), t, &out, &bad) {
        Err(FpgaError::ToolFailed { log, detail, .. }) => {
            assert!(log.ends_with("pnr.log"), "{}", log.display());
            assert!(detail.contains("no route"), "{detail}");
        }
        other => panic!("expected the pnr step to fail, got {other:?}"),
    }

    // The cluster down: refused up front, and a job that cannot be placed
    // is an executor error naming the job.
    let down = cluster.cmd("stop");
    assert!(down.status.success());
    let e = slurm.check().unwrap_err().to_string();
    assert!(
        e.contains("does not answer") && e.contains("slurm-cluster start"),
        "{e}"
    );
    let e = run_flow(&design(d.path()), t, &d.path().join("out2"), &opts).unwrap_err();
    assert!(matches!(e, FpgaError::Executor { .. }), "{e}");
    std::fs::write(d.path().join("ok.sh"), "exit 0\n").unwrap();
    let e = run_script(&job, d.path(), "down", "ok.sh", vec![])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("hitnet-down") && e.contains("srun failed"),
        "{e}"
    );
    drop(cluster);
    let _ = std::fs::remove_dir_all(&state);
}
