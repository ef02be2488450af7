//! Reading signatures and rewriting modules: wrappers for `wasm-interp` (which can only run
//! parameterless exports and has no host functions) and export stripping for the EEI.

use std::collections::BTreeMap;

use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{
    CodeSection, ConstExpr, ExportKind, ExportSection, Function, FunctionSection, GlobalSection,
    GlobalType, Instruction, MemArg, RawSection, TypeSection, ValType as EncTy,
};
use wasmparser::{ExternalKind, Parser, Payload, TypeRef};

use crate::common::{Sig, Ty};

/// What the analysis pass found.
#[derive(Default)]
struct Info {
    types: Vec<wasmparser::FuncType>,
    /// Function imports: (module, field, type index).
    imports: Vec<(String, String, u32)>,
    other_imports: usize,
    /// Type index of each defined function.
    defined: Vec<u32>,
    globals: u32,
    exports: BTreeMap<String, (ExternalKind, u32)>,
    /// Section id → byte range (without custom sections).
    sections: Vec<(u8, std::ops::Range<usize>)>,
    /// Byte ranges of the code-section entries.
    bodies: Vec<std::ops::Range<usize>>,
}

fn analyze(wasm: &[u8]) -> Result<Info, String> {
    let mut info = Info::default();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| e.to_string())?;
        match &payload {
            Payload::TypeSection(reader) => {
                for ty in reader.clone().into_iter_err_on_gc_types() {
                    info.types.push(ty.map_err(|e| e.to_string())?);
                }
            }
            Payload::ImportSection(reader) => {
                for imp in reader.clone().into_imports() {
                    let imp = imp.map_err(|e| e.to_string())?;
                    match imp.ty {
                        TypeRef::Func(t) => {
                            info.imports
                                .push((imp.module.to_string(), imp.name.to_string(), t))
                        }
                        _ => info.other_imports += 1,
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for t in reader.clone() {
                    info.defined.push(t.map_err(|e| e.to_string())?);
                }
            }
            Payload::GlobalSection(reader) => info.globals = reader.count(),
            Payload::ExportSection(reader) => {
                for e in reader.clone() {
                    let e = e.map_err(|e| e.to_string())?;
                    info.exports.insert(e.name.to_string(), (e.kind, e.index));
                }
            }
            Payload::CodeSectionEntry(body) => {
                let r = body.range();
                info.bodies.push(r.start as usize..r.end as usize)
            }
            _ => {}
        }
        if let Some((id, range)) = payload.as_section() {
            if id != 0 {
                info.sections
                    .push((id, range.start as usize..range.end as usize));
            }
        }
    }
    Ok(info)
}

fn ty(t: wasmparser::ValType) -> Result<Ty, String> {
    Ok(match t {
        wasmparser::ValType::I32 => Ty::I32,
        wasmparser::ValType::I64 => Ty::I64,
        wasmparser::ValType::F32 => Ty::F32,
        wasmparser::ValType::F64 => Ty::F64,
        other => return Err(format!("unsupported value type {other}")),
    })
}

fn func_type(info: &Info, func: u32) -> &wasmparser::FuncType {
    let n = info.imports.len() as u32;
    let t = if func < n {
        info.imports[func as usize].2
    } else {
        info.defined[(func - n) as usize]
    };
    &info.types[t as usize]
}

fn export_func(info: &Info, name: &str) -> Result<u32, String> {
    match info.exports.get(name) {
        Some((ExternalKind::Func, idx)) => Ok(*idx),
        _ => Err(format!("no function export `{name}`")),
    }
}

/// The signature of function export `name`.
pub fn export_sig(wasm: &[u8], name: &str) -> Result<Sig, String> {
    let info = analyze(wasm)?;
    let f = func_type(&info, export_func(&info, name)?);
    Ok(Sig {
        params: f
            .params()
            .iter()
            .map(|t| ty(*t))
            .collect::<Result<_, _>>()?,
        results: f
            .results()
            .iter()
            .map(|t| ty(*t))
            .collect::<Result<_, _>>()?,
    })
}

/// The function index of export `name`.
pub fn export_index(wasm: &[u8], name: &str) -> Result<u32, String> {
    export_func(&analyze(wasm)?, name)
}

/// Function imports as (module, field).
pub fn func_imports(wasm: &[u8]) -> Result<Vec<(String, String)>, String> {
    Ok(analyze(wasm)?
        .imports
        .into_iter()
        .map(|(m, f, _)| (m, f))
        .collect())
}

