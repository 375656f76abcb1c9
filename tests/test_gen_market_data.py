"""Tests for bench/gen_market_data.py (loaded by path; bench/ is not a package)."""

import importlib.util
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

_GEN_PATH = Path(__file__).resolve().parent.parent / "bench" / "gen_market_data.py"


def _load():
    spec = importlib.util.spec_from_file_location("gen_market_data", _GEN_PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


gen = _load()

TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$")
EVENT_KEYS = {"time_exchange", "time_received", "exchange", "instrument", "kind"}
TRADE_KEYS = {"id", "price", "amount", "side"}
CANDLE_KEYS = {"close_time", "open", "high", "low", "close", "volume", "trade_count"}


def _ts_to_ns(ts):
    """Parse our fixed-format timestamp back to integer ns (stdlib only)."""
    import calendar
    import time

    secs = calendar.timegm(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S"))
    return secs * 1_000_000_000 + int(ts[20:29])


def _pos_finite(x):
    return isinstance(x, float) and math.isfinite(x) and x > 0


def _check_event(ev, n_instruments, exchange="binance_spot"):
    assert set(ev) == EVENT_KEYS
    assert ev["exchange"] == exchange
    assert isinstance(ev["instrument"], int) and 0 <= ev["instrument"] < n_instruments
    assert TS_RE.match(ev["time_exchange"]), ev["time_exchange"]
    assert TS_RE.match(ev["time_received"]), ev["time_received"]
    lat = _ts_to_ns(ev["time_received"]) - _ts_to_ns(ev["time_exchange"])
    assert 1_000_000 <= lat <= 500_000_000
    kind = ev["kind"]
    assert isinstance(kind, dict) and len(kind) == 1
    (tag, body), = kind.items()
    if tag == "Trade":
        assert set(body) == TRADE_KEYS
        assert isinstance(body["id"], str) and body["id"].isdigit()
        assert _pos_finite(body["price"])
        assert round(body["price"], 2) == body["price"]
        assert _pos_finite(body["amount"])
        assert round(body["amount"], 6) == body["amount"]
        assert body["side"] in ("Buy", "Sell")
    elif tag == "Candle":
        assert set(body) == CANDLE_KEYS
        for k in ("open", "high", "low", "close", "volume"):
            assert _pos_finite(body[k]), (k, body[k])
        assert isinstance(body["trade_count"], int)
        assert TS_RE.match(body["close_time"])
        assert body["close_time"] == ev["time_exchange"]
    else:
        pytest.fail(f"unexpected kind {tag}")
    return tag, body


def _read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _items(records):
    return [r["Item"] for r in records if "Item" in r]


@pytest.fixture
def jsonl_file(tmp_path):
    path = tmp_path / "md.jsonl"
    counts = gen.generate(path, 5000, n_instruments=4, seed=7, candle_every=10, reconnect_every=333)
    return path, counts


def test_determinism(tmp_path):
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    kw = dict(n_instruments=3, candle_every=5, reconnect_every=100)
    gen.generate(a, 3000, seed=42, **kw)
    gen.generate(b, 3000, seed=42, **kw)
    gen.generate(c, 3000, seed=43, **kw)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_counts_match_lines(jsonl_file):
    path, counts = jsonl_file
    records = _read_jsonl(path)
    assert set(counts) == {"items", "trades", "candles", "reconnects", "records"}
    assert counts["items"] == 5000
    assert counts["trades"] + counts["candles"] == counts["items"]
    assert counts["records"] == counts["items"] + counts["reconnects"] == len(records)
    assert counts["candles"] > 0
    assert counts["reconnects"] == 5000 // 333
    n_items = sum(1 for r in records if "Item" in r)
    n_rec = sum(1 for r in records if "Reconnecting" in r)
    assert n_items == counts["items"] and n_rec == counts["reconnects"]
    kinds = [next(iter(it["kind"])) for it in _items(records)]
    assert kinds.count("Trade") == counts["trades"]
    assert kinds.count("Candle") == counts["candles"]


def test_line_shape(jsonl_file):
    path, _ = jsonl_file
    raw = path.read_text(encoding="utf-8")
    assert raw.endswith("\n")
    for line in raw.splitlines():
        rec = json.loads(line)
        assert isinstance(rec, dict) and len(rec) == 1
        if "Reconnecting" in rec:
            assert rec == {"Reconnecting": "binance_spot"}
        else:
            _check_event(rec["Item"], 4)


def test_time_exchange_non_decreasing(jsonl_file):
    path, _ = jsonl_file
    times = [it["time_exchange"] for it in _items(_read_jsonl(path))]
    assert all(len(t) == 30 for t in times)
    assert all(a <= b for a, b in zip(times, times[1:]))
    assert times[0] >= "2024-12-20T19:05:18.175000000Z"


def test_trade_ids_increasing_per_instrument(jsonl_file):
    path, _ = jsonl_file
    last = {}
    for it in _items(_read_jsonl(path)):
        trade = it["kind"].get("Trade")
        if trade is None:
            continue
        tid = int(trade["id"])
        assert tid > last.get(it["instrument"], -1)
        last[it["instrument"]] = tid


def test_candle_consistency(jsonl_file):
    path, _ = jsonl_file
    candle_every = 10
    pending = {}  # instrument -> trades since last candle
    n_candles = 0
    for it in _items(_read_jsonl(path)):
        inst = it["instrument"]
        kind = it["kind"]
        if "Trade" in kind:
            pending.setdefault(inst, []).append((it["time_exchange"], kind["Trade"]))
            continue
        c = kind["Candle"]
        n_candles += 1
        trades = pending.pop(inst)
        assert c["trade_count"] == candle_every == len(trades)
        prices = [t["price"] for _, t in trades]
        assert c["high"] >= max(c["open"], c["close"])
        assert c["low"] <= min(c["open"], c["close"])
        assert c["open"] == prices[0]
        assert c["close"] == prices[-1]
        assert c["high"] == max(prices)
        assert c["low"] == min(prices)
        assert c["volume"] == pytest.approx(sum(t["amount"] for _, t in trades), abs=1e-6)
        assert c["close_time"] == trades[-1][0]
    assert n_candles > 0
    # Leftover trades never completed a candle, except possibly the very last
    # trade when the n_events budget ran out before its candle could be written.
    assert all(len(v) <= candle_every for v in pending.values())


def test_prices_start_near_levels(tmp_path):
    path = tmp_path / "lv.jsonl"
    gen.generate(path, 600, n_instruments=6, seed=1)
    first = {}
    for it in _items(_read_jsonl(path)):
        first.setdefault(it["instrument"], it["kind"]["Trade"]["price"])
    assert 90000 < first[0] < 110000
    assert 3000 < first[1] < 4000
    assert 150 < first[2] < 250
    for i in range(3, 6):
        assert 5 < first[i] < 1100


def test_array_shape(tmp_path):
    path = tmp_path / "md.json"
    counts = gen.generate(path, 2000, n_instruments=3, seed=3, candle_every=4,
                          reconnect_every=150, shape="array")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, list)
    assert len(data) == counts["records"]
    n_items = 0
    for rec in data:
        assert isinstance(rec, dict) and len(rec) == 1
        if "Reconnecting" in rec:
            assert rec == {"Reconnecting": "binance_spot"}
            continue
        assert set(rec["Item"]) == {"Ok"}
        _check_event(rec["Item"]["Ok"], 3)
        n_items += 1
    assert n_items == counts["items"] == 2000


def test_array_same_events_as_jsonl(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.json"
    gen.generate(a, 500, seed=9, candle_every=3, reconnect_every=50)
    gen.generate(b, 500, seed=9, candle_every=3, reconnect_every=50, shape="array")
    unwrapped = [
        {"Item": r["Item"]["Ok"]} if "Item" in r else r
        for r in json.loads(b.read_text(encoding="utf-8"))
    ]
    assert unwrapped == _read_jsonl(a)


def test_empty(tmp_path):
    p = tmp_path / "e.json"
    assert gen.generate(p, 0, shape="array")["records"] == 0
    assert json.loads(p.read_text()) == []
    p2 = tmp_path / "e.jsonl"
    gen.generate(p2, 0)
    assert p2.read_text() == ""


def test_format_ns():
    assert gen.format_ns(1734721518175000000) == "2024-12-20T19:05:18.175000000Z"
    assert gen.format_ns(0) == "1970-01-01T00:00:00.000000000Z"


def test_cli(tmp_path):
    out = tmp_path / "cli.jsonl"
    res = subprocess.run(
        [sys.executable, str(_GEN_PATH), str(out), "--events", "300", "--instruments", "2",
         "--seed", "5", "--candle-every", "7", "--reconnect-every", "40"],
        capture_output=True, text=True, check=True,
    )
    assert str(out) in res.stdout
    counts = json.loads(res.stdout.splitlines()[0])
    assert counts == gen.generate(tmp_path / "api.jsonl", 300, n_instruments=2, seed=5,
                                  candle_every=7, reconnect_every=40)
    assert out.read_bytes() == (tmp_path / "api.jsonl").read_bytes()

    arr = tmp_path / "cli.json"
    subprocess.run([sys.executable, str(_GEN_PATH), str(arr), "--events", "50", "--shape", "array"],
                   capture_output=True, text=True, check=True)
    assert len(json.loads(arr.read_text())) == 50
