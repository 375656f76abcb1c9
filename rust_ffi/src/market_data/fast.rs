//! The fast path for the JSON Lines records that make up nearly all recorded market data:
//! `{"Reconnecting":"<exchange>"}` and trade items written the way barter serialises
//! them (`time_exchange`, `time_received`, `exchange`, `instrument`, `kind` in that
//! order; whitespace between tokens allowed).
//!
//! It is a strict subset of what serde accepts: any line it does not recognise exactly
//! (other kinds, other key orders, unknown or duplicate keys, escapes in strings, time
//! formats other than `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, times i64 nanoseconds cannot hold,
//! numbers out of range) returns `None` and goes through serde, which decides whether
//! the line is valid and what the error says. Whatever it accepts, it decodes to the
//! same values serde would: floats are parsed by Rust's correctly rounded `str::parse`
//! (bit-identical to serde_json's `float_roundtrip` and to Python's `float(text)`), times
//! to the nanosecond, exchange names through serde itself (cached).

use super::{to_ns, TradeRef};
use crate::cancel::Cancel;
use barter_instrument::{exchange::ExchangeId, Side};
use chrono::DateTime;

/// What one parser thread remembers between lines: exchange names seen so far (raw
/// bytes of the JSON string, quotes excluded) and the last calendar date.
#[derive(Default)]
pub struct ExchangeCache {
    entries: Vec<(Box<[u8]>, ExchangeId)>,
    dates: DateMemo,
}

/// The last (year, month, day) parsed and its `NaiveDate`.
#[derive(Default)]
pub(crate) struct DateMemo {
    key: i64,
    date: Option<chrono::NaiveDate>,
}

impl DateMemo {
    #[inline(always)]
    fn date(&mut self, year: i64, month: i64, day: i64) -> Option<chrono::NaiveDate> {
        let key = (year * 16 + month) * 32 + day;
        if key == self.key {
            if let Some(date) = self.date {
                return Some(date);
            }
        }
        // chrono validates the day of the month.
        let date = chrono::NaiveDate::from_ymd_opt(year as i32, month as u32, day as u32)?;
        (self.key, self.date) = (key, Some(date));
        Some(date)
    }
}

impl ExchangeCache {
    /// `quoted` is the JSON string token including its quotes, free of escapes.
    fn lookup(&mut self, quoted: &[u8]) -> Option<ExchangeId> {
        let name = &quoted[1..quoted.len() - 1];
        if let Some((_, id)) = self.entries.iter().find(|(known, _)| **known == *name) {
            return Some(*id);
        }
        let id: ExchangeId = serde_json::from_slice(quoted).ok()?;
        if self.entries.len() < 64 {
            self.entries.push((name.into(), id));
        }
        Some(id)
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Whether a newline is whitespace (inside a JSON array) or the end of the record
    /// (JSON Lines).
    newline_is_space: bool,
}

impl<'a> Cursor<'a> {
    /// Skips whitespace (in JSON Lines a newline ends the line, so it is not skipped).
    #[inline(always)]
    fn ws(&mut self) {
        while let Some(&byte) = self.bytes.get(self.at) {
            match byte {
                b' ' | b'\t' | b'\r' => self.at += 1,
                b'\n' if self.newline_is_space => self.at += 1,
                _ => break,
            }
        }
    }

    /// Skips whitespace, then expects the byte `token`.
    #[inline(always)]
    fn byte(&mut self, token: u8) -> Option<()> {
        if self.bytes.get(self.at) != Some(&token) {
            self.ws();
            if self.bytes.get(self.at) != Some(&token) {
                return None;
            }
        }
        self.at += 1;
        Some(())
    }

    /// `quoted_key` (the key with its quotes) followed by `:`.
    #[inline(always)]
    fn key(&mut self, quoted_key: &[u8]) -> Option<()> {
        self.ws();
        if self.bytes.len() - self.at > quoted_key.len() && self.bytes[self.at..].starts_with(quoted_key) {
            self.at += quoted_key.len();
            self.byte(b':')
        } else {
            None
        }
    }

