//! The options an EVMC host can set with `set_option` (names and values as Hera's).
//!
//! | name | values | default | effect |
//! |---|---|---|---|
//! | `metering` | `true`, `false` | `false` | [`Metering::Injected`] or [`Metering::Off`] |
//! | `debug` | `true`, `false` | `false` | grant the `debug` module, printing to stderr |
//! | `evm1mode` | `reject`, `fallback` | `reject` | what non-Wasm code gives ([`Evm1Mode`]) |
//!
//! An unknown name is `EVMC_SET_OPTION_INVALID_NAME` (checked first, so whatever the value);
//! a known name with another value (or none) is `EVMC_SET_OPTION_INVALID_VALUE`.

use evmc_sys as ffi;

use crate::ewasm::{DebugOutput, Metering, Settings};

/// What `execute` does with code that does not start with the Wasm preamble (EVM bytecode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Evm1Mode {
    /// `EVMC_FAILURE` with no gas left: ewvm runs only Ewasm, and the code is invalid for it
    /// (Hera's default, eei.md §7).
    #[default]
    Reject,
    /// `EVMC_REJECTED`: the VM declines the code, so a client with several VMs can hand it to an
    /// EVM (Hera's `evm1mode=fallback`).
    Fallback,
}

/// The settings of an EVMC VM instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    /// Settings of the underlying [`Vm`](crate::ewasm::Vm).
    pub settings: Settings,
    /// Handling of non-Wasm code.
    pub evm1mode: Evm1Mode,
}

/// Why `set_option` refused an option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    /// No option has this name.
    #[error("unknown option `{0}`")]
    InvalidName(String),
    /// The option exists but does not take this value (`None`: no value, or not UTF-8).
    #[error("invalid value {value:?} for option `{name}`")]
    InvalidValue {
        /// The option.
        name: &'static str,
        /// The refused value.
        value: Option<String>,
    },
}

impl OptionError {
    /// The EVMC result code for this error.
    pub fn result_code(&self) -> ffi::evmc_set_option_result {
        match self {
            OptionError::InvalidName(_) => {
                ffi::evmc_set_option_result::EVMC_SET_OPTION_INVALID_NAME
            }
            OptionError::InvalidValue { .. } => {
                ffi::evmc_set_option_result::EVMC_SET_OPTION_INVALID_VALUE
            }
        }
    }
}

/// The value of `value` among `choices` for option `name`.
fn choose<T: Copy>(
    name: &'static str,
    value: Option<&str>,
    choices: &[(&str, T)],
) -> Result<T, OptionError> {
    choices
        .iter()
        .find(|(text, _)| Some(*text) == value)
        .map(|(_, choice)| *choice)
        .ok_or_else(|| OptionError::InvalidValue {
            name,
            value: value.map(str::to_owned),
        })
}

impl Options {
    /// Sets option `name` to `value` (`None` when the host passed none or non-UTF-8 text).
    ///
    /// # Errors
    /// [`OptionError::InvalidName`] for an unknown name, [`OptionError::InvalidValue`] for a
    /// value the option does not take; `self` is unchanged then.
    pub fn set(&mut self, name: &str, value: Option<&str>) -> Result<(), OptionError> {
        match name {
            "metering" => {
                let choices = [("true", Metering::Injected), ("false", Metering::Off)];
                self.settings.metering = choose("metering", value, &choices)?;
            }
            "debug" => {
                let choices = [("true", DebugOutput::Stderr), ("false", DebugOutput::Off)];
                self.settings.debug = choose("debug", value, &choices)?;
            }
            "evm1mode" => {
                let choices = [
                    ("reject", Evm1Mode::Reject),
                    ("fallback", Evm1Mode::Fallback),
                ];
                self.evm1mode = choose("evm1mode", value, &choices)?;
            }
            _ => return Err(OptionError::InvalidName(name.to_owned())),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_refuse() {
        let mut options = Options::default();
        assert_eq!(options.settings, Settings::default());
        options.set("metering", Some("true")).unwrap();
        options.set("debug", Some("true")).unwrap();
        options.set("evm1mode", Some("fallback")).unwrap();
        let set = options;
        assert_eq!(set.settings.metering, Metering::Injected);
        assert_eq!(set.settings.debug, DebugOutput::Stderr);
        assert_eq!(set.evm1mode, Evm1Mode::Fallback);
        let err = options.set("metering", Some("1")).unwrap_err();
        assert_eq!(
            err.result_code(),
            ffi::evmc_set_option_result::EVMC_SET_OPTION_INVALID_VALUE
        );
        assert!(options.set("debug", None).is_err());
        let err = options.set("engine", None).unwrap_err();
        assert_eq!(err, OptionError::InvalidName("engine".into()));
        assert_eq!(options, set);
    }
}
