//! Driving the Verilated model from Rust, cycle by cycle, with the same
//! stream protocol and port patterns as the cycle simulator.
use crate::build::Built;
use crate::shim::{in_words, out_words, STATUS_WORDS};
use crate::CosimError;
use hitnet_arch::Plan;
use hitnet_sim::{Beat, Pattern, RunStats, Token};
use std::ffi::{c_char, c_int, c_void, CString};
use std::path::Path;

type NewFn = unsafe extern "C" fn(*const c_char, *const c_char, c_int, c_int) -> *mut c_void;
type FreeFn = unsafe extern "C" fn(*mut c_void);
type SetFn = unsafe extern "C" fn(*mut c_void, c_int, c_int, *const u32, c_int, c_int);
type GetFn = unsafe extern "C" fn(*mut c_void, *mut u32);
type TickFn = unsafe extern "C" fn(*mut c_void, c_int);

static INIT_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// One instance of the Verilated accelerator.
pub struct Rtl {
    _lib: libloading::Library,
    h: *mut c_void,
    free: FreeFn,
    set: SetFn,
    get: GetFn,
    tick: TickFn,
    in_w: usize,
    out_w: usize,
    /// Dump VCD for cycles in this window (needs a trace build).
    pub dump: Option<(u64, u64)>,
}

impl Drop for Rtl {
    fn drop(&mut self) {
        // SAFETY: h came from hn_new of this library and is freed once.
        unsafe { (self.free)(self.h) }
    }
}

impl Rtl {
    /// Loads the model; `memdir` holds the $readmemh images. With
    /// `random_init`, every register and memory starts from random bits of
    /// that seed instead of zero, so a design that depends on a value its
    /// reset never sets disagrees with the simulator.
    pub fn new(
        built: &Built,
        memdir: &Path,
        vcd: Option<&Path>,
        random_init: Option<u32>,
    ) -> Result<Rtl, CosimError> {
        let bad = |e: libloading::Error| CosimError::Build {
            msg: format!("loading the model: {e}"),
            log: built.lib.clone(),
        };
        // SAFETY: the library is our generated shim plus Verilator's model; its
        // symbols have exactly these signatures (shim.rs).
        unsafe {
            let lib = libloading::Library::new(&built.lib).map_err(bad)?;
            let new: NewFn = *lib.get(b"hn_new\0").map_err(bad)?;
            let free: FreeFn = *lib.get(b"hn_free\0").map_err(bad)?;
            let set: SetFn = *lib.get(b"hn_set\0").map_err(bad)?;
            let get: GetFn = *lib.get(b"hn_get\0").map_err(bad)?;
            let tick: TickFn = *lib.get(b"hn_tick\0").map_err(bad)?;
            let mut dir = memdir.display().to_string();
            if !dir.ends_with('/') {
                dir.push('/');
            }
            let dir = CString::new(dir).map_err(|_| CosimError::BadPath {
                what: "memory folder",
                path: memdir.to_path_buf(),
            })?;
            let vcd_c = CString::new(vcd.map(|p| p.display().to_string()).unwrap_or_default())
                .map_err(|_| CosimError::BadPath {
                    what: "VCD file",
                    path: vcd.map(Path::to_path_buf).unwrap_or_default(),
                })?;
            let (rand_reset, seed) = match random_init {
                Some(s) if s == 0 || s > i32::MAX as u32 => return Err(CosimError::BadSeed(s)),
                Some(s) => (2, s as c_int),
                None => (0, 0),
            };
            // Verilator's seed epoch is process-wide and its generator per
            // thread: models built at once in two threads would draw from
            // each other's seeds. One construction at a time keeps a seed's
            // initial state the same in every run.
            let _guard = INIT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
            let h = new(dir.as_ptr(), vcd_c.as_ptr(), rand_reset, seed);
            Ok(Rtl {
                _lib: lib,
                h,
                free,
                set,
                get,
                tick,
                in_w: in_words(built.ports),
                out_w: out_words(built.ports),
                dump: None,
            })
        }
    }

