// The cc crate wants the target triple, which only a build script knows.
fn main() {
    println!(
        "cargo:rustc-env=HITNET_TARGET={}",
        std::env::var("TARGET").expect("cargo sets TARGET")
    );
    println!("cargo:rerun-if-changed=build.rs");
}