/// The module with only the exports in `keep` (what the Ewasm contract rules allow).
pub fn keep_exports(wasm: &[u8], keep: &[&str]) -> Result<Vec<u8>, String> {
    let info = analyze(wasm)?;
    let mut exports = ExportSection::new();
    for (name, (kind, idx)) in &info.exports {
        if keep.contains(&name.as_str()) {
            let kind = match kind {
                ExternalKind::Func => ExportKind::Func,
                ExternalKind::Memory => ExportKind::Memory,
                ExternalKind::Global => ExportKind::Global,
                ExternalKind::Table => ExportKind::Table,
                _ => return Err("unexpected export kind".into()),
            };
            exports.export(name, kind, *idx);
        }
    }
    let mut module = wasm_encoder::Module::new();
    for (id, range) in &info.sections {
        if *id == 7 {
            module.section(&exports);
        } else {
            module.section(&RawSection {
                id: *id,
                data: &wasm[range.clone()],
            });
        }
    }
    Ok(module.finish())
}

/// Additions made to a module by [`rebuild`].
struct Extra {
    /// Replace every `ethereum.*` function import by a defined stub (same index).
    stubs: Vec<Function>,
    types: Vec<(Vec<EncTy>, Vec<EncTy>)>,
    globals: Vec<(GlobalType, ConstExpr)>,
    /// (type index, body), appended after all functions.
    funcs: Vec<(u32, Function)>,
    exports: Vec<(String, u32)>,
}

/// Section order of the binary format (data count before code).
const ORDER: [u8; 12] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11];

fn rebuild(wasm: &[u8], info: &Info, extra: Extra) -> Result<Vec<u8>, String> {
    let mut module = wasm_encoder::Module::new();
    let raw = |id: u8| {
        info.sections
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, r)| r.clone())
    };
    let reader_bytes = |id: u8| raw(id).map(|r| &wasm[r]);
    for id in ORDER {
        match id {
            1 => {
                let mut types = TypeSection::new();
                if let Some(bytes) = reader_bytes(1) {
                    let reader =
                        wasmparser::TypeSectionReader::new(wasmparser::BinaryReader::new(bytes, 0))
                            .map_err(|e| e.to_string())?;
                    RoundtripReencoder
                        .parse_type_section(&mut types, reader)
                        .map_err(|e| e.to_string())?;
                }
                for (p, r) in &extra.types {
                    types.ty().function(p.iter().copied(), r.iter().copied());
                }
                module.section(&types);
            }
            2 if !extra.stubs.is_empty() => {} // all imports become stubs
            3 => {
                let mut funcs = FunctionSection::new();
                if !extra.stubs.is_empty() {
                    for (_, _, t) in &info.imports {
                        funcs.function(*t);
                    }
                }
                for t in &info.defined {
                    funcs.function(*t);
                }
                for (t, _) in &extra.funcs {
                    funcs.function(*t);
                }
                module.section(&funcs);
            }
            6 => {
                let mut globals = GlobalSection::new();
                if let Some(bytes) = reader_bytes(6) {
                    let reader = wasmparser::GlobalSectionReader::new(
                        wasmparser::BinaryReader::new(bytes, 0),
                    )
                    .map_err(|e| e.to_string())?;
                    RoundtripReencoder
                        .parse_global_section(&mut globals, reader)
                        .map_err(|e| e.to_string())?;
                }
                for (ty, init) in &extra.globals {
                    globals.global(*ty, init);
                }
                if !globals.is_empty() {
                    module.section(&globals);
                }
            }
            7 => {
                let mut exports = ExportSection::new();
                for (name, f) in &extra.exports {
                    exports.export(name, ExportKind::Func, *f);
                }
                module.section(&exports);
            }
            10 => {
                let mut code = CodeSection::new();
                for stub in &extra.stubs {
                    code.function(stub);
                }
                for body in &info.bodies {
                    code.raw(&wasm[body.clone()]);
                }
                for (_, f) in &extra.funcs {
                    code.function(f);
                }
                module.section(&code);
            }
            id => {
                if let Some(bytes) = reader_bytes(id) {
                    module.section(&RawSection { id, data: bytes });
                }
            }
        }
    }
    Ok(module.finish())
}

fn enc(t: Ty) -> EncTy {
    match t {
        Ty::I32 => EncTy::I32,
        Ty::I64 => EncTy::I64,
        Ty::F32 => EncTy::F32,
        Ty::F64 => EncTy::F64,
    }
}

