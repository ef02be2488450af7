//! Fork names as ethereum/tests spells them, and which ones ewvm runs.

use std::fmt;
use std::str::FromStr;

/// A fork (hard fork rule set) named in `post`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fork {
    /// Frontier.
    Frontier,
    /// Homestead.
    Homestead,
    /// Tangerine Whistle (`EIP150`).
    Eip150,
    /// Spurious Dragon (`EIP158`).
    Eip158,
    /// Byzantium: the rules ewvm implements.
    Byzantium,
    /// Constantinople (with EIP-1283).
    Constantinople,
    /// Petersburg (`ConstantinopleFix`).
    Petersburg,
    /// Istanbul.
    Istanbul,
    /// Berlin.
    Berlin,
    /// London.
    London,
    /// Paris (`Merge`).
    Paris,
    /// Shanghai.
    Shanghai,
    /// Cancun.
    Cancun,
    /// Prague.
    Prague,
    /// Osaka.
    Osaka,
}

/// Names and aliases, canonical name first for each fork.
const NAMES: &[(&str, Fork)] = &[
    ("Frontier", Fork::Frontier),
    ("Homestead", Fork::Homestead),
    ("EIP150", Fork::Eip150),
    ("TangerineWhistle", Fork::Eip150),
    ("EIP158", Fork::Eip158),
    ("SpuriousDragon", Fork::Eip158),
    ("Byzantium", Fork::Byzantium),
    ("Constantinople", Fork::Constantinople),
    ("ConstantinopleFix", Fork::Petersburg),
    ("Petersburg", Fork::Petersburg),
    ("Istanbul", Fork::Istanbul),
    ("Berlin", Fork::Berlin),
    ("London", Fork::London),
    ("Paris", Fork::Paris),
    ("Merge", Fork::Paris),
    ("Shanghai", Fork::Shanghai),
    ("Cancun", Fork::Cancun),
    ("Prague", Fork::Prague),
    ("Osaka", Fork::Osaka),
];

impl Fork {
    /// Whether ewvm implements this fork's rules (only Byzantium, the Ewasm testnet's).
    pub fn is_supported(self) -> bool {
        self == Fork::Byzantium
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("?", |(name, _)| name)
    }
}

impl fmt::Display for Fork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fork name ewvm does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fork {0:?}")]
pub struct UnknownFork(pub String);

impl FromStr for Fork {
    type Err = UnknownFork;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NAMES
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, fork)| *fork)
            .ok_or_else(|| UnknownFork(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_resolve_and_names_round_trip() {
        assert_eq!("ConstantinopleFix".parse(), Ok(Fork::Petersburg));
        assert_eq!("TangerineWhistle".parse(), Ok(Fork::Eip150));
        for (_, fork) in NAMES {
            assert_eq!(fork.name().parse(), Ok(*fork));
        }
        assert!("Byzantium2".parse::<Fork>().is_err());
        assert!(Fork::Byzantium.is_supported() && !Fork::Constantinople.is_supported());
    }
}
