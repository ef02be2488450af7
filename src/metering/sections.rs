//! Section plumbing shared by both rewriting passes.

use wasm_encoder::reencode::{Error, Reencode};
use wasm_encoder::{Module, SectionId};
use wasmparser::{CustomSectionReader, KnownCustom};

/// Rank of a non-custom section in the order the binary format requires.
fn rank(id: SectionId) -> u8 {
    match id {
        SectionId::Custom => 0,
        SectionId::Type => 1,
        SectionId::Import => 2,
        SectionId::Function => 3,
        SectionId::Table => 4,
        SectionId::Memory => 5,
        SectionId::Tag => 6,
        SectionId::Global => 7,
        SectionId::Export => 8,
        SectionId::Start => 9,
        SectionId::Element => 10,
        SectionId::DataCount => 11,
        SectionId::Code => 12,
        SectionId::Data => 13,
    }
}

/// Whether a section hook placed before `next` (`None`: at the end) lies after where `section` belongs.
///
/// A pass that must add items to a section the input lacks emits a new one at the first hook for
/// which this holds.
pub(crate) fn is_past(next: Option<SectionId>, section: SectionId) -> bool {
    next.is_none_or(|next| rank(next) > rank(section))
}

/// Copies a custom section; the `name` section is re-indexed through `reencoder`, or dropped
/// whole if it does not decode (names are debug data, never a reason to reject a contract).
pub(crate) fn parse_custom_section<R: Reencode + ?Sized>(
    reencoder: &mut R,
    module: &mut Module,
    section: CustomSectionReader<'_>,
) -> Result<(), Error<R::Error>> {
    match section.as_known() {
        KnownCustom::Name(names) => {
            if let Ok(names) = reencoder.custom_name_section(names) {
                module.section(&names);
            }
        }
        _ => {
            module.section(&reencoder.custom_section(section)?);
        }
    }
    Ok(())
}
