//! Just enough of the Solidity ABI for the calls the engine makes: the
//! encoding of arguments (static words, dynamic bytes, strings, arrays and
//! tuples), function selectors, and the decoding of return words and of
//! revert data into a readable reason.

use revm::primitives::{keccak256, Address, U256};

/// One ABI value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    Address(Address),
    Uint(U256),
    Bool(bool),
    Bytes(Vec<u8>),
    String(String),
    /// A dynamic array `T[]`.
    Array(Vec<Token>),
    /// A struct or a fixed list of values, encoded in place when every
    /// member is static.
    Tuple(Vec<Token>),
}

impl Token {
    pub fn uint(value: u128) -> Token {
        Token::Uint(U256::from(value))
    }

    fn is_dynamic(&self) -> bool {
        match self {
            Token::Address(_) | Token::Uint(_) | Token::Bool(_) => false,
            Token::Bytes(_) | Token::String(_) | Token::Array(_) => true,
            Token::Tuple(members) => members.iter().any(Token::is_dynamic),
        }
    }
}

/// The 4-byte selector of a function signature such as
/// `"transfer(address,uint256)"`.
pub fn selector(signature: &str) -> [u8; 4] {
    let hash = keccak256(signature.as_bytes());
    [hash[0], hash[1], hash[2], hash[3]]
}

/// Calldata: the selector of `signature`, then `args` encoded.
pub fn call(signature: &str, args: &[Token]) -> Vec<u8> {
    let mut data = selector(signature).to_vec();
    data.extend(encode(args));
    data
}

/// The ABI encoding of `tokens` as a tuple (function arguments, or
/// constructor arguments appended to creation code).
pub fn encode(tokens: &[Token]) -> Vec<u8> {
    let head_size: usize = tokens.iter().map(head_size).sum();
    let mut head = Vec::with_capacity(head_size);
    let mut tail = Vec::new();
    for token in tokens {
        if token.is_dynamic() {
            head.extend(word(U256::from(head_size + tail.len())));
            tail.extend(encode_one(token));
        } else {
            head.extend(encode_one(token));
        }
    }
    head.extend(tail);
    head
}

fn head_size(token: &Token) -> usize {
    match token {
        Token::Tuple(members) if !token.is_dynamic() => members.iter().map(head_size).sum(),
        _ => 32,
    }
}

fn encode_one(token: &Token) -> Vec<u8> {
    match token {
        Token::Address(a) => {
            let mut w = [0u8; 32];
            w[12..].copy_from_slice(a.as_slice());
            w.to_vec()
        }
        Token::Uint(v) => word(*v).to_vec(),
        Token::Bool(b) => word(U256::from(u8::from(*b))).to_vec(),
        Token::Bytes(bytes) => dynamic_bytes(bytes),
        Token::String(s) => dynamic_bytes(s.as_bytes()),
        Token::Array(items) => {
            let mut out = word(U256::from(items.len())).to_vec();
            out.extend(encode(items));
            out
        }
        Token::Tuple(members) => encode(members),
    }
}

fn dynamic_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut out = word(U256::from(bytes.len())).to_vec();
    out.extend_from_slice(bytes);
    let padding = (32 - bytes.len() % 32) % 32;
    out.extend(std::iter::repeat_n(0u8, padding));
    out
}

fn word(value: U256) -> [u8; 32] {
    value.to_be_bytes::<32>()
}

/// The `index`-th 32-byte word of `data` as a number.
pub fn uint_at(data: &[u8], index: usize) -> Option<U256> {
    let start = index.checked_mul(32)?;
    let bytes = data.get(start..start.checked_add(32)?)?;
    Some(U256::from_be_slice(bytes))
}

/// The `index`-th 32-byte word of `data` as an address.
pub fn address_at(data: &[u8], index: usize) -> Option<Address> {
    let start = index.checked_mul(32)?;
    let bytes = data.get(start..start.checked_add(32)?)?;
    if bytes[..12].iter().any(|&b| b != 0) {
        return None;
    }
    Some(Address::from_slice(&bytes[12..]))
}

/// A dynamic `bytes` value at a head offset word of `data`.
fn bytes_at(data: &[u8], head_index: usize) -> Option<&[u8]> {
    let offset = usize::try_from(uint_at(data, head_index)?).ok()?;
    let len_word = data.get(offset..offset.checked_add(32)?)?;
    let len = usize::try_from(U256::from_be_slice(len_word)).ok()?;
    let start = offset.checked_add(32)?;
    data.get(start..start.checked_add(len)?)
}

/// Why a call reverted, readable: Solidity's `Error(string)` gives its
/// message, `Panic(uint256)` its code, the executor's `CallFailed(index,
/// reason)` the path of call indices and the innermost reason, and any
/// other data its hex (a custom error of a contract, or nothing at all).
pub fn revert_reason(data: &[u8]) -> String {
    let mut path = Vec::new();
    let mut data = data;
    // `CallFailed(i, reason)` nests once per executor list (a flash loan's
    // callback runs a list inside a call of the outer list).
    while data.len() >= 4 && data[..4] == selector("CallFailed(uint256,bytes)") {
        let body = &data[4..];
        match (uint_at(body, 0), bytes_at(body, 1)) {
            (Some(index), Some(inner)) => {
                path.push(index.to_string());
                data = inner;
            }
            _ => break,
        }
    }
    let reason = plain_reason(data);
    if path.is_empty() {
        reason
    } else {
        format!("call {}: {reason}", path.join("."))
    }
}