/// A kernel module whose only export `run()` calls `func(args)` and returns its result (floats
/// reinterpreted as integers, since wabt prints floats rounded). With `baseline`, `run` returns 0
/// without calling anything: the same parse, validation and instantiation, no work.
pub fn wabt_kernel(
    wasm: &[u8],
    func: &str,
    args: &[u64],
    baseline: bool,
) -> Result<Vec<u8>, String> {
    let info = analyze(wasm)?;
    if !info.imports.is_empty() {
        return Err("kernel imports functions".into());
    }
    let target = export_func(&info, func)?;
    let sig = export_sig(wasm, func)?;
    let [result] = sig.results[..] else {
        return Err("kernel must return one value".into());
    };
    let as_int = match result {
        Ty::F32 | Ty::I32 => Ty::I32,
        Ty::F64 | Ty::I64 => Ty::I64,
    };
    let mut body = Function::new([]);
    if baseline {
        body.instruction(&match as_int {
            Ty::I32 => Instruction::I32Const(0),
            _ => Instruction::I64Const(0),
        });
    } else {
        for (p, a) in sig.params.iter().zip(args) {
            body.instruction(&match p {
                Ty::I32 => Instruction::I32Const(*a as u32 as i32),
                Ty::I64 => Instruction::I64Const(*a as i64),
                Ty::F32 => Instruction::F32Const(f32::from_bits(*a as u32).into()),
                Ty::F64 => Instruction::F64Const(f64::from_bits(*a).into()),
            });
        }
        body.instruction(&Instruction::Call(target));
        match result {
            Ty::F32 => body.instruction(&Instruction::I32ReinterpretF32),
            Ty::F64 => body.instruction(&Instruction::I64ReinterpretF64),
            _ => &mut body,
        };
    }
    body.instruction(&Instruction::End);
    let t = info.types.len() as u32;
    let n = info.defined.len() as u32;
    let extra = Extra {
        stubs: vec![],
        types: vec![(vec![], vec![enc(as_int)])],
        globals: vec![],
        funcs: vec![(t, body)],
        exports: vec![("run".into(), n)],
    };
    rebuild(wasm, &info, extra)
}

