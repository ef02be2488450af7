//! Unit tests of the state module, with vectors built by hand.

use std::collections::BTreeMap;

use primitive_types::{H160, H256, U256};

use super::trie::hex_prefix;
use super::*;

fn addr(byte: u8) -> H160 {
    H160::repeat_byte(byte)
}

fn word(value: u64) -> H256 {
    H256::from_low_u64_be(value)
}

fn hex(text: &str) -> Vec<u8> {
    hex::decode(text).expect("valid hex in test")
}

// ----- Hashes -----

#[test]
fn empty_hash_constants_match_keccak() {
    assert_eq!(EMPTY_ROOT, keccak256([0x80]));
    assert_eq!(EMPTY_CODE_HASH, keccak256([]));
    assert_eq!(EMPTY_LOGS_HASH, keccak256([0xc0]));
}

#[test]
fn create_address_of_the_usual_sender() {
    let sender: H160 = "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b"
        .parse()
        .unwrap();
    let expected: H160 = "0x6295ee1b4f6dd65047762f924ecd367c17eabf8f"
        .parse()
        .unwrap();
    assert_eq!(create_address(sender, 0), expected);
    assert_ne!(create_address(sender, 1), expected);
}

// ----- Trie -----

#[test]
fn hex_prefix_encoding() {
    // The examples of the Yellow Paper / Ethereum wiki.
    assert_eq!(hex_prefix(&[1, 2, 3, 4, 5], false), hex("112345"));
    assert_eq!(hex_prefix(&[0, 1, 2, 3, 4, 5], false), hex("00012345"));
    assert_eq!(hex_prefix(&[0, 0xf, 1, 0xc, 0xb, 8], true), hex("200f1cb8"));
    assert_eq!(hex_prefix(&[0xf, 1, 0xc, 0xb, 8], true), hex("3f1cb8"));
    assert_eq!(hex_prefix(&[], true), hex("20"));
    assert_eq!(hex_prefix(&[], false), hex("00"));
}

#[test]
fn empty_trie_root() {
    assert_eq!(trie_root(Vec::<(Vec<u8>, Vec<u8>)>::new()), EMPTY_ROOT);
    assert_eq!(sec_trie_root(Vec::<(Vec<u8>, Vec<u8>)>::new()), EMPTY_ROOT);
    // Empty values are absent keys.
    assert_eq!(trie_root([(b"a".to_vec(), Vec::new())]), EMPTY_ROOT);
}

#[test]
fn single_leaf_root_is_hash_of_leaf() {
    // Key "A" = nibbles [4, 1], leaf path hp = 0x20 0x41; value 50 x 'a'.
    let value = vec![b'a'; 50];
    let mut node = vec![0xf6, 0x82, 0x20, 0x41, 0xb2];
    node.extend_from_slice(&value);
    assert_eq!(node.len(), 55);
    assert_eq!(trie_root([(b"A".to_vec(), value)]), keccak256(&node));
}

#[test]
fn short_nodes_are_embedded() {
    // Keys 0x01, 0x02 share the nibble 0: extension [hp([0]) = 0x10, branch];
    // the branch holds two 3-byte leaves in slots 1 and 2, is 22 bytes, so it is embedded.
    let items = [(vec![0x01], b"a".to_vec()), (vec![0x02], b"b".to_vec())];
    let mut branch = vec![0xd5, 0x80, 0xc2, 0x20, b'a', 0xc2, 0x20, b'b'];
    branch.extend_from_slice(&[0x80; 14]);
    assert_eq!(branch.len(), 22);
    let mut root_node = vec![0xd7, 0x10];
    root_node.extend_from_slice(&branch);
    assert_eq!(trie_root(items), keccak256(&root_node));
}

#[test]
fn long_nodes_are_hashed() {
    // Leaf for key 0x01 holds 40 bytes, so its RLP (43 bytes) is referenced by hash.
    let long = vec![b'x'; 40];
    let mut leaf = vec![0xea, 0x20, 0xa8];
    leaf.extend_from_slice(&long);
    assert_eq!(leaf.len(), 43);
    let mut branch_payload = vec![0x80, 0xa0];
    branch_payload.extend_from_slice(keccak256(&leaf).as_bytes());
    branch_payload.extend_from_slice(&[0xc2, 0x20, b'b']);
    branch_payload.extend_from_slice(&[0x80; 14]);
    assert_eq!(branch_payload.len(), 51);
    let mut branch = vec![0xf3];
    branch.extend_from_slice(&branch_payload);
    // Branch RLP is 52 bytes, hashed under the extension [0x10, hash].
    let mut root_node = vec![0xe2, 0x10, 0xa0];
    root_node.extend_from_slice(keccak256(&branch).as_bytes());
    let items = [(vec![0x01], long), (vec![0x02], b"b".to_vec())];
    assert_eq!(trie_root(items), keccak256(&root_node));
}

