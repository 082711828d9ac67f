//! Parsers for what the tools write: JSON with serde, logs with nom. None of
//! them panics on odd input; log parsers skip lines they do not know.

pub mod nextpnr;
pub mod yosys;