    /// A JSON string without escapes or control characters, quotes included, and whether
    /// it is all ASCII.
    #[inline(always)]
    fn quoted_ascii(&mut self) -> Option<(&'a [u8], bool)> {
        if self.bytes.get(self.at) != Some(&b'"') {
            self.ws();
            if self.bytes.get(self.at) != Some(&b'"') {
                return None;
            }
        }
        let start = self.at;
        let (len, ascii) = plain_string_len(&self.bytes[start + 1..])?;
        let end = start + 1 + len;
        self.at = end + 1;
        Some((&self.bytes[start..=end], ascii))
    }

    #[inline(always)]
    fn quoted(&mut self) -> Option<&'a [u8]> {
        self.quoted_ascii().map(|(quoted, _)| quoted)
    }

    /// A JSON string's body as UTF-8 (escape-free strings only).
    #[inline(always)]
    fn str(&mut self) -> Option<&'a str> {
        let (quoted, ascii) = self.quoted_ascii()?;
        let body = &quoted[1..quoted.len() - 1];
        if ascii {
            // SAFETY: every byte is below 0x80 (checked by `plain_string_len`).
            Some(unsafe { std::str::from_utf8_unchecked(body) })
        } else {
            std::str::from_utf8(body).ok()
        }
    }

    /// A JSON number's text, checked against JSON's grammar.
    #[inline(always)]
    fn number(&mut self) -> Option<&'a str> {
        self.ws();
        let bytes = self.bytes;
        let start = self.at;
        let mut i = start;
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
        match bytes.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while let Some(b'0'..=b'9') = bytes.get(i) {
                    i += 1;
                }
            }
            _ => return None,
        }
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            let digits = i;
            while let Some(b'0'..=b'9') = bytes.get(i) {
                i += 1;
            }
            if i == digits {
                return None;
            }
        }
        if let Some(b'e' | b'E') = bytes.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = bytes.get(i) {
                i += 1;
            }
            let digits = i;
            while let Some(b'0'..=b'9') = bytes.get(i) {
                i += 1;
            }
            if i == digits {
                return None;
            }
        }
        self.at = i;
        // SAFETY: every byte in start..i was matched above as an ASCII digit, sign, dot
        // or exponent letter, so the slice is valid UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(&bytes[start..i]) })
    }

    /// A finite f64 (serde_json rejects numbers that overflow), correctly rounded.
    #[inline(always)]
    fn f64(&mut self) -> Option<f64> {
        let text = self.number()?;
        if let Some(value) = clinger(text.as_bytes()) {
            return Some(value);
        }
        let value: f64 = text.parse().ok()?;
        value.is_finite().then_some(value)
    }

    /// A non-negative integer that fits usize (no sign, fraction or exponent).
    #[inline(always)]
    fn usize(&mut self) -> Option<usize> {
        self.ws();
        let bytes = self.bytes;
        let start = self.at;
        let mut value: usize = 0;
        let mut i = start;
        while let Some(digit @ b'0'..=b'9') = bytes.get(i) {
            value = value.checked_mul(10)?.checked_add(usize::from(digit - b'0'))?;
            i += 1;
        }
        let digits = i - start;
        // JSON: no leading zeros; a fraction or exponent would make it a float.
        if digits == 0
            || (digits > 1 && bytes[start] == b'0')
            || matches!(bytes.get(i), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        self.at = i;
        Some(value)
    }

    /// An RFC 3339 UTC time in barter's form, parsed in place.
    #[inline(always)]
    fn time(&mut self, dates: &mut DateMemo) -> Option<DateTime<chrono::Utc>> {
        if self.bytes.get(self.at) != Some(&b'"') {
            self.ws();
            if self.bytes.get(self.at) != Some(&b'"') {
                return None;
            }
        }
        let (time, used) = parse_time_prefix(&self.bytes[self.at + 1..], dates)?;
        let end = self.at + 1 + used;
        if self.bytes.get(end) != Some(&b'"') {
            return None;
        }
        self.at = end + 1;
        Some(time)
    }

    /// Only whitespace is left on the line: the bytes taken, its newline included.
    #[inline(always)]
    fn end(&mut self) -> Option<usize> {
        self.ws();
        match self.bytes.get(self.at) {
            None => Some(self.at),
            Some(b'\n') => Some(self.at + 1),
            Some(_) => None,
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `v` that is zero (and maybe in bytes above one).
#[inline(always)]
fn zero_bytes(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v & HIGHS
}

/// Length of the string body at the start of `bytes` up to its closing quote, and
/// whether it is all ASCII; `None` if it has an escape or a control character (or no
/// closing quote). Eight bytes at a time: the first flagged byte is exact (only bytes
/// above a true match can be flagged falsely).
#[inline(always)]
fn plain_string_len(bytes: &[u8]) -> Option<(usize, bool)> {
    let mut i = 0;
    let mut high = 0u64;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let v = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let flagged = zero_bytes(v ^ (ONES * u64::from(b'"')))
            | zero_bytes(v ^ (ONES * u64::from(b'\\')))
            | (v.wrapping_sub(ONES * 0x20) & !v & HIGHS);
        if flagged != 0 {
            let at = i + (flagged.trailing_zeros() / 8) as usize;
            if bytes[at] != b'"' {
                return None;
            }
            let below = (1u64 << (flagged.trailing_zeros() & !7)).wrapping_sub(1);
            return Some((at, (high | (v & below)) & HIGHS == 0));
        }
        high |= v;
        i += 8;
    }
    loop {
        match *bytes.get(i)? {
            b'"' => return Some((i, high & HIGHS == 0 && bytes[..i].is_ascii())),
            b'\\' | 0..=0x1f => return None,
            _ => i += 1,
        }
    }
}

/// Powers of ten that f64 holds exactly.
const EXACT_POWERS: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
    1e19, 1e20, 1e21, 1e22,
];

/// Clinger's fast path for a JSON number already checked against JSON's grammar: when
/// the decimal significand is below 2^53 and the power of ten is at most 22 either way,
/// both are exact f64s and one IEEE multiplication or division rounds correctly, so the
/// result is the correctly rounded value (what `str::parse` and Python's `float` give).
/// `None` for everything else (left to `str::parse`).
#[inline(always)]
fn clinger(text: &[u8]) -> Option<f64> {
    let (negative, digits) = match text {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, text),
    };
    let mut mantissa: u64 = 0;
    let mut count = 0usize;
    let mut scale: i64 = 0;
    let mut seen_dot = false;
    let mut i = 0;
    while let Some(&byte) = digits.get(i) {
        match byte {
            b'0'..=b'9' => {
                if count == 19 {
                    return None;
                }
                if mantissa != 0 || byte != b'0' {
                    count += 1;
                }
                mantissa = mantissa * 10 + u64::from(byte - b'0');
                if seen_dot {
                    scale -= 1;
                }
            }
            b'.' => seen_dot = true,
            _ => break,
        }
        i += 1;
    }
    if let Some(b'e' | b'E') = digits.get(i) {
        let mut j = i + 1;
        let negative_exp = match digits.get(j) {
            Some(b'-') => {
                j += 1;
                true
            }
            Some(b'+') => {
                j += 1;
                false
            }
            _ => false,
        };
        let mut exp: i64 = 0;
        while let Some(&byte @ b'0'..=b'9') = digits.get(j) {
            if exp > 1000 {
                return None;
            }
            exp = exp * 10 + i64::from(byte - b'0');
            j += 1;
        }
        scale += if negative_exp { -exp } else { exp };
    }
    if mantissa >= 1 << 53 {
        return None;
    }
    let m = mantissa as f64;
    let value = match scale {
        0 => m,
        1..=22 => m * EXACT_POWERS[scale as usize],
        -22..=-1 => m / EXACT_POWERS[(-scale) as usize],
        _ => return None,
    };
    Some(if negative { -value } else { value })
}

