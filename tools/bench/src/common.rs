//! Workloads, argument values and the canonical form of a result that every engine must agree on.

use std::path::PathBuf;

/// A WebAssembly value type as the kernels use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    I32,
    I64,
    F32,
    F64,
}

impl Ty {
    pub fn name(self) -> &'static str {
        match self {
            Ty::I32 => "i32",
            Ty::I64 => "i64",
            Ty::F32 => "f32",
            Ty::F64 => "f64",
        }
    }
}

/// The signature of a kernel export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sig {
    pub params: Vec<Ty>,
    pub results: Vec<Ty>,
}

/// One measured workload.
#[derive(Debug, Clone)]
pub enum Work {
    /// `func(args)` of a kernel module (no imports).
    Kernel {
        wasm: Vec<u8>,
        func: String,
        args: Vec<u64>,
        sig: Sig,
        floats: bool,
    },
    /// An Ewasm contract: `main` with the `ethereum` imports, call data from the state test.
    Contract {
        code: Vec<u8>,
        calldata: Vec<u8>,
        gas: i64,
        floats: bool,
    },
    /// Start-up of a contract: validate (+ inject) + compile + instantiate.
    Startup { code: Vec<u8>, floats: bool },
}

#[derive(Debug, Clone)]
pub struct Workload {
    pub name: String,
    /// For the table: where it comes from and its size.
    pub what: String,
    pub work: Work,
}

impl Workload {
    pub fn is_startup(&self) -> bool {
        matches!(self.work, Work::Startup { .. })
    }
}

/// FNV-1a (32-bit) over bytes.
pub fn fnv_bytes(data: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in data {
        h = (h ^ b as u32).wrapping_mul(0x0100_0193);
    }
    h
}

/// FNV-1a (32-bit) over little-endian 32-bit words (memory fingerprints).
pub fn fnv_words(data: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for w in data.chunks_exact(4) {
        h = (h ^ u32::from_le_bytes([w[0], w[1], w[2], w[3]])).wrapping_mul(0x0100_0193);
    }
    h
}

/// Canonical kernel result: type and raw bits (floats as bits, so no rounding differences).
pub fn value_string(ty: Ty, bits: u64) -> String {
    match ty {
        Ty::I32 | Ty::F32 => format!("{}:0x{:08x}", ty.name(), bits as u32),
        Ty::I64 | Ty::F64 => format!("{}:0x{:016x}", ty.name(), bits),
    }
}

/// How a contract run ended, as seen by a minimal host.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Halt {
    #[default]
    Running,
    Finish(Vec<u8>),
    Revert(Vec<u8>),
}

/// Canonical contract result. A `main` that returns normally is fingerprinted by its memory
/// (the pairing contracts have no imports: memory is all they leave behind).
pub fn contract_string(halt: &Halt, trapped: bool, memory: &[u8]) -> String {
    match halt {
        Halt::Finish(out) => format!("finish:{:08x}", fnv_bytes(out)),
        Halt::Revert(out) => format!("revert:{:08x}", fnv_bytes(out)),
        Halt::Running if trapped => "trap".to_string(),
        Halt::Running => format!("return:mem={:08x}", fnv_words(memory)),
    }
}

pub fn kernels_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../kernels")
}

/// `$EWVM_ETHEREUM_TESTS/bench` (default `../shared/ethereum-tests` next to the repository, as
/// for the tests).
pub fn bench_dir() -> PathBuf {
    std::env::var_os("EWVM_ETHEREUM_TESTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ethereum-tests")
        })
        .join("bench")
}

/// Median of durations in seconds.
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
