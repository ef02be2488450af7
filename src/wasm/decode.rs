//! Decoding a body's operators straight into a vector.
//!
//! `OperatorsReader::read` returns each operator by value, and moving it out of the `Result`
//! copies it with wide loads that straddle the callee's narrower stores: a failed
//! store-to-load forward per operator, a sizable part of a validating walk. Visiting the
//! operator instead builds it in place in its vector, read afterwards field by field.

use wasmparser::{Operator, OperatorsReader, VisitOperator};

/// Decodes the next operator of `reader` and appends it to `ops`; returns it.
///
/// # Errors
/// When the bytes are malformed or end early.
#[inline(always)]
pub(crate) fn read_into<'v, 'a>(
    reader: &mut OperatorsReader<'a>,
    ops: &'v mut Vec<Operator<'a>>,
) -> wasmparser::Result<&'v Operator<'a>> {
    reader.visit_operator(&mut Append(ops))?;
    // `Append` pushed exactly one operator.
    Ok(ops.last().unwrap_or(&Operator::Nop))
}

/// Empties `ops`, the operators of a *validated* body, without visiting each to drop it: no
/// operator valid under this crate's features owns memory (those of exception handling and
/// stack switching do), so nothing leaks, and the operators are not read from memory again.
pub(crate) fn forget_all(ops: &mut Vec<Operator<'_>>) {
    // SAFETY: a length of 0 is within the capacity, and leaking elements is safe.
    unsafe { ops.set_len(0) };
}

/// A visitor appending each operator to its vector.
struct Append<'v, 'a>(&'v mut Vec<Operator<'a>>);

macro_rules! define_append {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(
            #[inline(always)]
            fn $visit(&mut self $($(, $arg: $argty)*)?) {
                self.0.push(Operator::$op $({ $($arg),* })?);
            }
        )*
    };
}

impl<'a> VisitOperator<'a> for Append<'_, 'a> {
    type Output = ();

    wasmparser::for_each_visit_operator!(define_append);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_operator_as_read_does() {
        let bytes = wat::parse_str(
            r#"(module (memory 1) (table 1 funcref)
                (func (param i32) (result i32)
                  (block $b (br_table $b $b (local.get 0)))
                  (i64.store offset=8 (i32.const 0) (i64.const -3))
                  (memory.fill (i32.const 0) (i32.const 1) (i32.const 2))
                  (drop (f64.const 1.5))
                  (local.get 0)))"#,
        )
        .unwrap();
        for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
            let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() else {
                continue;
            };
            let expected: Vec<_> = body
                .get_operators_reader()
                .unwrap()
                .into_iter()
                .collect::<Result<_, _>>()
                .unwrap();
            let mut reader = body.get_operators_reader().unwrap();
            let mut ops = Vec::new();
            while !reader.eof() {
                let last = read_into(&mut reader, &mut ops).unwrap().clone();
                assert_eq!(ops.last(), Some(&last));
            }
            assert_eq!(ops, expected);
        }
        let truncated = [0x00, 0x41]; // no locals, then i32.const without its immediate
        let body = wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(&truncated, 0));
        let mut reader = body.get_operators_reader().unwrap();
        assert!(read_into(&mut reader, &mut Vec::new()).is_err());
    }
}