#[test]
fn branch_with_value_for_a_key_that_ends_there() {
    // Keys 0x12 and 0x1234: extension [hp([1, 2]) = 0x00 0x12, branch]; the branch holds the
    // leaf [hp([4]) = 0x34, "y"] in slot 3 and the short key's value "x".
    let mut branch = vec![0xd3, 0x80, 0x80, 0x80, 0xc2, 0x34, b'y'];
    branch.extend_from_slice(&[0x80; 12]);
    branch.push(b'x');
    assert_eq!(branch.len(), 20);
    let mut root_node = vec![0xd7, 0x82, 0x00, 0x12];
    root_node.extend_from_slice(&branch);
    let items = [
        (vec![0x12], b"x".to_vec()),
        (vec![0x12, 0x34], b"y".to_vec()),
    ];
    assert_eq!(trie_root(items), keccak256(&root_node));
}

#[test]
fn trie_root_ignores_order_and_keeps_last_write() {
    let a = [
        (b"do".to_vec(), b"verb".to_vec()),
        (b"dog".to_vec(), b"puppy".to_vec()),
        (b"doge".to_vec(), b"coin".to_vec()),
    ];
    let mut reversed = a.clone();
    reversed.reverse();
    assert_eq!(trie_root(a.clone()), trie_root(reversed));
    let mut overwritten = a.to_vec();
    overwritten.insert(0, (b"dog".to_vec(), b"kitten".to_vec()));
    assert_eq!(trie_root(a.clone()), trie_root(overwritten.clone()));
    overwritten.push((b"horse".to_vec(), b"stallion".to_vec()));
    overwritten.push((b"horse".to_vec(), Vec::new()));
    assert_eq!(trie_root(a), trie_root(overwritten));
}

#[test]
fn secure_trie_hashes_keys() {
    let items = [
        (b"key".to_vec(), b"value".to_vec()),
        (b"other".to_vec(), b"thing".to_vec()),
    ];
    let hashed: Vec<_> = items
        .iter()
        .map(|(k, v)| (keccak256(k), v.clone()))
        .collect();
    assert_eq!(sec_trie_root(items), trie_root(hashed));
}

// ----- Accounts, roots and logs -----

#[test]
fn account_emptiness_per_eip161() {
    let mut account = Account::default();
    assert!(account.is_empty());
    account.storage.insert(word(1), word(2));
    assert!(account.is_empty(), "storage does not count");
    assert!(!Account::with_balance(U256::one()).is_empty());
    assert!(!Account {
        nonce: 1,
        ..Account::default()
    }
    .is_empty());
    assert!(!Account {
        code: Code::new(vec![0]),
        ..Account::default()
    }
    .is_empty());
    assert_eq!(Account::default().code_hash(), EMPTY_CODE_HASH);
    assert_eq!(Code::new(Vec::new()), Code::empty());
}

#[test]
fn account_rlp_layout() {
    let account = Account {
        nonce: 1,
        balance: U256::from(0x05f4_46a7u64),
        ..Account::default()
    };
    let mut expected = hex("f848018405f446a7a0");
    expected.extend_from_slice(EMPTY_ROOT.as_bytes());
    expected.push(0xa0);
    expected.extend_from_slice(EMPTY_CODE_HASH.as_bytes());
    assert_eq!(account_rlp(&account), expected);
    // Zero nonce and balance are empty strings.
    let mut empty = hex("f8448080a0");
    empty.extend_from_slice(EMPTY_ROOT.as_bytes());
    empty.push(0xa0);
    empty.extend_from_slice(EMPTY_CODE_HASH.as_bytes());
    assert_eq!(account_rlp(&Account::default()), empty);
}

#[test]
fn storage_root_encodes_values_as_integers_and_skips_zero() {
    let mut storage = BTreeMap::new();
    storage.insert(word(1), word(0x2a));
    storage.insert(word(2), word(0x0100));
    let expected = trie_root([
        (keccak256(word(1)), vec![0x2a]),
        (keccak256(word(2)), vec![0x82, 0x01, 0x00]),
    ]);
    assert_eq!(storage_root(&storage), expected);
    storage.insert(word(3), H256::zero());
    assert_eq!(storage_root(&storage), expected);
    assert_eq!(storage_root(&BTreeMap::new()), EMPTY_ROOT);
}

