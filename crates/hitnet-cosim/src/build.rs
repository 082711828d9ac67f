//! Building a Verilated model at run time: `verilator --cc`, then the `cc`
//! crate compiles the generated C++, Verilator's runtime sources and a small
//! generated C-ABI shim, and the objects are linked into a shared library.
//! Builds are cached by content hash; the runtime objects are cached once per
//! Verilator version.
use crate::CosimError;
use hitnet_arch::Plan;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Bumped whenever the shim or the build recipe changes.
const RECIPE: &str = "hitnet-cosim-build-v2";

/// Serialises builds within a process (tests build in parallel threads);
/// across processes the publish-by-rename keeps the cache consistent.
static BUILD_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
static TMP_SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A fresh temporary name next to `final_name`, unique per process and call.
fn tmp_name(cache: &Path, final_name: &str) -> PathBuf {
    let n = TMP_SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    cache.join(format!(".{final_name}.tmp{}-{n}", std::process::id()))
}

/// Removes temporary build folders (`.<name>.tmp<pid>-<n>`) left by
/// interrupted builds (Ctrl-C, a killed CI job), which cannot clean up after
/// themselves; each holds a Verilated model. Called under BUILD_LOCK before
/// a build, so a folder with this process's pid is a leftover of an earlier
/// process that had the same pid (containers reuse pids). Another pid's
/// folder goes only when that pid does not run here AND the folder is over
/// an hour old: the cache may be shared with another pid namespace whose
/// live builds this one cannot see, and a failed build's log stays
/// readable for an hour. Anything over a day old goes. Returns how many
/// went.
pub fn clean_stale(cache: &Path) -> usize {
    clean_stale_older_than(cache, std::time::Duration::from_secs(3600))
}

fn clean_stale_older_than(cache: &Path, min_age: std::time::Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(cache) else {
        return 0;
    };
    let me = std::process::id();
    let proc_fs = Path::new("/proc/self").exists();
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(pid) = name
            .strip_prefix('.')
            .and_then(|n| n.rsplit_once(".tmp"))
            .and_then(|(_, t)| t.split_once('-'))
            .and_then(|(p, _)| p.parse::<u32>().ok())
        else {
            continue;
        };
        let age = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .unwrap_or_default();
        let gone = proc_fs && !Path::new(&format!("/proc/{pid}")).exists();
        let stale =
            pid == me || (gone && age >= min_age) || age > std::time::Duration::from_secs(86_400);
        if stale && std::fs::remove_dir_all(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The tools a build needs.
#[derive(Clone, Debug)]
pub struct Toolchain {
    pub verilator: PathBuf,
    pub version: String,
    pub include: PathBuf,
}

impl Toolchain {
    /// Finds Verilator and a C++ compiler, or says what to install.
    pub fn find() -> Result<Toolchain, CosimError> {
        let out = Command::new("verilator").arg("--version").output().map_err(|_| {
            CosimError::Missing(
                "verilator not found; install it with scripts/setup (Debian: apt-get install verilator)".into(),
            )
        })?;
        let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let root = Command::new("verilator")
            .arg("--getenv")
            .arg("VERILATOR_ROOT")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        let include = Path::new(&root).join("include");
        if !include.join("verilated.cpp").exists() {
            return Err(CosimError::Missing(format!(
                "Verilator's runtime sources are not at {} (verilator --getenv VERILATOR_ROOT); reinstall verilator",
                include.display()
            )));
        }
        if Command::new("c++").arg("--version").output().is_err() {
            return Err(CosimError::Missing(
                "no C++ compiler (c++) found; install g++ (Debian: apt-get install g++)".into(),
            ));
        }
        Ok(Toolchain {
            verilator: PathBuf::from("verilator"),
            version,
            include,
        })
    }
}

/// Build options that change the binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuildOptions {
    pub trace: bool,
    /// C++ optimisation level of the model (the runtime is always -O2).
    pub opt: u32,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            trace: false,
            opt: 1,
        }
    }
}

