//! Chooses the executor's dispatch (see `src/wasm/exec/core.rs`): threaded code with calls in
//! tail position turned into jumps needs an optimising build on a target where LLVM performs
//! sibling-call optimisation; any other build uses the portable dispatch loop.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=OPT_LEVEL");
    println!("cargo::rustc-check-cfg=cfg(ewvm_tail_dispatch)");
    let optimising = matches!(
        std::env::var("OPT_LEVEL").as_deref(),
        Ok("2" | "3" | "s" | "z")
    );
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let sibling_calls = matches!(arch.as_str(), "x86_64" | "aarch64" | "riscv64");
    if optimising && sibling_calls {
        println!("cargo::rustc-cfg=ewvm_tail_dispatch");
    }
}
