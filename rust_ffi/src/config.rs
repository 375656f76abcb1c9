//! SystemConfig: barter's own serde type, parsed from either the plain shape or the
//! shape under a `"system"` key (barter's backtest example).

use crate::error::{panic_message, FfiError, FfiResult};
use barter::system::config::SystemConfig;
use barter_instrument::index::IndexedInstruments;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A parsed config and the instruments indexed from it (the order market data refers to).
#[derive(Debug, Clone)]
pub struct Config {
    pub system: Arc<SystemConfig>,
    pub instruments: Arc<IndexedInstruments>,
    /// `risk_free_return` found next to `"system"`, if any.
    pub risk_free_return: Option<Decimal>,
}

#[derive(Deserialize)]
struct Wrapped {
    system: SystemConfig,
    risk_free_return: Option<Decimal>,
}

/// Deserialises `bytes` as `T`; an error names the input, the field path where it
/// happened (`instruments[0].quote`, "." for the top level) and serde's line and column.
fn from_slice_at<'de, T: Deserialize<'de>>(bytes: &'de [u8], source: &str) -> FfiResult<T> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => deserializer.end().map(|()| value).map_err(|e| (".".to_owned(), e.to_string())),
        Err(e) => {
            let (path, inner) = (e.path().clone(), e.into_inner());
            // barter's ExecutionConfig is an untagged enum of one variant, whose error
            // says only "did not match any variant": ask the variant itself what is wrong.
            let (path, detail) = if inner.to_string().starts_with(UNTAGGED_EXECUTION) {
                execution_error(bytes, &path)
                    .map(|(field, detail)| (field, format!("{detail} ({})", position(&inner))))
                    .unwrap_or_else(|| (path.to_string(), inner.to_string()))
            } else {
                (path.to_string(), inner.to_string())
            };
            Err((path, detail))
        }
    };
    value.map_err(|(path, detail)| {
        let where_ = if path == "." { "the top level".to_owned() } else { path };
        FfiError::invalid(format!("{source}: invalid system config at {where_}: {detail}"))
    })
}

const UNTAGGED_EXECUTION: &str = "data did not match any variant of untagged enum ExecutionConfig";

fn position(error: &serde_json::Error) -> String {
    format!("line {} column {}", error.line(), error.column())
}

/// For an `executions[i]` that matched no variant: the field path and error of its one
/// variant, `MockExecutionConfig`, read from the JSON value at `path`.
fn execution_error(bytes: &[u8], path: &serde_path_to_error::Path) -> Option<(String, String)> {
    use serde_path_to_error::Segment;
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => {
                pointer.push_str(&format!("/{}", key.replace('~', "~0").replace('/', "~1")))
            }
            _ => return None,
        }
    }
    let element = value.pointer(&pointer)?;
    match serde_path_to_error::deserialize::<_, barter_execution::client::mock::MockExecutionConfig>(element)
    {
        Ok(_) => None,
        Err(e) => {
            let inner_path = e.path().to_string();
            let field = if inner_path == "." { path.to_string() } else { format!("{path}.{inner_path}") };
            Some((field, e.inner().to_string()))
        }
    }
}

/// How deep a config may nest (objects and arrays), as `SystemConfig.from_dict` allows.
pub const MAX_CONFIG_DEPTH: usize = 64;

/// What a lexical pass over a JSON text finds: how deep it nests, and whether some number
/// is written with an exponent or with more than 28 digits (only such a number can fall
/// outside what rust_decimal holds; barter's parser would round it silently).
#[derive(Debug, Default, PartialEq, Eq)]
struct Lexical {
    depth: usize,
    depth_at: usize,
    unusual_number: bool,
}

fn lexical_scan(bytes: &[u8]) -> Lexical {
    let mut scan = Lexical::default();
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'[' | b'{' => {
                    depth += 1;
                    if depth > scan.depth {
                        scan.depth = depth;
                        scan.depth_at = i;
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                b'-' | b'0'..=b'9' => {
                    let start = i;
                    while i < bytes.len()
                        && matches!(bytes[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                    {
                        i += 1;
                    }
                    let token = &bytes[start..i];
                    let digits = token.iter().filter(|c| c.is_ascii_digit()).count();
                    if digits > 28 || token.iter().any(|c| matches!(c, b'e' | b'E')) {
                        scan.unusual_number = true;
                    }
                    continue;
                }
                _ => {}
            }
        }
        i += 1;
    }
    scan
}

/// The first number (in document order) of a JSON text that rust_decimal cannot hold:
/// nonzero below its smallest step 1e-28, or above its largest value. With its field path.
fn out_of_range_number(bytes: &[u8]) -> Option<(String, String)> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let mut stack = vec![(String::new(), &value)];
    while let Some((path, value)) = stack.pop() {
        match value {
            serde_json::Value::Object(map) => {
                for (key, item) in map.iter().rev() {
                    let path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                    stack.push((path, item));
                }
            }
            serde_json::Value::Array(items) => {
                stack.extend(
                    items.iter().enumerate().rev().map(|(index, item)| (format!("{path}[{index}]"), item)),
                );
            }
            serde_json::Value::Number(number) => {
                let x = number.as_f64().unwrap_or(0.0).abs();
                let why = if x != 0.0 && x < 1e-28 {
                    "nonzero but below the smallest step 1e-28"
                } else if x > 7.922_816_251_426_434e28 {
                    "magnitude above 79228162514264337593543950335"
                } else {
                    continue;
                };
                let where_ = if path.is_empty() { "the top level".to_owned() } else { path };
                return Some((where_, format!("{number} is not a decimal barter can represent ({why})")));
            }
            _ => {}
        }
    }
    None
}

