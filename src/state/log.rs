//! Log records emitted by contracts.

use primitive_types::{H160, H256};
use rlp::{Encodable, RlpStream};

/// One log record: the emitting account, up to four topics and opaque data.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Log {
    /// The account that emitted the log.
    pub address: H160,
    /// The indexed topics, in order.
    pub topics: Vec<H256>,
    /// The unindexed data.
    pub data: Vec<u8>,
}

impl Encodable for Log {
    /// Receipt layout without bloom: `[address, [topic, ...], data]`.
    fn rlp_append(&self, s: &mut RlpStream) {
        s.begin_list(3);
        s.append(&self.address.as_bytes());
        s.begin_list(self.topics.len());
        for topic in &self.topics {
            s.append(&topic.as_bytes());
        }
        s.append(&self.data.as_slice());
    }
}