/// A built model: the shared library and the port widths the shim expects.
#[derive(Clone, Debug)]
pub struct Built {
    pub lib: PathBuf,
    pub dir: PathBuf,
    pub cached: bool,
    pub ports: PortWidths,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortWidths {
    pub s_data: usize,
    pub m_data: usize,
    pub m_layer: usize,
}

impl PortWidths {
    pub fn of(plan: &Plan) -> PortWidths {
        PortWidths {
            s_data: 2 * plan.in_trits,
            m_data: 2 * plan.out_trits,
            m_layer: plan.layer_bits() as usize,
        }
    }
}

/// The default cache: $HITNET_CACHE, else $XDG_CACHE_HOME/hitnet, else ~/.cache/hitnet.
pub fn default_cache() -> PathBuf {
    if let Some(d) = std::env::var_os("HITNET_CACHE") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("hitnet");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    home.join(".cache").join("hitnet")
}

fn cc_build(tc: &Toolchain, out: &Path, opt: u32, trace: bool) -> cc::Build {
    let target = env!("HITNET_TARGET");
    let mut b = cc::Build::new();
    b.cpp(true)
        .include(&tc.include)
        .include(tc.include.join("vltstd"))
        .flag_if_supported("-std=c++17")
        .flag_if_supported("-faligned-new")
        .flag_if_supported("-fcf-protection=none")
        .flag_if_supported("-Wno-bool-operation")
        .flag_if_supported("-Wno-unused-parameter")
        .define("VM_TRACE", if trace { "1" } else { "0" })
        .define("VM_COVERAGE", "0")
        .define("VM_SC", "0")
        .pic(true)
        .opt_level(opt)
        .debug(false)
        .warnings(false)
        .cargo_metadata(false)
        .cargo_warnings(false)
        .cargo_output(false)
        .target(target)
        .host(target)
        .out_dir(out);
    b
}

/// Compiles Verilator's runtime once per Verilator version and trace flag.
fn runtime_objects(tc: &Toolchain, cache: &Path, trace: bool) -> Result<Vec<PathBuf>, CosimError> {
    let key = hex::encode(&Sha256::digest(format!("{RECIPE} {} {trace}", tc.version))[..8]);
    let dir = cache.join(format!("runtime-{key}"));
    let list = dir.join("objects.txt");
    if let Ok(text) = std::fs::read_to_string(&list) {
        let objs: Vec<PathBuf> = text.lines().map(PathBuf::from).collect();
        if objs.iter().all(|o| o.exists()) {
            return Ok(objs);
        }
    }
    let tmp = tmp_name(cache, &format!("runtime-{key}"));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(CosimError::io(&tmp))?;
    let mut files = vec![
        tc.include.join("verilated.cpp"),
        tc.include.join("verilated_threads.cpp"),
    ];
    if trace {
        files.push(tc.include.join("verilated_vcd_c.cpp"));
    }
    let objs = cc_build(tc, &tmp, 2, trace)
        .files(&files)
        .try_compile_intermediates()
        .map_err(|e| CosimError::Build {
            msg: format!("compiling Verilator's runtime: {e}"),
            log: tmp.clone(),
        })?;
    // Publish atomically: another process may be building the same runtime.
    let _ = std::fs::rename(&tmp, &dir);
    let _ = std::fs::remove_dir_all(&tmp);
    let objs: Vec<PathBuf> = objs
        .iter()
        .map(|o| dir.join(o.strip_prefix(&tmp).unwrap_or(o)))
        .collect();
    std::fs::write(
        &list,
        objs.iter()
            .map(|o| format!("{}\n", o.display()))
            .collect::<String>(),
    )
    .map_err(CosimError::io(&list))?;
    Ok(objs)
}

/// Verilates and compiles `verilog` (the generated hitnet_top.v), or reuses
/// a cached build of the same content.
pub fn build(
    tc: &Toolchain,
    plan: &Plan,
    verilog: &str,
    opts: BuildOptions,
    cache: &Path,
) -> Result<Built, CosimError> {
    let ports = PortWidths::of(plan);
    let shim = crate::shim::source(ports, opts.trace);
    let key = {
        let mut h = Sha256::new();
        h.update(RECIPE);
        h.update(&tc.version);
        h.update(format!("{opts:?}"));
        h.update(&shim);
        h.update(verilog);
        hex::encode(&h.finalize()[..12])
    };
    let dir = cache.join(format!("model-{key}"));
    let lib = dir.join("libhitnet_model.so");
    let built = |cached: bool| Built {
        lib: lib.clone(),
        dir: dir.clone(),
        cached,
        ports,
    };
    // Checked again under the lock: another thread may have built it.
    if lib.exists() {
        return Ok(built(true));
    }
    let _guard = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if lib.exists() {
        return Ok(built(true));
    }
    std::fs::create_dir_all(cache).map_err(CosimError::io(cache))?;
    clean_stale(cache);
    let rt = runtime_objects(tc, cache, opts.trace)?;
    let tmp = tmp_name(cache, &format!("model-{key}"));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(CosimError::io(&tmp))?;
    std::fs::write(tmp.join("hitnet_top.v"), verilog).map_err(CosimError::io(&tmp))?;
    std::fs::write(tmp.join("shim.cpp"), &shim).map_err(CosimError::io(&tmp))?;
    let log = tmp.join("verilator.log");
    // Initial values come from Verilator's run-time reset policy (zero,
    // or random bits of a seed: Rtl::new), so one build serves both.
    let mut cmd = Command::new(&tc.verilator);
    cmd.current_dir(&tmp)
        .args([
            "--cc",
            "hitnet_top.v",
            "--top-module",
            "hitnet_top",
            "--prefix",
            "Vhitnet_top",
        ])
        .args([
            "-Mdir",
            "obj",
            "-DHITNET_PLUSARG_MEM",
            "--x-assign",
            "fast",
            "--x-initial",
            "unique",
        ])
        .args(["-Wno-fatal", "-Wno-lint", "-Wno-style"]);
    if opts.trace {
        cmd.arg("--trace");
    }
    let out = cmd.output().map_err(|e| {
        CosimError::Missing(format!(
            "running verilator: {e}; install it with scripts/setup"
        ))
    })?;
    let mut text = String::from_utf8_lossy(&out.stdout).to_string();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    std::fs::write(&log, &text).map_err(CosimError::io(&log))?;
    if !out.status.success() {
        return Err(CosimError::Build {
            msg: "verilator failed".into(),
            log,
        });
    }
    let mut sources: Vec<PathBuf> = std::fs::read_dir(tmp.join("obj"))
        .map_err(CosimError::io(&tmp))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cpp"))
        .collect();
    sources.sort();
    sources.push(tmp.join("shim.cpp"));
    let objs = cc_build(tc, &tmp.join("o"), opts.opt, opts.trace)
        .include(tmp.join("obj"))
        .files(&sources)
        .try_compile_intermediates()
        .map_err(|e| {
            let _ = std::fs::write(tmp.join("cc.log"), e.to_string());
            CosimError::Build {
                msg: format!("compiling the Verilated model: {e}"),
                log: tmp.join("cc.log"),
            }
        })?;
    let compiler = cc_build(tc, &tmp, opts.opt, opts.trace)
        .try_get_compiler()
        .map_err(|e| CosimError::Missing(format!("no C++ compiler: {e}")))?;
    let so = tmp.join("libhitnet_model.so");
    let out = Command::new(compiler.path())
        .arg("-shared")
        .arg("-o")
        .arg(&so)
        .args(&objs)
        .args(&rt)
        .args(["-lpthread", "-latomic"])
        .output()
        .map_err(|e| CosimError::Build {
            msg: format!("linking: {e}"),
            log: tmp.clone(),
        })?;
    if !out.status.success() {
        let l = tmp.join("link.log");
        let _ = std::fs::write(&l, String::from_utf8_lossy(&out.stderr).as_bytes());
        return Err(CosimError::Build {
            msg: "linking the model failed".into(),
            log: l,
        });
    }
    // Publish; if another process won the race, use its build.
    if std::fs::rename(&tmp, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(built(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_temporary_builds_are_removed_live_ones_kept() {
        let cache = tempfile::tempdir().unwrap();
        // Linux pids stay below 2^22: 999999999 never runs.
        let dead = cache.path().join(".model-0123.tmp999999999-0");
        // Our own pid: an earlier process's (we are not building now).
        let mine = cache
            .path()
            .join(format!(".model-4567.tmp{}-3", std::process::id()));
        // A live process (our parent) building in parallel.
        let live = cache.path().join(format!(
            ".model-89ab.tmp{}-0",
            std::os::unix::process::parent_id()
        ));
        let done = cache.path().join("model-0123");
        let odd = cache.path().join(".model-89.tmpabc-1");
        for d in [&dead, &mine, &live, &done, &odd] {
            std::fs::create_dir_all(d.join("obj")).unwrap();
        }
        // A dead pid's folder younger than the minimum age stays (another
        // pid namespace may be building it).
        assert_eq!(clean_stale(cache.path()), 1);
        assert!(!mine.exists() && dead.exists());
        assert_eq!(
            clean_stale_older_than(cache.path(), std::time::Duration::ZERO),
            1
        );
        assert!(!dead.exists());
        assert!(live.exists() && done.exists() && odd.exists());
    }

    #[test]
    fn a_verilator_failure_points_to_its_log() {
        let tc = Toolchain::find().expect("verilator (scripts/setup installs it)");
        let q = hitnet_model::QuantParams::default();
        let im =
            hitnet_model::defaults::default_int_model(hitnet_model::CellKind::Lstm, 5, 3, 1, 1, &q)
                .unwrap();
        let plan = Plan::new(&im, hitnet_arch::Shape::new(1, 2)).unwrap();
        let cache = tempfile::tempdir().unwrap();
        let e = build(
            &tc,
            &plan,
            "module hitnet_top(; endmodule",
            BuildOptions::default(),
            cache.path(),
        )
        .unwrap_err();
        match &e {
            CosimError::Build { log, .. } => {
                let text = std::fs::read_to_string(log).unwrap();
                assert!(
                    text.contains("syntax error") || text.contains("Error"),
                    "{text}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().contains("verilator.log"), "{e}");
    }
}
