//! Shared by the integration tests: an order-preserving JSON tree (serde_json's `Value`
//! sorts object keys unless its `preserve_order` feature is on, and key order is part of
//! the summary wire format), and paths to the example files.

#![allow(dead_code)]

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::path::PathBuf;

/// A JSON value whose objects keep their keys in document order.
#[derive(Debug, Clone, PartialEq)]
pub enum Ordered {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl Ordered {
    pub fn parse(text: &[u8]) -> Self {
        serde_json::from_slice(text).expect("valid JSON")
    }

    /// Object keys in document order.
    #[track_caller]
    pub fn keys(&self) -> Vec<&str> {
        match self {
            Ordered::Object(entries) => entries.iter().map(|(k, _)| k.as_str()).collect(),
            other => panic!("not an object: {other:?}"),
        }
    }

    #[track_caller]
    pub fn get(&self, key: &str) -> &Ordered {
        match self {
            Ordered::Object(entries) => {
                let found: Vec<_> = entries.iter().filter(|(k, _)| k == key).collect();
                assert_eq!(found.len(), 1, "key {key:?} must occur exactly once");
                &found[0].1
            }
            other => panic!("not an object (looking for {key:?}): {other:?}"),
        }
    }

    #[track_caller]
    pub fn at(&self, index: usize) -> &Ordered {
        match self {
            Ordered::Array(items) => &items[index],
            other => panic!("not an array: {other:?}"),
        }
    }

    #[track_caller]
    pub fn items(&self) -> &[Ordered] {
        match self {
            Ordered::Array(items) => items,
            other => panic!("not an array: {other:?}"),
        }
    }

    #[track_caller]
    pub fn entries(&self) -> &[(String, Ordered)] {
        match self {
            Ordered::Object(entries) => entries,
            other => panic!("not an object: {other:?}"),
        }
    }

    #[track_caller]
    pub fn str(&self) -> &str {
        match self {
            Ordered::String(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }

    #[track_caller]
    pub fn i64(&self) -> i64 {
        match self {
            Ordered::Number(n) => n.as_i64().unwrap_or_else(|| panic!("not an i64: {n}")),
            other => panic!("not a number: {other:?}"),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Ordered::Null)
    }

    /// Follows a JSON pointer (RFC 6901).
    #[track_caller]
    pub fn pointer(&self, pointer: &str) -> &Ordered {
        if pointer.is_empty() {
            return self;
        }
        assert!(pointer.starts_with('/'), "bad pointer {pointer:?}");
        let mut node = self;
        for token in pointer[1..].split('/') {
            let token = token.replace("~1", "/").replace("~0", "~");
            node = match node {
                Ordered::Array(_) => node.at(token.parse().expect("array index")),
                _ => node.get(&token),
            };
        }
        node
    }
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Null)
            }
            fn visit_none<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
                Ok(Ordered::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
                Ok(Ordered::Number(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
                Ok(Ordered::Number(v.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Ordered, E> {
                serde_json::Number::from_f64(v).map(Ordered::Number).ok_or_else(|| E::custom("non-finite"))
            }
            fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
                Ok(Ordered::String(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Ordered, E> {
                Ok(Ordered::String(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Ordered::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Ordered>()? {
                    entries.push((k, v));
                }
                Ok(Ordered::Object(entries))
            }
        }
        deserializer.deserialize_any(V)
    }
}

pub fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../barter_cy/examples")
}

pub fn market_data_path() -> String {
    examples().join("binance_spot_market_data_with_disconnect_events.json").to_str().unwrap().to_owned()
}

pub fn system_config_path() -> String {
    examples().join("system_config.json").to_str().unwrap().to_owned()
}

pub fn backtest_config_path() -> String {
    examples().join("backtest_config.json").to_str().unwrap().to_owned()
}

/// `time_exchange` of the first item of the example market data.
pub const FIRST_EVENT_NS: i64 = 1_734_721_518_175_000_000;

/// `time_exchange` of the last item of the example market data.
pub const LAST_EVENT_NS: i64 = 1_734_721_518_197_000_000;