/// Two ASCII digits as a number, or `None`.
#[inline(always)]
fn two(a: u8, b: u8) -> Option<i64> {
    let (a, b) = (a.wrapping_sub(b'0'), b.wrapping_sub(b'0'));
    (a < 10 && b < 10).then(|| i64::from(a) * 10 + i64::from(b))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
#[inline]
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[inline]
fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` at the start of `text`: the time and the bytes it
/// takes; `None` for anything else (left to chrono) or a time i64 nanoseconds cannot
/// hold.
#[inline(always)]
pub(crate) fn parse_time_prefix(text: &[u8], dates: &mut DateMemo) -> Option<(DateTime<chrono::Utc>, usize)> {
    let t: &[u8; 20] = text.get(..20)?.try_into().ok()?;
    if t[4] != b'-' || t[7] != b'-' || t[10] != b'T' || t[13] != b':' || t[16] != b':' {
        return None;
    }
    let year = two(t[0], t[1])? * 100 + two(t[2], t[3])?;
    let month = two(t[5], t[6])?;
    let day = two(t[8], t[9])?;
    let hour = two(t[11], t[12])?;
    let minute = two(t[14], t[15])?;
    let second = two(t[17], t[18])?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let (nanos, used) = match t[19] {
        b'Z' => (0, 20),
        b'.' => {
            let mut value = 0i64;
            let mut i = 20;
            while let Some(digit @ b'0'..=b'9') = text.get(i) {
                if i == 29 {
                    return None;
                }
                value = value * 10 + i64::from(digit - b'0');
                i += 1;
            }
            if i == 20 || text.get(i) != Some(&b'Z') {
                return None;
            }
            (value * 10i64.pow(29 - i as u32), i + 1)
        }
        _ => return None,
    };
    if !(1678..=2261).contains(&year) {
        // Near or outside the i64 nanosecond range: check exactly.
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
        let ns = i64::try_from(i128::from(seconds) * 1_000_000_000 + i128::from(nanos)).ok()?;
        return Some((DateTime::from_timestamp_nanos(ns), used));
    }
    let date = dates.date(year, month, day)?;
    let time = chrono::NaiveTime::from_hms_nano_opt(hour as u32, minute as u32, second as u32, nanos as u32)?;
    Some((chrono::NaiveDateTime::new(date, time).and_utc(), used))
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` as nanoseconds since the epoch (see
/// [`parse_time_prefix`]).
#[cfg(test)]
pub(crate) fn parse_time_ns(text: &[u8]) -> Option<i64> {
    match parse_time_prefix(text, &mut DateMemo::default())? {
        (time, used) if used == text.len() => time.timestamp_nanos_opt(),
        _ => None,
    }
}

/// A trade event object `{"time_exchange":..,"kind":{"Trade":{..}}}` in barter's key order.
#[inline(always)]
fn trade_event<'a>(c: &mut Cursor<'a>, cache: &mut ExchangeCache) -> Option<TradeRef<'a>> {
    c.byte(b'{')?;
    c.key(b"\"time_exchange\"")?;
    let time_exchange = c.time(&mut cache.dates)?;
    c.byte(b',')?;
    c.key(b"\"time_received\"")?;
    let time_received = c.time(&mut cache.dates)?;
    c.byte(b',')?;
    c.key(b"\"exchange\"")?;
    let exchange = cache.lookup(c.quoted()?)?;
    c.byte(b',')?;
    c.key(b"\"instrument\"")?;
    let instrument = c.usize()?;
    c.byte(b',')?;
    c.key(b"\"kind\"")?;
    c.byte(b'{')?;
    c.key(b"\"Trade\"")?;
    c.byte(b'{')?;
    c.key(b"\"id\"")?;
    let id = c.str()?;
    c.byte(b',')?;
    c.key(b"\"price\"")?;
    let price = c.f64()?;
    c.byte(b',')?;
    c.key(b"\"amount\"")?;
    let amount = c.f64()?;
    c.byte(b',')?;
    c.key(b"\"side\"")?;
    let side = match c.quoted()? {
        b"\"Buy\"" => Side::Buy,
        b"\"Sell\"" => Side::Sell,
        _ => return None,
    };
    for _ in 0..3 {
        c.byte(b'}')?;
    }
    Some(TradeRef {
        time_exchange_ns: to_ns(time_exchange),
        time_received_ns: to_ns(time_received),
        exchange,
        instrument,
        price,
        amount,
        side,
        id,
    })
}