#[test]
fn logs_hash_layout() {
    assert_eq!(logs_hash(&[]), EMPTY_LOGS_HASH);
    let log = Log {
        address: addr(0x11),
        topics: vec![word(7)],
        data: b"hi".to_vec(),
    };
    let mut inner = vec![0xf8, 0x3a, 0x94];
    inner.extend_from_slice(log.address.as_bytes());
    inner.extend_from_slice(&[0xe1, 0xa0]);
    inner.extend_from_slice(word(7).as_bytes());
    inner.extend_from_slice(&[0x82, b'h', b'i']);
    let mut list = vec![0xf8, 0x3c];
    list.extend_from_slice(&inner);
    assert_eq!(logs_hash(&[log]), keccak256(&list));
}

#[test]
fn state_root_is_independent_of_insertion_order() {
    let accounts = [
        (addr(3), Account::with_balance(U256::from(3))),
        (
            addr(1),
            Account {
                nonce: 9,
                ..Account::default()
            },
        ),
        (
            addr(2),
            Account {
                code: Code::new(vec![0, 0x61, 0x73, 0x6d]),
                ..Account::default()
            },
        ),
    ];
    let forward: WorldState = accounts.clone().into_iter().collect();
    let backward: WorldState = accounts.clone().into_iter().rev().collect();
    assert_eq!(state_root(&forward), state_root(&backward));
    let expected = sec_trie_root(accounts.iter().map(|(a, acc)| (*a, account_rlp(acc))));
    assert_eq!(state_root(&forward), expected);
    assert_eq!(state_root(&WorldState::new()), EMPTY_ROOT);
}

// ----- Journal -----

/// A state with one funded account `addr(1)` holding one storage slot.
fn funded() -> WorldState {
    let mut account = Account::with_balance(U256::from(100));
    account.nonce = 1;
    account.storage.insert(word(1), word(10));
    [(addr(1), account)].into_iter().collect()
}

#[test]
fn nested_revert_and_commit() {
    let mut state = funded();
    let original = state.accounts().clone();

    let outer = state.checkpoint();
    state.set_balance(addr(1), U256::from(50));
    let inner = state.checkpoint();
    state.set_storage(addr(1), word(1), word(11));
    state.set_storage(addr(1), word(2), word(22));
    state.inc_nonce(addr(1)).unwrap();
    state.set_code(addr(1), vec![1, 2, 3]);
    state.emit_log(Log {
        address: addr(1),
        ..Log::default()
    });
    state.add_refund(15_000);
    state.revert(inner);

    assert_eq!(state.balance(addr(1)), U256::from(50));
    assert_eq!(state.storage(addr(1), word(1)), word(10));
    assert_eq!(state.storage(addr(1), word(2)), H256::zero());
    assert_eq!(state.nonce(addr(1)), 1);
    assert!(state.code(addr(1)).is_empty());
    assert!(state.logs().is_empty());
    assert_eq!(state.refund(), 0);

    let inner = state.checkpoint();
    state.set_storage(addr(1), word(3), word(33));
    state.emit_log(Log {
        address: addr(1),
        ..Log::default()
    });
    state.commit(inner);
    assert_eq!(state.storage(addr(1), word(3)), word(33));
    assert_eq!(state.logs().len(), 1);

    // Reverting the outer checkpoint also undoes the committed inner changes.
    state.revert(outer);
    assert_eq!(state.accounts(), &original);
    assert!(state.logs().is_empty());
    assert!(state.touched().is_empty());
    assert!(state.journal().is_empty());
}

#[test]
fn revert_removes_implicitly_created_accounts_and_touches() {
    let mut state = WorldState::new();
    let cp = state.checkpoint();
    state.add_balance(addr(9), U256::zero()).unwrap();
    state.touch(addr(8));
    assert!(state.exists(addr(9)));
    assert!(state.touched().contains(&addr(9)) && state.touched().contains(&addr(8)));
    state.revert(cp);
    assert!(!state.exists(addr(9)));
    assert!(state.touched().is_empty());
}

#[test]
fn stale_checkpoint_is_harmless() {
    let mut state = funded();
    let outer = state.checkpoint();
    state.set_balance(addr(1), U256::from(1));
    let inner = state.checkpoint();
    state.set_balance(addr(1), U256::from(2));
    state.revert(outer);
    state.revert(inner); // already undone by the outer revert
    assert_eq!(state.accounts(), funded().accounts());
}