/// An Ewasm contract for `wasm-interp`: the `ethereum` imports it uses become Wasm functions
/// (`useGas` a no-op, `getCallDataSize`/`callDataCopy` over `calldata` baked into the code,
/// `finish`/`revert` record an FNV-1a of their output and a status in globals and trap, like
/// a halt). Exports: `run()` calls `main`; `result() -> i64` is `status << 32 | hash`, where status
/// 1 = finish, 2 = revert, 0 = `main` returned (hash = FNV-1a of memory words). With `baseline`,
/// `run` does nothing and there is no `result`.
pub fn wabt_contract(wasm: &[u8], calldata: &[u8], baseline: bool) -> Result<Vec<u8>, String> {
    let info = analyze(wasm)?;
    if info.other_imports > 0 {
        return Err("contract imports non-functions".into());
    }
    let main = export_func(&info, "main")?;
    let t = info.types.len() as u32;
    let n = (info.imports.len() + info.defined.len()) as u32;
    let (fnv_bytes, fnv_words, run, result) = (n, n + 1, n + 2, n + 3);
    let (g_halt, g_out) = (info.globals, info.globals + 1);
    let mem8 = MemArg {
        offset: 0,
        align: 0,
        target: wasm_encoder::MemArgTarget::Memory(0),
        ordering: None,
    };
    let mem32 = MemArg { align: 2, ..mem8 };
    use Instruction as I;

    let mut stubs = Vec::new();
    for (module, field, _) in &info.imports {
        if module != "ethereum" {
            return Err(format!("import {module}.{field} not stubbed for wabt"));
        }
        let mut f = Function::new([]);
        match field.as_str() {
            "useGas" => {}
            "getCallDataSize" => {
                f.instruction(&I::I32Const(calldata.len() as i32));
            }
            "callDataCopy" => {
                // (resultOffset, dataOffset, length): byte i goes to res + i - off if i - off < len.
                for (i, b) in calldata.iter().enumerate() {
                    f.instruction(&I::I32Const(i as i32));
                    f.instruction(&I::LocalGet(1));
                    f.instruction(&I::I32Sub);
                    f.instruction(&I::LocalGet(2));
                    f.instruction(&I::I32LtU);
                    f.instruction(&I::If(wasm_encoder::BlockType::Empty));
                    f.instruction(&I::LocalGet(0));
                    f.instruction(&I::I32Const(i as i32));
                    f.instruction(&I::LocalGet(1));
                    f.instruction(&I::I32Sub);
                    f.instruction(&I::I32Add);
                    f.instruction(&I::I32Const(*b as i32));
                    f.instruction(&I::I32Store8(mem8));
                    f.instruction(&I::End);
                }
            }
            "finish" | "revert" => {
                f.instruction(&I::LocalGet(0));
                f.instruction(&I::LocalGet(1));
                f.instruction(&I::Call(fnv_bytes));
                f.instruction(&I::GlobalSet(g_out));
                f.instruction(&I::I32Const(if field == "finish" { 1 } else { 2 }));
                f.instruction(&I::GlobalSet(g_halt));
                f.instruction(&I::Unreachable);
            }
            other => return Err(format!("import ethereum.{other} not stubbed for wabt")),
        }
        f.instruction(&I::End);
        stubs.push(f);
    }

    // fnv_bytes(p, n) -> h
    let mut fb = Function::new([(2, EncTy::I32)]);
    for ins in [
        I::I32Const(0x811c9dc5u32 as i32),
        I::LocalSet(2),
        I::Block(wasm_encoder::BlockType::Empty),
        I::Loop(wasm_encoder::BlockType::Empty),
        I::LocalGet(3),
        I::LocalGet(1),
        I::I32GeU,
        I::BrIf(1),
        I::LocalGet(2),
        I::LocalGet(0),
        I::LocalGet(3),
        I::I32Add,
        I::I32Load8U(mem8),
        I::I32Xor,
        I::I32Const(0x0100_0193),
        I::I32Mul,
        I::LocalSet(2),
        I::LocalGet(3),
        I::I32Const(1),
        I::I32Add,
        I::LocalSet(3),
        I::Br(0),
        I::End,
        I::End,
        I::LocalGet(2),
        I::End,
    ] {
        fb.instruction(&ins);
    }
    // fnv_words() -> h over all of memory
    let mut fw = Function::new([(3, EncTy::I32)]); // h, i, n
    for ins in [
        I::MemorySize(0),
        I::I32Const(16),
        I::I32Shl,
        I::LocalSet(2),
        I::I32Const(0x811c9dc5u32 as i32),
        I::LocalSet(0),
        I::Block(wasm_encoder::BlockType::Empty),
        I::Loop(wasm_encoder::BlockType::Empty),
        I::LocalGet(1),
        I::LocalGet(2),
        I::I32GeU,
        I::BrIf(1),
        I::LocalGet(0),
        I::LocalGet(1),
        I::I32Load(mem32),
        I::I32Xor,
        I::I32Const(0x0100_0193),
        I::I32Mul,
        I::LocalSet(0),
        I::LocalGet(1),
        I::I32Const(4),
        I::I32Add,
        I::LocalSet(1),
        I::Br(0),
        I::End,
        I::End,
        I::LocalGet(0),
        I::End,
    ] {
        fw.instruction(&ins);
    }
    let mut fr = Function::new([]);
    if !baseline {
        fr.instruction(&I::Call(main));
    }
    fr.instruction(&I::End);
    let mut fres = Function::new([]);
    for ins in [
        I::GlobalGet(g_halt),
        I::I32Eqz,
        I::If(wasm_encoder::BlockType::Result(EncTy::I64)),
        I::Call(fnv_words),
        I::I64ExtendI32U,
        I::Else,
        I::GlobalGet(g_halt),
        I::I64ExtendI32U,
        I::I64Const(32),
        I::I64Shl,
        I::GlobalGet(g_out),
        I::I64ExtendI32U,
        I::I64Or,
        I::End,
        I::End,
    ] {
        fres.instruction(&ins);
    }
    let mut exports = vec![("run".to_string(), run)];
    if !baseline {
        exports.push(("result".to_string(), result));
    }
    let g = GlobalType {
        val_type: EncTy::I32,
        mutable: true,
        shared: false,
    };
    let extra = Extra {
        stubs,
        types: vec![
            (vec![EncTy::I32, EncTy::I32], vec![EncTy::I32]),
            (vec![], vec![EncTy::I32]),
            (vec![], vec![]),
            (vec![], vec![EncTy::I64]),
        ],
        globals: vec![(g, ConstExpr::i32_const(0)), (g, ConstExpr::i32_const(0))],
        funcs: vec![(t, fb), (t + 1, fw), (t + 2, fr), (t + 3, fres)],
        exports,
    };
    rebuild(wasm, &info, extra)
}