/// `{"Reconnecting":"<exchange>"}` once its opening brace is consumed, if it is one.
#[inline(always)]
fn reconnecting(c: &mut Cursor<'_>, cache: &mut ExchangeCache) -> Option<Option<ExchangeId>> {
    c.ws();
    if !c.bytes[c.at..].starts_with(b"\"Reconnecting\"") {
        return Some(None);
    }
    c.key(b"\"Reconnecting\"")?;
    let exchange = cache.lookup(c.quoted()?)?;
    c.byte(b'}')?;
    Some(Some(exchange))
}

/// The record on the line `bytes` starts with (they may go on past its newline) and the
/// bytes it takes up to and including its newline, if the fast path recognises it (see
/// the module docs).
pub fn parse_line<'a>(line: &'a [u8], cache: &mut ExchangeCache) -> Option<(FastRecord<'a>, usize)> {
    let mut c = Cursor { bytes: line, at: 0, newline_is_space: false };
    c.byte(b'{')?;
    if let Some(exchange) = reconnecting(&mut c, cache)? {
        let used = c.end()?;
        return Some((FastRecord::Reconnecting(exchange), used));
    }
    c.key(b"\"Item\"")?;
    let trade = trade_event(&mut c, cache)?;
    c.byte(b'}')?;
    let used = c.end()?;
    Some((FastRecord::Trade(trade), used))
}

