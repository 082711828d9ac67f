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
        write_verdict(
            &mut s,
            self.first.as_ref(),
            self.vcd.as_deref(),
            self.bit_exact,
            "golden = simulator = RTL, every output, same cycles",
        );
        s
    }
}

/// The closing lines every check's text ends with: the first mismatch (and
/// the VCD written around it, if any), then `result:  BIT-EXACT: <exact>` or
/// `result:  MISMATCH`.
pub fn write_verdict(
    s: &mut String,
    first: Option<&impl std::fmt::Display>,
    vcd: Option<&std::path::Path>,
    bit_exact: bool,
    exact: &str,
) {
    if let Some(m) = first {
        let _ = writeln!(s, "first mismatch: {m}");
        if let Some(v) = vcd {
            let _ = writeln!(s, "VCD around it: {}", v.display());
        }
    }
    if bit_exact {
        let _ = writeln!(s, "result:  BIT-EXACT: {exact}");
    } else {
        let _ = writeln!(s, "result:  MISMATCH");
    }
}

#[cfg(test)]
mod tests {
    use super::write_verdict;
    use std::path::Path;

    #[test]
    fn verdict_lines() {
        let mut s = String::new();
        write_verdict(&mut s, None::<&String>, None, true, "a = b");
        assert_eq!(s, "result:  BIT-EXACT: a = b\n");
        let mut s = String::new();
        let first = "beat 3".to_string();
        write_verdict(
            &mut s,
            Some(&first),
            Some(Path::new("x.vcd")),
            false,
            "a = b",
        );
        assert_eq!(
            s,
            "first mismatch: beat 3\nVCD around it: x.vcd\nresult:  MISMATCH\n"
        );
    }
}
