//! Lenient deserializers for the quantities, byte strings, addresses and hashes of
//! ethereum/tests JSON: `0x` hex (leading zeros, upper case, `"0x"` and `""` allowed), plain
//! decimal for quantities, and JSON numbers where a number is natural.

use std::fmt;

use primitive_types::{H160, H256, U256};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// A 256-bit quantity: `0x` hex, decimal, `""`/`"0x"` (zero) or a JSON number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(pub U256);

/// A byte string in hex, with or without `0x`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HexBytes(pub Vec<u8>);

/// A 20-byte address in hex, with or without `0x`, any case.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address(pub H160);

/// A 32-byte hash in hex, with or without `0x`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hash(pub H256);

/// Parses a quantity: `0x` hex, decimal, or empty (zero).
///
/// # Errors
/// A message naming the text if it is not a number below 2^256.
pub fn parse_quantity(text: &str) -> Result<U256, String> {
    let text = text.trim();
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some("") => Ok(U256::zero()),
        Some(digits) => U256::from_str_radix(digits, 16).map_err(|e| e.to_string()),
        None if text.is_empty() => Ok(U256::zero()),
        None => U256::from_dec_str(text).map_err(|e| format!("{e:?}")),
    };
    parsed.map_err(|e| format!("invalid quantity {text:?}: {e}"))
}

/// Parses hex bytes, with or without `0x`.
///
/// # Errors
/// A message naming the text if it is not hex with an even number of digits.
pub fn parse_bytes(text: &str) -> Result<Vec<u8>, String> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    hex::decode(digits).map_err(|e| format!("invalid hex {}: {e}", abbreviate(text)))
}

/// Parses exactly `N` hex bytes.
fn parse_fixed<const N: usize>(text: &str) -> Result<[u8; N], String> {
    let bytes = parse_bytes(text)?;
    <[u8; N]>::try_from(bytes.as_slice())
        .map_err(|_| format!("expected {N} bytes, got {}: {text:?}", bytes.len()))
}

/// At most 40 characters of `text`, for error messages about huge code strings.
fn abbreviate(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((end, _)) => format!("{:?}…", &text[..end]),
        None => format!("{text:?}"),
    }
}

/// A visitor taking a string through `parse`, and (if `numbers`) a JSON integer.
struct TextVisitor<T> {
    expecting: &'static str,
    parse: fn(&str) -> Result<T, String>,
    from_u64: Option<fn(u64) -> T>,
}

impl<T> Visitor<'_> for TextVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.parse)(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        match self.from_u64 {
            Some(from) => Ok(from(v)),
            None => Err(E::invalid_type(de::Unexpected::Unsigned(v), &self)),
        }
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor {
            expecting: "a hex or decimal quantity",
            parse: |s| parse_quantity(s).map(Quantity),
            from_u64: Some(|v| Quantity(U256::from(v))),
        })
    }
}

impl<'de> Deserialize<'de> for HexBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor {
            expecting: "a hex byte string",
            parse: |s| parse_bytes(s).map(HexBytes),
            from_u64: None,
        })
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor {
            expecting: "a 20-byte hex address",
            parse: |s| parse_fixed::<20>(s).map(|b| Address(H160(b))),
            from_u64: None,
        })
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor {
            expecting: "a 32-byte hex hash",
            parse: |s| parse_fixed::<32>(s).map(|b| Hash(H256(b))),
            from_u64: None,
        })
    }
}

/// Deserializes a transaction's `to`: an address, or `""` for a creation.
///
/// # Errors
/// The deserializer's error for anything else.
pub fn deserialize_to<'de, D: Deserializer<'de>>(d: D) -> Result<Option<H160>, D::Error> {
    d.deserialize_str(TextVisitor {
        expecting: "a 20-byte hex address or \"\" for a creation",
        parse: |s| match s.trim() {
            "" | "0x" => Ok(None),
            s => parse_fixed::<20>(s).map(|b| Some(H160(b))),
        },
        from_u64: None,
    })
}

/// Deserializes account code: hex bytes (`0x`-prefixed, or only hex digits), or else WAT text
/// assembled with the `wat` crate.
///
/// # Errors
/// The deserializer's error for bad hex or WAT that does not assemble.
pub fn deserialize_code<'de, D: Deserializer<'de>>(d: D) -> Result<HexBytes, D::Error> {
    d.deserialize_str(TextVisitor {
        expecting: "hex code or WAT text",
        parse: |s| match s.starts_with("0x") || s.bytes().all(|b| b.is_ascii_hexdigit()) {
            true => parse_bytes(s).map(HexBytes),
            false => wat::parse_str(s)
                .map(HexBytes)
                .map_err(|e| format!("invalid WAT: {e}")),
        },
        from_u64: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_lenient() {
        for (text, value) in [
            ("0x04", 4u64),
            ("0x", 0),
            ("", 0),
            ("0X1f", 31),
            ("100000000000", 100_000_000_000),
            ("0x020000", 0x20000),
        ] {
            assert_eq!(parse_quantity(text), Ok(U256::from(value)), "{text}");
        }
        assert!(parse_quantity("0xzz").is_err());
        assert!(parse_quantity("12a").is_err());
    }

    #[test]
    fn addresses_accept_missing_prefix_and_upper_case() {
        let a: Address =
            serde_json::from_str("\"A94F5374FCE5EDBC8E2A8697C15331677E6EBF0B\"").unwrap();
        let b: Address =
            serde_json::from_str("\"0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b\"").unwrap();
        assert_eq!(a, b);
        assert!(serde_json::from_str::<Address>("\"0xa94f\"").is_err());
    }

    #[test]
    fn bad_hex_is_an_error_not_a_panic() {
        let err = serde_json::from_str::<HexBytes>("\"0x123\"").unwrap_err();
        assert!(err.to_string().contains("invalid hex"), "{err}");
    }

    #[test]
    fn code_is_hex_or_wat() {
        let code = |json: &str| {
            deserialize_code(&mut serde_json::Deserializer::from_str(json)).map(|c| c.0)
        };
        assert_eq!(code("\"0x0061\"").unwrap(), vec![0, 0x61]);
        assert_eq!(
            code("\";; empty\\n(module)\"").unwrap(),
            b"\0asm\x01\0\0\0".to_vec()
        );
        assert!(code("\"(module (func $f (call $g)))\"")
            .unwrap_err()
            .to_string()
            .contains("invalid WAT"));
    }
}
