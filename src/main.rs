//! The `hitnet` binary: a thin shell over `hitnet_cli`.
fn main() -> std::process::ExitCode {
    hitnet_cli::main()
}
