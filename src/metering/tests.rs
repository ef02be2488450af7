//! Unit tests of the metering rewriter.