/// The path of executor call indices a revert went through (the outer
/// list's index first, then the flash-loan callback's) and the innermost
/// reason, readable.
pub fn revert_path(data: &[u8]) -> (Vec<usize>, String) {
    let mut path = Vec::new();
    let mut data = data;
    while data.len() >= 4 && data[..4] == selector("CallFailed(uint256,bytes)") {
        let body = &data[4..];
        match (
            uint_at(body, 0).and_then(|i| usize::try_from(i).ok()),
            bytes_at(body, 1),
        ) {
            (Some(index), Some(inner)) => {
                path.push(index);
                data = inner;
            }
            _ => break,
        }
    }
    (path, plain_reason(data))
}

fn plain_reason(data: &[u8]) -> String {
    if data.is_empty() {
        return "reverted without a reason".to_string();
    }
    if data.len() >= 4 && data[..4] == selector("Error(string)") {
        if let Some(message) = bytes_at(&data[4..], 0) {
            return String::from_utf8_lossy(message).into_owned();
        }
    }
    if data.len() >= 4 && data[..4] == selector("Panic(uint256)") {
        if let Some(code) = uint_at(&data[4..], 0) {
            return format!("panic 0x{code:x}");
        }
    }
    for (signature, name) in KNOWN_ERRORS {
        if data.len() >= 4 && data[..4] == selector(signature) {
            return name.to_string();
        }
    }
    format!("reverted with data 0x{}", hex(data))
}

/// Custom errors of the project's contracts, by signature.
const KNOWN_ERRORS: &[(&str, &str)] = &[
    (
        "NotOwner(address)",
        "MeshExecutor: the caller is not the owner",
    ),
    (
        "UnexpectedCallback(address,address)",
        "MeshExecutor: a flash-loan callback it did not ask for",
    ),
    (
        "NotRelayer(address)",
        "MeshBridge: the caller is not the relayer",
    ),
    ("NoRoute(uint256)", "MeshBridge: no route to that chain"),
    ("BadFee(uint16)", "MeshBridge: a fee above 10,000 bps"),
    ("NothingToBridge()", "MeshBridge: nothing to bridge"),
    (
        "HashLockCoversOneTransfer()",
        "MeshBridge: an htlb lock covers one transfer",
    ),
    (
        "LengthMismatch()",
        "MeshBridge: tokens and amounts differ in length",
    ),
    (
        "AlreadyReleased(uint256,uint256)",
        "MeshBridge: that lock was already released",
    ),
    (
        "TransferFailed(address)",
        "MeshBridge: a token transfer failed",
    ),
];

/// Lower-case hex without a prefix.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Parses hex text (with or without `0x`); `None` if it is not hex.
pub fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let body = text.strip_prefix("0x").unwrap_or(text);
    if !body.len().is_multiple_of(2) {
        return None;
    }
    (0..body.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(body.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_are_the_published_ones() {
        assert_eq!(hex(&selector("transfer(address,uint256)")), "a9059cbb");
        assert_eq!(hex(&selector("approve(address,uint256)")), "095ea7b3");
        assert_eq!(hex(&selector("Error(string)")), "08c379a0");
    }

    #[test]
    fn encodes_static_and_dynamic_arguments_as_solidity_does() {
        // f(uint256,bytes,address) with (1, 0x1234, 0x..ff): the worked
        // layout of the Solidity ABI specification's dynamic example.
        let data = encode(&[
            Token::uint(1),
            Token::Bytes(vec![0x12, 0x34]),
            Token::Address(Address::with_last_byte(0xff)),
        ]);
        assert_eq!(data.len(), 32 * 5);
        assert_eq!(uint_at(&data, 0), Some(U256::from(1)));
        assert_eq!(uint_at(&data, 1), Some(U256::from(96)));
        assert_eq!(address_at(&data, 2), Some(Address::with_last_byte(0xff)));
        assert_eq!(uint_at(&data, 3), Some(U256::from(2)));
        assert_eq!(&data[128..130], &[0x12, 0x34]);
        assert!(data[130..].iter().all(|&b| b == 0));
    }

    #[test]
    fn arrays_of_dynamic_tuples_use_offsets_per_element() {
        let call = Token::Tuple(vec![
            Token::Address(Address::with_last_byte(1)),
            Token::uint(0),
            Token::Bytes(vec![0xab]),
        ]);
        let data = encode(&[Token::Array(vec![call.clone(), call])]);
        // offset, length, two element offsets, then each element.
        assert_eq!(uint_at(&data, 0), Some(U256::from(32)));
        assert_eq!(uint_at(&data, 1), Some(U256::from(2)));
        assert_eq!(uint_at(&data, 2), Some(U256::from(64)));
        assert_eq!(uint_at(&data, 3), Some(U256::from(64 + 5 * 32)));
    }

    #[test]
    fn revert_reasons_read_error_strings_and_executor_paths() {
        let mut error = selector("Error(string)").to_vec();
        error.extend(encode(&[Token::String("UniswapV2: K".into())]));
        assert_eq!(revert_reason(&error), "UniswapV2: K");
        let mut inner = selector("CallFailed(uint256,bytes)").to_vec();
        inner.extend(encode(&[Token::uint(2), Token::Bytes(error)]));
        let mut outer = selector("CallFailed(uint256,bytes)").to_vec();
        outer.extend(encode(&[Token::uint(1), Token::Bytes(inner)]));
        assert_eq!(revert_reason(&outer), "call 1.2: UniswapV2: K");
        assert_eq!(
            revert_path(&outer),
            (vec![1, 2], "UniswapV2: K".to_string())
        );
        assert_eq!(
            revert_path(&[]),
            (vec![], "reverted without a reason".to_string())
        );
        assert_eq!(revert_reason(&[]), "reverted without a reason");
    }
}
