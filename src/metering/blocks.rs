//! Region costing of one function body (sentinel-rs, metering.md §3.2), kept apart from encoding.

use super::error::MeteringError;
use super::rules::{instruction_name, CostRules};
use wasmparser::Operator;

/// One metered region: `cost` is charged just before the instruction at index `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MeteredBlock {
    /// Index of the region's first instruction in the body's operator list.
    pub(crate) start: usize,
    /// Static gas of the region (at least 1).
    pub(crate) cost: u32,
}

/// Splits a body (operators with their byte offsets) into metered regions, ordered by `start`.
///
/// The function body and every `block`/`loop`/`if`/`else` open a region of initial cost 1 that
/// `end` (or `else`) closes; every other instruction, openers included, adds its cost to the
/// innermost open region.
pub(crate) fn metered_blocks(
    ops: &[(Operator<'_>, u64)],
    rules: &dyn CostRules,
) -> Result<Vec<MeteredBlock>, MeteringError> {
    let mut blocks = vec![MeteredBlock { start: 0, cost: 1 }];
    let mut open = vec![0];
    for (pos, (op, offset)) in ops.iter().enumerate() {
        let offset = *offset;
        match op {
            Operator::End => {
                open.pop();
            }
            Operator::Else => {
                open.pop();
                open.push(blocks.len());
                blocks.push(MeteredBlock {
                    start: pos + 1,
                    cost: 1,
                });
            }
            op => {
                let cost = rules.instruction_cost(op).ok_or_else(|| {
                    MeteringError::ForbiddenInstruction {
                        instruction: instruction_name(op),
                        offset,
                    }
                })?;
                let region = open.last().and_then(|i| blocks.get_mut(*i)).ok_or(
                    MeteringError::Malformed {
                        reason: "operators after the end of the function",
                        offset,
                    },
                )?;
                region.cost = region
                    .cost
                    .checked_add(cost)
                    .ok_or(MeteringError::RegionCostOverflow { offset })?;
                if matches!(
                    op,
                    Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. }
                ) {
                    open.push(blocks.len());
                    blocks.push(MeteredBlock {
                        start: pos + 1,
                        cost: 1,
                    });
                }
            }
        }
    }
    Ok(blocks)
}
