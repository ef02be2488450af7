//! `ewvm invoke MODULE FUNC [ARG...]`: call an export of an import-free module.

use std::path::PathBuf;
use std::process::ExitCode;

use ewvm::metering::{self, PermissiveRules};
use ewvm::wasm::{
    Caller, CompileError, Engine, Error, HostModule, InstantiationError, Linker, Module, Store,
    Trap, Val, ValType,
};

/// Arguments of `ewvm invoke`.
#[derive(Debug, clap::Args)]
pub struct InvokeArgs {
    /// The module, binary (`.wasm`) or text (`.wat`).
    module: PathBuf,
    /// The exported function to call.
    func: String,
    /// Arguments, parsed by the function's parameter types: integers as signed or unsigned
    /// decimal or `0x` hex, floats as decimal, references as `null`.
    #[arg(allow_hyphen_values = true)]
    args: Vec<String>,
    /// Meter the module (Ewasm costs, floats allowed, fused) and run it with this much gas;
    /// the gas used is printed on stderr.
    #[arg(long)]
    gas: Option<u64>,
}

/// Why `invoke` could not run the function.
#[derive(Debug, thiserror::Error)]
enum InvokeError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error(transparent)]
    Wasm(#[from] Error),
    #[error(transparent)]
    Metering(#[from] metering::MeteringError),
    #[error("no exported function `{0}`")]
    NoSuchFunc(String),
    #[error("`{func}` takes {want} argument(s), {got} given")]
    Arity {
        func: String,
        want: usize,
        got: usize,
    },
    #[error("argument {index} `{text}` is not a valid {ty}")]
    BadArg {
        index: usize,
        text: String,
        ty: ValType,
    },
}

/// Runs the call: results on stdout as `TYPE:VALUE`; exit 2 on a trap, 1 on any other error.
pub fn run(args: InvokeArgs) -> ExitCode {
    match invoke(&args) {
        Ok(results) => {
            for value in results {
                println!("{}", format_value(&value));
            }
            ExitCode::SUCCESS
        }
        Err(InvokeError::Wasm(Error::Trap(trap))) => {
            eprintln!("trap: {trap}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn invoke(args: &InvokeArgs) -> Result<Vec<Val>, InvokeError> {
    let bytes = std::fs::read(&args.module)
        .map_err(|e| InvokeError::Read(args.module.display().to_string(), e))?;
    let engine = Engine::default();
    let bytes =
        wat::parse_bytes(&bytes).map_err(|e| Error::from(CompileError::Text(e.to_string())))?;
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new();
    let module = match args.gas {
        None => Module::new(&engine, &bytes).map_err(Error::from)?,
        Some(gas) => {
            let config = metering::Config::default().rules(PermissiveRules);
            let metered = metering::instrument(&bytes, &config)?;
            linker
                .grant(gas_host_module())
                .map_err(|e| Error::from(InstantiationError::from(e)))?;
            store.set_gas(gas);
            Module::new_with_gas(&engine, &metered.bytes, &metered.layout.fusion())
                .map_err(Error::from)?
        }
    };
    let instance = linker
        .instantiate(&mut store, &module)
        .map_err(Error::from)?;
    let func = instance
        .get_func(&store, &args.func)
        .ok_or_else(|| InvokeError::NoSuchFunc(args.func.clone()))?;
    let ty = func.ty(&store);
    if ty.params().len() != args.args.len() {
        return Err(InvokeError::Arity {
            func: args.func.clone(),
            want: ty.params().len(),
            got: args.args.len(),
        });
    }
    let params = ty
        .params()
        .iter()
        .zip(&args.args)
        .enumerate()
        .map(|(index, (ty, text))| {
            parse_value(*ty, text).ok_or_else(|| InvokeError::BadArg {
                index,
                text: text.clone(),
                ty: *ty,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
    let outcome = func.call(&mut store, &params, &mut results);
    if let Some(gas) = args.gas {
        eprintln!("gas used: {}", gas - store.gas());
    }
    outcome?;
    Ok(results)
}

/// `ethereum.useGas(i64)` charging the store's gas counter, for metered runs.
fn gas_host_module() -> HostModule<()> {
    let mut host = HostModule::new("ethereum");
    let use_gas = |mut caller: Caller<'_, ()>, amount: i64| -> Result<(), Trap> {
        caller.consume_gas(u64::try_from(amount).unwrap_or(u64::MAX))
    };
    host.func_wrap("useGas", use_gas)
        .expect("a fresh host module has no duplicates");
    host
}

/// Parses an integer given as signed or unsigned decimal or `0x` hex, within `bits` bits.
fn parse_int(text: &str, bits: u32) -> Option<u64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let magnitude = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => u64::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<u64>().ok()?,
    };
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    if negative {
        let min_magnitude = 1u64 << (bits - 1);
        (magnitude <= min_magnitude).then(|| magnitude.wrapping_neg() & mask)
    } else {
        (magnitude <= mask).then_some(magnitude)
    }
}

fn parse_value(ty: ValType, text: &str) -> Option<Val> {
    Some(match ty {
        ValType::I32 => Val::I32(parse_int(text, 32)? as u32 as i32),
        ValType::I64 => Val::I64(parse_int(text, 64)? as i64),
        ValType::F32 => Val::F32(text.parse::<f32>().ok()?.to_bits()),
        ValType::F64 => Val::F64(text.parse::<f64>().ok()?.to_bits()),
        ValType::FuncRef if text == "null" => Val::FuncRef(None),
        ValType::ExternRef if text == "null" => Val::ExternRef(None),
        ValType::FuncRef | ValType::ExternRef => return None,
    })
}

/// Formats a result as `TYPE:VALUE`: integers unsigned, floats with their bit pattern.
fn format_value(value: &Val) -> String {
    match value {
        Val::I32(v) => format!("i32:{}", *v as u32),
        Val::I64(v) => format!("i64:{}", *v as u64),
        Val::F32(bits) => format!("f32:{} (0x{bits:08x})", f32::from_bits(*bits)),
        Val::F64(bits) => format!("f64:{} (0x{bits:016x})", f64::from_bits(*bits)),
        Val::FuncRef(None) | Val::ExternRef(None) => format!("{}:null", value.ty()),
        Val::FuncRef(Some(f)) => format!("funcref:{f:?}"),
        Val::ExternRef(Some(r)) => format!("externref:{}", r.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_signed_unsigned_and_hex() {
        assert_eq!(parse_int("-1", 32), Some(0xffff_ffff));
        assert_eq!(parse_int("4294967295", 32), Some(0xffff_ffff));
        assert_eq!(parse_int("4294967296", 32), None);
        assert_eq!(parse_int("0x10", 64), Some(16));
        assert_eq!(parse_int("-9223372036854775808", 64), Some(1 << 63));
        assert_eq!(parse_int("-9223372036854775809", 64), None);
        assert_eq!(parse_int("abc", 32), None);
    }

    #[test]
    fn values_format_as_type_and_unsigned_value() {
        assert_eq!(format_value(&Val::I64(-1)), "i64:18446744073709551615");
        assert_eq!(
            format_value(&Val::F32(1.5f32.to_bits())),
            "f32:1.5 (0x3fc00000)"
        );
    }
}
