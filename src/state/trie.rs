//! Merkle-Patricia trie roots, computed in one pass over sorted keys.
//!
//! Ethereum's trie (Yellow Paper appendix D): keys are split into nibbles; a node is a leaf
//! `[hp(path, leaf), value]`, an extension `[hp(path, ext), child]` or a 17-slot branch
//! `[child_0, ..., child_15, value]`. A child is embedded as-is when its RLP is shorter than
//! 32 bytes and referenced by `keccak256(rlp(child))` otherwise. The root is always hashed.
//!
//! Nothing is stored: the root is a pure function of the final key/value set, built
//! recursively over the sorted keys (the recursion is at most as deep as the longest key
//! has nibbles, 64 for state and storage tries).

use std::collections::BTreeMap;

use primitive_types::H256;
use rlp::RlpStream;

use super::hash::keccak256;

/// A key as nibbles (values 0..=15) with its value; sorted by key.
type Leaf<'a> = (Vec<u8>, &'a [u8]);

/// Root of the trie holding `items`.
///
/// A later item replaces an earlier one with the same key, and an empty value means the key is
/// absent (as inserting an empty value into an Ethereum trie deletes the key). So a sequence of
/// updates and deletions (`(key, b"")`) can be fed in order.
pub fn trie_root<I, K, V>(items: I) -> H256
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<[u8]>,
    V: AsRef<[u8]>,
{
    let mut map: BTreeMap<Vec<u8>, V> = BTreeMap::new();
    for (key, value) in items {
        map.insert(key.as_ref().to_vec(), value);
    }
    // Byte order of keys equals nibble order, so the leaves come out sorted.
    let leaves: Vec<Leaf<'_>> = map
        .iter()
        .filter(|(_, value)| !value.as_ref().is_empty())
        .map(|(key, value)| (to_nibbles(key), value.as_ref()))
        .collect();
    keccak256(encode_node(&leaves, 0))
}

/// Root of the "secure" trie holding `items`: every key is replaced by its Keccak-256 hash
/// (the form of the account and storage tries). Same replacement and deletion rules as
/// [`trie_root`].
pub fn sec_trie_root<I, K, V>(items: I) -> H256
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<[u8]>,
    V: AsRef<[u8]>,
{
    trie_root(
        items
            .into_iter()
            .map(|(key, value)| (keccak256(key), value)),
    )
}

/// Splits bytes into nibbles, high nibble first.
fn to_nibbles(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().flat_map(|b| [b >> 4, b & 0x0f]).collect()
}

/// The part of a nibble key from `depth` on (empty if the key is shorter).
fn tail(key: &[u8], depth: usize) -> &[u8] {
    key.get(depth..).unwrap_or_default()
}

/// Hex-prefix encoding of a nibble path (Yellow Paper appendix C): the flag nibble is
/// 0/1 for an extension and 2/3 for a leaf, odd-length paths put their first nibble beside it.
pub(super) fn hex_prefix(nibbles: &[u8], leaf: bool) -> Vec<u8> {
    let flag = if leaf { 0x20 } else { 0x00 };
    let mut out = Vec::with_capacity(nibbles.len() / 2 + 1);
    let rest = match nibbles.split_first() {
        Some((first, rest)) if nibbles.len() % 2 == 1 => {
            out.push(flag | 0x10 | first);
            rest
        }
        _ => {
            out.push(flag);
            nibbles
        }
    };
    out.extend(rest.chunks_exact(2).map(|pair| (pair[0] << 4) | pair[1]));
    out
}

/// Number of leading nibbles `a` and `b` share.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// RLP of the node holding `leaves` (sorted, distinct keys that agree on their first `depth`
/// nibbles).
fn encode_node(leaves: &[Leaf<'_>], depth: usize) -> Vec<u8> {
    let (first, last) = match leaves {
        [] => return rlp::NULL_RLP.to_vec(),
        [(key, value)] => {
            let mut s = RlpStream::new_list(2);
            s.append(&hex_prefix(tail(key, depth), true).as_slice());
            s.append(value);
            return s.out().to_vec();
        }
        [(first, _), .., (last, _)] => (first, last),
    };
    // Sorted keys: the prefix shared by the first and the last is shared by all.
    let shared = common_prefix(tail(first, depth), tail(last, depth));
    if shared > 0 {
        let mut s = RlpStream::new_list(2);
        let path = tail(first, depth).get(..shared).unwrap_or_default();
        s.append(&hex_prefix(path, false).as_slice());
        append_child(&mut s, &encode_node(leaves, depth + shared));
        return s.out().to_vec();
    }
    encode_branch(leaves, depth)
}

/// RLP of a branch node at `depth` over `leaves` (at least two, with no common prefix).
fn encode_branch(leaves: &[Leaf<'_>], depth: usize) -> Vec<u8> {
    let mut rest = leaves;
    // Only one key can end here, and it sorts first.
    let mut value = None;
    if let Some(((key, v), others)) = rest.split_first() {
        if key.len() == depth {
            value = Some(*v);
            rest = others;
        }
    }
    let mut s = RlpStream::new_list(17);
    for nibble in 0..16u8 {
        let n = rest
            .iter()
            .take_while(|(key, _)| key.get(depth) == Some(&nibble))
            .count();
        let (group, others) = rest.split_at(n);
        rest = others;
        if group.is_empty() {
            s.append_empty_data();
        } else {
            append_child(&mut s, &encode_node(group, depth + 1));
        }
    }
    match value {
        Some(v) => s.append(&v),
        None => s.append_empty_data(),
    };
    s.out().to_vec()
}

/// Appends a child reference: the node itself if its RLP is under 32 bytes, else its hash.
fn append_child(s: &mut RlpStream, node: &[u8]) {
    if node.len() < 32 {
        s.append_raw(node, 1);
    } else {
        s.append(&keccak256(node).as_bytes());
    }
}
