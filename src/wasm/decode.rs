//! Decoding and validating a body's operators straight into a vector.
//!
//! `OperatorsReader::read` returns each operator by value, and moving it out of the `Result`
//! copies it with wide loads that straddle the callee's narrower stores: a failed
//! store-to-load forward per operator, a sizable part of a validating walk. Visiting the
//! operator instead builds it in place in its vector, and hands its immediates to the
//! validator's visit method directly (`FuncValidator::op` would dispatch on it once more).

use wasmparser::{FuncValidator, Operator, OperatorsReader, VisitOperator, WasmModuleResources};

/// Decodes the next operator of `reader`, validates it with `validator` and appends it to
/// `ops`; returns it. As `reader.read()` then `validator.op(offset, &op)`.
///
/// # Errors
/// When the bytes are malformed or end early, or the operator is invalid.
#[inline(always)]
pub(crate) fn read_validated<'v, 'a, R: WasmModuleResources>(
    reader: &mut OperatorsReader<'a>,
    validator: &mut FuncValidator<R>,
    ops: &'v mut Vec<Operator<'a>>,
) -> wasmparser::Result<&'v Operator<'a>> {
    let offset = reader.original_position();
    let mut visitor = AppendValidated {
        ops,
        validator,
        offset,
    };
    reader.visit_operator(&mut visitor)??;
    // The visit pushed exactly one operator.
    Ok(visitor.ops.last().unwrap_or(&Operator::Nop))
}

/// Empties `ops`, the operators of a *validated* body, without visiting each to drop it: no
/// operator valid under this crate's features owns memory (those of exception handling and
/// stack switching do, and a `select` with other than one type, which is never valid), so
/// nothing leaks, and the operators are not read from memory again.
pub(crate) fn forget_all(ops: &mut Vec<Operator<'_>>) {
    // SAFETY: a length of 0 is within the capacity, and leaking elements is safe.
    unsafe { ops.set_len(0) };
}

/// A visitor appending each operator to its vector, then validating it.
struct AppendValidated<'v, 'f, 'a, R> {
    ops: &'v mut Vec<Operator<'a>>,
    validator: &'f mut FuncValidator<R>,
    /// The operator's offset, for the validator's errors.
    offset: u64,
}

macro_rules! define_append_validated {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(
            #[inline(always)]
            fn $visit(&mut self $($(, $arg: $argty)*)?) -> wasmparser::Result<()> {
                self.ops.push(Operator::$op $({ $($arg: $arg.clone()),* })?);
                self.validator.visitor(self.offset).$visit($($($arg),*)?)
            }
        )*
    };
}

#[allow(clippy::clone_on_copy)]
impl<'a, R: WasmModuleResources> VisitOperator<'a> for AppendValidated<'_, '_, 'a, R> {
    type Output = wasmparser::Result<()>;

    wasmparser::for_each_visit_operator!(define_append_validated);
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmparser::{FuncValidatorAllocations, Parser, ValidPayload, Validator};

    /// The operators of every body of `wat` (or the first error), read and validated by
    /// [`read_validated`] if `ours`, else by `read` then `FuncValidator::op`.
    fn walk(wat: &str, ours: bool) -> Result<Vec<String>, String> {
        let bytes = wat::parse_str(wat).unwrap();
        let mut validator = Validator::new();
        let mut out = Vec::new();
        let e = |e: wasmparser::BinaryReaderError| e.to_string();
        for payload in Parser::new(0).parse_all(&bytes) {
            let payload = payload.map_err(e)?;
            let ValidPayload::Func(func, body) = validator.payload(&payload).map_err(e)? else {
                continue;
            };
            let mut fv = func.into_validator(FuncValidatorAllocations::default());
            let mut reader = body.get_operators_reader().map_err(e)?;
            let mut ops = Vec::new();
            while !reader.eof() {
                if ours {
                    let op = read_validated(&mut reader, &mut fv, &mut ops).map_err(e)?;
                    out.push(format!("{op:?}"));
                } else {
                    let offset = reader.original_position();
                    let op = reader.read().map_err(e)?;
                    fv.op(offset, &op).map_err(e)?;
                    out.push(format!("{op:?}"));
                    ops.push(op);
                }
            }
            reader.finish().map_err(e)?;
        }
        Ok(out)
    }

    #[test]
    fn reads_and_validates_as_read_then_op_do() {
        let valid = r#"(module (memory 1) (table 1 funcref)
            (func (param i32) (result i32)
              (block $b (br_table $b $b (local.get 0)))
              (i64.store offset=8 (i32.const 0) (i64.const -3))
              (memory.fill (i32.const 0) (i32.const 1) (i32.const 2))
              (drop (f64.const 1.5))
              (local.get 0)))"#;
        let ops = walk(valid, true);
        assert_eq!(ops.as_ref().map(Vec::len), Ok(15));
        assert_eq!(ops, walk(valid, false));
        let invalid = "(module (func (result i32) (i64.const 1)))";
        let error = walk(invalid, true);
        assert!(
            error.as_ref().is_err_and(|e| e.contains("type mismatch")),
            "{error:?}"
        );
        assert_eq!(error, walk(invalid, false));
    }

    #[test]
    fn a_truncated_operator_is_an_error() {
        let bytes = wat::parse_str("(module (func))").unwrap();
        let mut validator = Validator::new();
        let mut bodies = 0;
        for payload in Parser::new(0).parse_all(&bytes) {
            if let ValidPayload::Func(func, _) = validator.payload(&payload.unwrap()).unwrap() {
                bodies += 1;
                let mut fv = func.into_validator(FuncValidatorAllocations::default());
                let truncated = [0x00, 0x41]; // no locals, then i32.const without its immediate
                let reader = wasmparser::BinaryReader::new(&truncated, 0);
                let body = wasmparser::FunctionBody::new(reader);
                let mut reader = body.get_operators_reader().unwrap();
                let mut ops = Vec::new();
                assert!(read_validated(&mut reader, &mut fv, &mut ops).is_err());
                assert!(ops.is_empty());
            }
        }
        assert_eq!(bodies, 1);
    }
}