/// What the fast path recognises: a trade (borrowing its id from the input) or a
/// reconnect marker.
pub enum FastRecord<'a> {
    Trade(TradeRef<'a>),
    Reconnecting(ExchangeId),
}

/// A whole JSON array of `{"Item":{"Ok":<trade>}}` / `{"Reconnecting":..}` results, if
/// the fast path recognises every element (and there is at least one); `None` otherwise,
/// and the caller parses the array with serde, which then decides every value and error
/// (including `Err` items and `skip_errors`).
///
/// Gives up (`None`) once `cancel` is tripped, checked every 16,384 elements.
pub(crate) fn parse_array(
    bytes: &[u8],
    cache: &mut ExchangeCache,
    cancel: &Cancel,
) -> Option<super::Builder> {
    let mut c = Cursor { bytes, at: 0, newline_is_space: true };
    c.byte(b'[')?;
    let mut builder = super::Builder::with_capacity(bytes.len() / 200 + 1);
    for element in 0usize.. {
        if element % 16_384 == 0 && cancel.is_tripped() {
            return None;
        }
        c.byte(b'{')?;
        match reconnecting(&mut c, cache)? {
            Some(exchange) => builder.reconnect(exchange),
            None => {
                c.key(b"\"Item\"")?;
                c.byte(b'{')?;
                c.key(b"\"Ok\"")?;
                let trade = trade_event(&mut c, cache)?;
                c.byte(b'}')?;
                c.byte(b'}')?;
                builder.trade(&trade);
            }
        }
        c.ws();
        match c.bytes.get(c.at) {
            Some(b',') => c.at += 1,
            Some(b']') => {
                c.at += 1;
                break;
            }
            _ => return None,
        }
    }
    c.ws();
    (c.at == c.bytes.len()).then_some(builder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_match_str_parse() {
        let mut cases: Vec<String> = [
            "0",
            "-0",
            "0.0",
            "-0.0",
            "1",
            "96962.51",
            "6e-05",
            "6E-05",
            "1e22",
            "1e23",
            "1e-22",
            "1e-23",
            "9007199254740991",
            "9007199254740992",
            "9007199254740993",
            "0.1",
            "0.30000000000000004",
            "123456789012345678",
            "1234567890123456789",
            "12345678901234567890",
            "2.2250738585072014e-308",
            "4.9e-324",
            "1.7976931348623157e308",
            "3498.99",
            "0.516312",
            "1.00000000000000000001",
            "0.000000000000000000000000000001",
            "100000000000000000000000",
            "7.3177701707893310e+15",
            "-1.5e-7",
            "123.456e3",
            "0e10",
            "0.0e-400",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let digits = state % 10_000_000_000_000_000;
            let point = (state >> 56) % 20;
            let text = digits.to_string();
            let text = if (point as usize) < text.len() {
                format!("{}.{}", &text[..point as usize + 1], &text[point as usize + 1..])
            } else {
                text
            };
            let text = if text.ends_with('.') { format!("{text}0") } else { text };
            cases.push(match (state >> 40) % 4 {
                0 => format!("{text}e-{}", (state >> 20) % 30),
                1 => format!("{text}e{}", (state >> 20) % 30),
                _ => text,
            });
        }
        for text in cases {
            let mut c = Cursor { bytes: text.as_bytes(), at: 0, newline_is_space: false };
            let fast = c.f64();
            let reference: f64 = text.parse().unwrap();
            if reference.is_finite() {
                assert_eq!(fast.map(f64::to_bits), Some(reference.to_bits()), "{text}");
            } else {
                assert_eq!(fast, None, "{text}");
            }
        }
    }

    #[test]
    fn strings() {
        assert_eq!(plain_string_len(b"abc\""), Some((3, true)));
        assert_eq!(plain_string_len(b"0123456789abcdef\"x"), Some((16, true)));
        assert_eq!(plain_string_len("0123456789\u{e9}ab\"".as_bytes()), Some((14, false)));
        assert_eq!(plain_string_len("\u{e9}\"0123456789\u{e9}".as_bytes()), Some((2, false)));
        assert_eq!(plain_string_len("ab\"0123456789\u{e9}".as_bytes()), Some((2, true)));
        assert_eq!(plain_string_len(b"0123456789\\\""), None);
        assert_eq!(plain_string_len(b"01234\t56789\""), None);
        assert_eq!(plain_string_len(b"0123456789"), None);
    }

    #[test]
    fn times_match_chrono() {
        for text in [
            "2024-12-20T19:05:18.175Z",
            "2024-12-20T19:05:18.319581890Z",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999999999Z",
            "2000-02-29T12:00:00.5Z",
            "1677-09-21T00:12:43.145224192Z",
            "2262-04-11T23:47:16.854775807Z",
            "1900-03-01T00:00:00.000000001Z",
        ] {
            let chrono_ns: DateTime<chrono::Utc> = text.parse().unwrap();
            assert_eq!(parse_time_ns(text.as_bytes()), chrono_ns.timestamp_nanos_opt(), "{text}");
        }
        for text in [
            "2262-04-11T23:47:16.854775808Z",
            "1677-09-21T00:12:43.145224191Z",
            "2023-02-29T00:00:00Z",
            "2024-12-20T19:05:60Z",
            "2024-12-20T19:05:18.1234567890Z",
            "2024-12-20T19:05:18.Z",
            "2024-12-20 19:05:18Z",
            "2024-12-20T19:05:18+00:00",
            "9999-12-31T23:59:59Z",
        ] {
            assert_eq!(parse_time_ns(text.as_bytes()), None, "{text}");
        }
    }
}