/// Parses a config in either shape. `source` names the input in error messages.
pub fn parse(bytes: &[u8], source: &str) -> FfiResult<Config> {
    // A UTF-8 BOM is accepted, as in market data files.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(bytes);
    let scan = lexical_scan(bytes);
    if scan.depth > MAX_CONFIG_DEPTH {
        return Err(FfiError::invalid(format!(
            "{source}: invalid system config: nested {} levels deep (at byte {}), more than {MAX_CONFIG_DEPTH}",
            scan.depth, scan.depth_at
        )));
    }
    if scan.unusual_number {
        if let Some((path, detail)) = out_of_range_number(bytes) {
            return Err(FfiError::invalid(format!("{source}: invalid system config at {path}: {detail}")));
        }
    }
    // Look at the top-level keys first (syntax errors surface here with their location).
    let keys: BTreeMap<String, serde::de::IgnoredAny> = from_slice_at(bytes, source)?;
    let (system, risk_free_return) = if keys.contains_key("system") {
        let w: Wrapped = from_slice_at(bytes, source)?;
        (w.system, w.risk_free_return)
    } else {
        (from_slice_at::<SystemConfig>(bytes, source)?, None)
    };
    if system.instruments.is_empty() {
        return Err(FfiError::invalid(format!("{source}: system config has no instruments")));
    }
    let for_index = system.instruments.clone();
    let instruments = crate::log::catch_quietly(move || IndexedInstruments::new(for_index)).map_err(|p| {
        FfiError::invalid(format!("{source}: instruments cannot be indexed: {}", panic_message(p.as_ref())))
    })?;
    Ok(Config { system: Arc::new(system), instruments: Arc::new(instruments), risk_free_return })
}

impl Config {
    /// Names of the indexed instruments, in index order.
    pub fn instrument_names(&self) -> Vec<String> {
        self.instruments
            .instruments()
            .iter()
            .map(|keyed| keyed.value.name_internal.name().to_string())
            .collect()
    }

    /// `[base, quote]` asset names of the indexed instruments, in index order.
    pub fn instrument_assets(&self) -> Vec<[String; 2]> {
        let name = |asset: barter_instrument::asset::AssetIndex| {
            self.instruments.assets()[asset.index()].value.asset.name_internal.name().to_string()
        };
        self.instruments
            .instruments()
            .iter()
            .map(|keyed| [name(keyed.value.underlying.base), name(keyed.value.underlying.quote)])
            .collect()
    }
}

/// Largest config file read (a config is a few kilobytes; this only stops a wrong path
/// from being read into memory).
pub const MAX_CONFIG_BYTES: u64 = 64 << 20;

/// Reads and parses a config file. A missing file is `NotFound`; only regular files are
/// read (a FIFO, device or directory is an error naming the path), at most
/// [`MAX_CONFIG_BYTES`].
pub fn load_file(path: &str) -> FfiResult<Config> {
    use std::io::Read;
    let (file, size) = crate::market_data::source::open_regular(path)?;
    if size > MAX_CONFIG_BYTES {
        return Err(FfiError::invalid(format!(
            "{path}: {size} bytes is too large for a system config (at most {MAX_CONFIG_BYTES})"
        )));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes).map_err(|e| FfiError::io(path, &e))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(FfiError::invalid(format!(
            "{path}: too large for a system config (at most {MAX_CONFIG_BYTES})"
        )));
    }
    parse(&bytes, path)
}

impl Config {
    /// The config as JSON in the plain shape, plus the indexed instrument names and the
    /// `risk_free_return` if one was given:
    /// `{"system": {...}, "instrument_names": [...], "instrument_assets": [[base, quote], ...],
    /// "risk_free_return": "0.05" | null}`.
    pub fn to_json(&self) -> FfiResult<Vec<u8>> {
        let value = serde_json::json!({
            "system": &*self.system,
            "instrument_names": self.instrument_names(),
            "instrument_assets": self.instrument_assets(),
            "risk_free_return": self.risk_free_return.map(|d| d.to_string()),
        });
        serde_json::to_vec(&value).map_err(|e| FfiError::engine(format!("serialising system config: {e}")))
    }
}