    /// Runs a token stream; `on_beat` sees each accepted output beat. Fails
    /// if the design stops producing beats (`max_idle` cycles without one).
    pub fn run<F: FnMut(&Beat)>(
        &mut self,
        plan: &Plan,
        tokens: &[Token],
        valid: Pattern,
        ready: Pattern,
        max_idle: u64,
        mut on_beat: F,
    ) -> Result<RunStats, CosimError> {
        let c = plan.in_trits;
        let mut data = vec![0u32; self.in_w];
        let mut out = vec![0u32; self.out_w];
        let expect = tokens.len() as u64 * plan.layers.len() as u64 * plan.out_beats as u64;
        let mut stats = RunStats::default();
        // Reset for two cycles.
        for _ in 0..2 {
            unsafe {
                (self.set)(self.h, 1, 0, data.as_ptr(), 0, 0);
                (self.tick)(self.h, 0);
            }
        }
        let (mut tok, mut beat) = (0usize, 0usize);
        let mut beat_idx = vec![0usize; plan.layers.len()];
        let mut out_token = vec![0usize; plan.layers.len()];
        let mut cycle = 0u64;
        let mut last_out = 0u64;
        while stats.beats < expect {
            let have = tok < tokens.len();
            let sv = have && valid.at(cycle);
            let first = have && beat == 0 && tokens[tok].first;
            data.iter_mut().for_each(|w| *w = 0);
            if have {
                for k in 0..c {
                    let t = tokens[tok].x.get(beat * c + k).copied().unwrap_or(0);
                    let code = hitnet_model::trit::encode(t).unwrap_or(0) as u32;
                    data[(2 * k) / 32] |= code << ((2 * k) % 32);
                }
            }
            let mr = ready.at(cycle);
            // SAFETY: buffers have the widths the shim was generated for.
            unsafe {
                (self.set)(
                    self.h,
                    0,
                    sv as c_int,
                    data.as_ptr(),
                    first as c_int,
                    mr as c_int,
                );
                (self.get)(self.h, out.as_mut_ptr());
            }
            if sv && out[0] != 0 {
                beat += 1;
                if beat == plan.in_beats {
                    beat = 0;
                    tok += 1;
                }
            }
            if out[1] != 0 && mr {
                let layer = out[2] as usize;
                if layer >= plan.layers.len() {
                    return Err(CosimError::Protocol(format!(
                        "cycle {cycle}: m_layer = {layer} but the design has {} layers",
                        plan.layers.len()
                    )));
                }
                let trits = (0..plan.out_trits)
                    .map(|k| {
                        let bits = (out[STATUS_WORDS + (2 * k) / 32] >> ((2 * k) % 32)) & 3;
                        // The unused code is a mismatch, never read as 0.
                        hitnet_model::trit::decode(bits as u8).unwrap_or(crate::ILLEGAL_TRIT)
                    })
                    .collect();
                let b = Beat {
                    cycle,
                    token: out_token[layer],
                    layer,
                    index: beat_idx[layer],
                    last: out[3] != 0,
                    data: trits,
                };
                beat_idx[layer] += 1;
                if beat_idx[layer] == plan.out_beats {
                    beat_idx[layer] = 0;
                    out_token[layer] += 1;
                }
                stats.beats += 1;
                stats.total_cycles = cycle + 1;
                on_beat(&b);
                last_out = cycle;
            }
            let dump = self.dump.is_some_and(|(a, b)| cycle >= a && cycle <= b);
            unsafe { (self.tick)(self.h, dump as c_int) };
            cycle += 1;
            if cycle - last_out > max_idle {
                return Err(CosimError::Hung {
                    cycle,
                    beats: stats.beats,
                    expected: expect,
                });
            }
        }
        stats.tokens = tokens.len();
        Ok(stats)
    }
}
