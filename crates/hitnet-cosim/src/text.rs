//! The human summary of a co-simulation (what `hitnet cosim` prints).
use std::fmt::Write as _;

impl crate::Report {
    /// Build, initial state, cycles, comparisons, the first mismatch and
    /// the verdict, one line each.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "verilator: build {} ({:.1} s); RTL {:.0} cycles/s",
            if self.build_cached {
                "cached"
            } else {
                "compiled"
            },
            self.build_seconds,
            self.rtl_cycles_per_second
        );
        let _ = writeln!(
            s,
            "initial: {}",
            match self.random_init {
                Some(seed) => format!("RTL registers and memories from random bits (seed {seed})"),
                None => "RTL registers and memories from zero".into(),
            }
        );
        let _ = writeln!(
            s,
            "cycles:  RTL {}, simulator {}",
            self.rtl_cycles, self.sim_cycles
        );
        let _ = writeln!(
            s,
            "compare: golden vs sim {} differing trits; sim vs RTL {} differing beats",
            self.golden_vs_sim, self.sim_vs_rtl
        );
        if let Some(m) = &self.first {
            let _ = writeln!(s, "first mismatch: {m}");
            if let Some(v) = &self.vcd {
                let _ = writeln!(s, "VCD around it: {}", v.display());
            }
        }
        let _ = writeln!(
            s,
            "result:  {}",
            if self.bit_exact {
                "BIT-EXACT: golden = simulator = RTL, every output, same cycles"
            } else {
                "MISMATCH"
            }
        );
        s
    }
}