#[test]
fn transfer_checks_balance_and_leaves_state_unchanged_on_error() {
    let mut state = funded();
    let err = state
        .transfer(addr(1), addr(2), U256::from(101))
        .unwrap_err();
    assert_eq!(
        err,
        StateError::InsufficientBalance {
            address: addr(1),
            balance: U256::from(100),
            required: U256::from(101),
        }
    );
    assert!(state.journal().is_empty());
    assert!(!state.exists(addr(2)));

    state.transfer(addr(1), addr(2), U256::from(40)).unwrap();
    assert_eq!(state.balance(addr(1)), U256::from(60));
    assert_eq!(state.balance(addr(2)), U256::from(40));
    state.transfer(addr(1), addr(1), U256::from(60)).unwrap();
    assert_eq!(state.balance(addr(1)), U256::from(60));
}

#[test]
fn arithmetic_limits_are_typed_errors() {
    let mut state = WorldState::new();
    state.set_balance(addr(1), U256::MAX);
    assert_eq!(
        state.add_balance(addr(1), U256::one()),
        Err(StateError::BalanceOverflow { address: addr(1) })
    );
    state.set_balance(addr(2), U256::one());
    assert_eq!(
        state.transfer(addr(2), addr(1), U256::one()),
        Err(StateError::BalanceOverflow { address: addr(1) })
    );
    assert_eq!(state.balance(addr(2)), U256::one());
    state.set_nonce(addr(3), u64::MAX);
    assert_eq!(
        state.inc_nonce(addr(3)),
        Err(StateError::NonceOverflow { address: addr(3) })
    );
    assert!(state.sub_balance(addr(4), U256::one()).is_err());
}

#[test]
fn set_storage_returns_previous_and_zero_clears() {
    let mut state = funded();
    assert_eq!(state.set_storage(addr(1), word(1), word(5)), word(10));
    assert_eq!(state.set_storage(addr(1), word(1), H256::zero()), word(5));
    assert!(state.account(addr(1)).unwrap().storage.is_empty());
}

#[test]
fn create_account_keeps_balance_and_detects_collisions() {
    let mut state = funded();
    assert_eq!(
        state.create_account(addr(1)),
        Err(StateError::AddressCollision { address: addr(1) })
    );
    // A pre-funded address with a stale storage slot but no nonce or code.
    let mut prefunded = Account::with_balance(U256::from(7));
    prefunded.storage.insert(word(1), word(1));
    state.insert_account(addr(2), prefunded.clone());
    let cp = state.checkpoint();
    state.create_account(addr(2)).unwrap();
    assert_eq!(
        state.account(addr(2)),
        Some(&Account::with_balance(U256::from(7)))
    );
    state.revert(cp);
    assert_eq!(state.account(addr(2)), Some(&prefunded));
}

#[test]
fn selfdestruct_moves_balance_and_is_journaled() {
    let mut state = funded();
    let cp = state.checkpoint();
    assert_eq!(state.selfdestruct(addr(1), addr(2)), Ok(true));
    assert_eq!(state.selfdestruct(addr(1), addr(2)), Ok(false));
    assert_eq!(state.balance(addr(2)), U256::from(100));
    assert_eq!(state.balance(addr(1)), U256::zero());
    assert!(
        state.exists(addr(1)),
        "readable until the end of the transaction"
    );
    state.revert(cp);
    assert!(!state.is_selfdestructed(addr(1)));
    assert_eq!(state.accounts(), funded().accounts());

    // Beneficiary = self burns the balance; finalize deletes the account.
    state.selfdestruct(addr(1), addr(1)).unwrap();
    assert_eq!(state.balance(addr(1)), U256::zero());
    state.finalize();
    assert!(!state.exists(addr(1)));
}

#[test]
fn eip161_removes_touched_empty_accounts_only() {
    let mut state: WorldState = [
        (addr(1), Account::default()),
        (addr(2), Account::default()),
        (addr(3), Account::with_balance(U256::one())),
    ]
    .into_iter()
    .collect();
    state.touch(addr(1));
    state.touch(addr(3));
    state.add_balance(addr(4), U256::zero()).unwrap(); // created empty, touched
    state.set_storage(addr(5), word(1), word(1)); // storage only: still empty
    state.touch(addr(6)); // missing: nothing to remove
    state.emit_log(Log {
        address: addr(3),
        ..Log::default()
    });

    let logs = state.finalize();
    assert_eq!(logs.len(), 1);
    let left: Vec<H160> = state.accounts().keys().copied().collect();
    assert_eq!(left, vec![addr(2), addr(3)]);
    assert!(state.journal().is_empty() && state.touched().is_empty() && state.logs().is_empty());
}

#[test]
fn remove_touched_empty_is_revertible() {
    let mut state: WorldState = [(addr(1), Account::default())].into_iter().collect();
    let cp = state.checkpoint();
    state.touch(addr(1));
    state.remove_touched_empty();
    assert!(!state.exists(addr(1)));
    state.revert(cp);
    assert!(state.exists(addr(1)));
}
