"""Tests for loading market data at disk speed: parallel JSON Lines (equal to one thread,
first error in file order), floats bit-exact against Python's ``float``, gzip and zstd
by magic bytes, only regular files, times outside i64 nanoseconds, and the binary form
(``to_bytes``/``from_bytes``, ``save``/``load``, pickling): exact round trips of every
record kind, truncation and bit flips as ValueError, other versions named, memory."""

from __future__ import annotations

import gzip
import json
import os
import pathlib
import pickle
import shutil
import struct
import subprocess
import sys
import textwrap
import threading
import time
from decimal import Decimal

import pytest

from barter_cy import MarketDataInMemory, SystemConfig
from barter_cy.data import (
    Candle,
    Level,
    Liquidation,
    MarketEvent,
    OrderBookEvent,
    OrderBookL1,
    PublicTrade,
    Reconnecting,
    Side,
)

T0 = 1_734_721_518_175_000_000


def _line(i: int, *, price: str = "96962.51", time_exchange: str | None = None, spaced: bool = False,
          reordered: bool = False) -> str:
    ns = T0 + i * 1_234_567
    sec, frac = divmod(ns, 1_000_000_000)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{frac:09d}Z"
    te = time_exchange or stamp
    record = (
        f'{{"Item":{{"time_exchange":"{te}","time_received":"{stamp}","exchange":"binance_spot",'
        f'"instrument":{i % 3},"kind":{{"Trade":{{"id":"{4314349047 + i}","price":{price},'
        f'"amount":6e-05,"side":"{"Sell" if i % 3 == 0 else "Buy"}"}}}}}}}}'
    )
    if reordered:
        # Keys in another order: outside the loader's fast path, parsed by serde.
        kind = record[record.index('"kind":'):-2]
        record = '{"Item":{' + kind + "," + record[len('{"Item":{'):record.index(',"kind":')] + "}}"
    if spaced:
        # Spaces between every token, the number texts untouched (serde's path).
        record = " " + record.replace('":', '" : ').replace(',"', ' , "').replace("{", "{ ").replace("}", " }") + " "
    return record


def _jsonl(n: int, *, reconnect_every: int = 1000, spaced: bool = False) -> str:
    """``n`` trades with a reconnect marker every ``reconnect_every``."""
    out = []
    for i in range(n):
        if reconnect_every and i % reconnect_every == reconnect_every - 1:
            out.append('{"Reconnecting":"binance_spot"}')
        out.append(_line(i, spaced=spaced))
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def big_jsonl() -> str:
    """~6 MB of JSON Lines: several of the loader's 1 MiB blocks."""
    return _jsonl(25_000)


def _summary(md: MarketDataInMemory):
    return (len(md), md.item_count, md.reconnect_count, md.skipped_error_count,
            md.time_first_event_ns, md.max_instrument_index)


# =========================================================================== #
# Parallel JSON Lines
# =========================================================================== #
def test_threads_give_identical_data(big_jsonl, tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text(big_jsonl)
    one = MarketDataInMemory.from_json_file(path, threads=1)
    assert one.item_count == 25_000 and one.reconnect_count == 25
    reference = one.to_bytes()
    for threads in (2, 3, 8, None):
        md = MarketDataInMemory.from_json_file(path, threads=threads)
        assert _summary(md) == _summary(one)
        assert md.to_bytes() == reference
    # Spaced JSON, keys in another order (parsed by serde) and bytes give the same records.
    assert MarketDataInMemory.from_json_str(_jsonl(25_000, spaced=True)).to_bytes() == reference
    reordered = "\n".join(_line(i, reordered=True) if line.startswith('{"Item"') else line
                           for i, line in enumerate(big_jsonl.replace('{"Reconnecting":"binance_spot"}\n', "").splitlines()))
    assert MarketDataInMemory.from_json_str(reordered).events() == MarketDataInMemory.from_json_str(
        big_jsonl.replace('{"Reconnecting":"binance_spot"}\n', "")).events()
    assert MarketDataInMemory.from_json_bytes(big_jsonl.encode()).to_bytes() == reference


def test_first_error_in_file_order_with_any_thread_count(big_jsonl, tmp_path):
    lines = big_jsonl.splitlines()
    lines[20_000] = "{broken"
    lines[9_000] = lines[9_000].replace('"side":"Buy"', '"side":"Up"').replace('"side":"Sell"', '"side":"Up"')
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join(lines) + "\n")
    messages = set()
    for threads in (1, 2, 4):
        with pytest.raises(ValueError) as info:
            MarketDataInMemory.from_json_file(path, threads=threads)
        messages.add(str(info.value))
    assert len(messages) == 1, messages
    (message,) = messages
    assert message.startswith(f"{path}: line 9001 column "), message
    assert "unknown side `Up`" in message


@pytest.mark.parametrize("threads", [0, -1, 1025, 2**64])
def test_threads_out_of_range(threads, example_market_data_path):
    with pytest.raises(ValueError, match="threads must be between 1 and 1024"):
        MarketDataInMemory.from_json_file(example_market_data_path, threads=threads)


@pytest.mark.parametrize("threads", ["2", 2.0, True])
def test_threads_wrong_type(threads, example_market_data_path):
    with pytest.raises(TypeError, match="threads must be an int or None"):
        MarketDataInMemory.from_json_file(example_market_data_path, threads=threads)


AWKWARD_FLOATS = [
    "0", "-0", "-0.0", "0.1", "0.2", "0.30000000000000004", "1e-300", "5e-324", "4.9e-324",
    "2.2250738585072011e-308", "2.2250738585072014e-308", "1.7976931348623157e308",
    "9007199254740993", "9007199254740992.5", "123456789012345678901234567890",
    "0.1000000000000000055511151231257827021181583404541015625", "1e22", "1e23", "8.41e21",
    "96962.51", "6e-05", "6E-05", "1.5e+3", "3.4028236e38", "7.3177701707893310e15",
    "0.000001", "1234567.8901234567", "2.5e-10", "-123.456e-7",
]


@pytest.mark.parametrize("text", AWKWARD_FLOATS)
def test_prices_equal_python_float_bit_for_bit(text):
    lines = [_line(0, price=text), _line(1, price=text, spaced=True), _line(2, price=text, reordered=True)]
    md = MarketDataInMemory.from_json_str("\n".join(lines))
    expected = struct.pack("<d", float(text))
    for event in md.events():
        assert struct.pack("<d", event.kind.value.price) == expected, (text, event.kind.value.price)
    array = '[{"Item":{"Ok":' + lines[0][len('{"Item":'):] + "}]"
    for event in MarketDataInMemory.from_json_str(array).events():
        assert struct.pack("<d", event.kind.value.price) == expected


def test_overflowing_float_is_rejected():
    with pytest.raises(ValueError, match="line 1 column"):
        MarketDataInMemory.from_json_str(_line(0, price="1e400"))


# =========================================================================== #
# Times outside what i64 nanoseconds hold (issue 10, finding 4)
# =========================================================================== #
@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z",
                                   "2262-04-11T23:47:16.854775808Z", "1677-09-21T00:12:43.145224191Z"])
def test_times_outside_i64_nanoseconds_are_rejected(stamp, tmp_path):
    text = "\n".join([_line(0), '{"Reconnecting":"okx"}', _line(2, time_exchange=stamp)]) + "\n"
    path = tmp_path / "times.jsonl"
    path.write_text(text)
    for threads in (1, 2):
        with pytest.raises(ValueError, match=rf"^{path}: line 3: record 2: time_exchange .*outside the range"):
            MarketDataInMemory.from_json_file(path, threads=threads)
    array = json.dumps([{"Item": {"Ok": json.loads(line)["Item"]}} for line in (_line(0), _line(1, time_exchange=stamp))])
    with pytest.raises(ValueError, match=r"<json>: record 1: time_exchange .*outside the range"):
        MarketDataInMemory.from_json_str(array)


def test_times_at_the_ends_of_the_range_are_kept():
    md = MarketDataInMemory.from_json_str(
        _line(0, time_exchange="2262-04-11T23:47:16.854775807Z") + "\n"
        + _line(1, time_exchange="1677-09-21T00:12:43.145224192Z"))
    assert [e.time_exchange_ns for e in md.events()] == [2**63 - 1, -(2**63)]


# =========================================================================== #
# Compressed input
# =========================================================================== #
def test_gzip_detected_by_magic_bytes(big_jsonl, tmp_path):
    reference = MarketDataInMemory.from_json_str(big_jsonl).to_bytes()
    data = gzip.compress(big_jsonl.encode(), compresslevel=1)
    for name in ("data.jsonl.gz", "data.jsonl", "data"):
        path = tmp_path / name
        path.write_bytes(data)
        assert MarketDataInMemory.from_json_file(path).to_bytes() == reference
    # Concatenated members are one stream (as `cat a.gz b.gz`).
    path = tmp_path / "twice.gz"
    path.write_bytes(data + data)
    assert MarketDataInMemory.from_json_file(path).item_count == 50_000


def test_gzip_array_shape(example_market_data_path, tmp_path):
    path = tmp_path / "example.json.gz"
    path.write_bytes(gzip.compress(pathlib.Path(example_market_data_path).read_bytes()))
    assert (MarketDataInMemory.from_json_file(path).events()
            == MarketDataInMemory.from_json_file(example_market_data_path).events())


@pytest.mark.skipif(shutil.which("zstd") is None, reason="needs the zstd command line tool")
def test_zstd_detected_by_magic_bytes(big_jsonl, tmp_path):
    plain = tmp_path / "data.jsonl"
    plain.write_text(big_jsonl)
    subprocess.run(["zstd", "-q", "-3", str(plain), "-o", str(tmp_path / "data.jsonl.zst")], check=True)
    reference = MarketDataInMemory.from_json_file(plain).to_bytes()
    zst = tmp_path / "data.jsonl.zst"
    assert MarketDataInMemory.from_json_file(zst).to_bytes() == reference
    renamed = tmp_path / "misnamed.json"
    shutil.copy(zst, renamed)
    assert MarketDataInMemory.from_json_file(renamed, threads=1).to_bytes() == reference
    truncated = tmp_path / "truncated.zst"
    truncated.write_bytes(zst.read_bytes()[:-10])
    with pytest.raises(ValueError, match=rf"{truncated}: corrupt or truncated zstd data"):
        MarketDataInMemory.from_json_file(truncated)


@pytest.mark.parametrize("cut", [12, 1000, -4])
def test_truncated_gzip_is_value_error(big_jsonl, tmp_path, cut):
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(big_jsonl.encode())[:cut])
    with pytest.raises(ValueError, match=rf"{path}: corrupt or truncated gzip data"):
        MarketDataInMemory.from_json_file(path)


# =========================================================================== #
# Only regular files (issue 10, "Files")
# =========================================================================== #
def _in_thread(call, timeout=10.0):
    """Runs ``call`` in a thread; fails (instead of hanging) if it does not return."""
    result = {}

    def run():
        try:
            result["value"] = call()
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            result["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "the call blocked"
    return result


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    for call in (lambda: MarketDataInMemory.from_json_file(fifo),
                 lambda: MarketDataInMemory.load(fifo),
                 lambda: SystemConfig.from_json(fifo)):
        error = _in_thread(call).get("error")
        assert isinstance(error, OSError) and not isinstance(error, FileNotFoundError), error
        assert str(fifo) in str(error) and "a FIFO" in str(error)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_devices_are_refused(device):
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    for call in (lambda: MarketDataInMemory.from_json_file(device),
                 lambda: MarketDataInMemory.load(device),
                 lambda: SystemConfig.from_json(device)):
        error = _in_thread(call).get("error")
        assert isinstance(error, OSError), error
        assert device in str(error) and "only regular files" in str(error)


def test_directory_is_refused_everywhere(tmp_path):
    for call in (MarketDataInMemory.from_json_file, MarketDataInMemory.load, SystemConfig.from_json):
        with pytest.raises(OSError, match="a directory") as info:
            call(tmp_path)
        assert not isinstance(info.value, FileNotFoundError)


def test_config_file_with_bom_is_accepted(example_config_path, tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + pathlib.Path(example_config_path).read_bytes())
    assert SystemConfig.from_json(path).to_dict() == SystemConfig.from_json(example_config_path).to_dict()


def test_market_data_file_with_bom_is_accepted(big_jsonl, tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + big_jsonl.encode())
    assert MarketDataInMemory.from_json_file(path).to_bytes() == MarketDataInMemory.from_json_str(big_jsonl).to_bytes()
    gz = tmp_path / "bom.jsonl.gz"
    gz.write_bytes(gzip.compress(b"\xef\xbb\xbf" + big_jsonl.encode()))
    assert MarketDataInMemory.from_json_file(gz).item_count == 25_000


# =========================================================================== #
# Binary form: to_bytes / from_bytes, save / load, pickle
# =========================================================================== #
def _ev(kind, t, *, exchange="binance_spot", instrument=0):
    return MarketEvent(t, t + 7, exchange, instrument, kind)


EVERY_KIND = [
    Reconnecting("okx"),
    _ev(PublicTrade("4314349047", 96962.51, 6e-05, Side.BUY), T0),
    _ev(PublicTrade("", 0.1 + 0.2, 5e-324, Side.SELL), T0 - 5, instrument=7),
    _ev(PublicTrade("ünï ✓", -0.0, 1.7976931348623157e308, Side.BUY), T0 + 1, exchange="okx"),
    _ev(PublicTrade("00123", 1e-300, 2.5, Side.SELL), 2**63 - 8, exchange="okx"),
    _ev(OrderBookL1(T0 + 9, Level(Decimal("96962.123456789012345678"), Decimal("0.000000000000000001")),
                    Level(Decimal("96962.5200"), Decimal("1.25"))), T0 + 9, instrument=1),
    _ev(OrderBookL1(T0 + 10), T0 + 10, instrument=1),
    _ev(OrderBookEvent.snapshot(42, None, [Level("1.10", "0.5"), Level("1.1", "2"), Level("0.5", "3.000")],
                                [Level("2", "1"), Level("2.0", "4")]), T0 + 11, instrument=2),
    _ev(OrderBookEvent.update(2**64 - 1, T0 + 101, [], [Level("96965.123456789", "0.000000001")]),
        T0 + 12, instrument=2),
    _ev(Candle(T0 + 17, 96962.51, 96990.0, 96900.25, 96950.0, 12.345678, 2**64 - 1), -(2**63) + 3, instrument=1),
    _ev(Liquidation(Side.SELL, 3500.25, 0.75, T0 + 19), T0 + 13, exchange="bybit_perpetuals_usd", instrument=3),
    _ev(Liquidation(Side.BUY, 200.5, 1e-9, T0 + 21), T0 + 14, exchange="okx", instrument=4),
    Reconnecting("binance_spot"),
]


def _exact(md: MarketDataInMemory):
    """Everything observable, with floats as bits and decimals as strings (scale kept)."""
    rows = []
    for event in md.events():
        value = event.kind.value
        fields = {}
        for name in dir(value):
            if name.startswith("_"):
                continue
            attr = getattr(value, name)
            if callable(attr):
                continue
            fields[name] = struct.pack("<d", attr) if isinstance(attr, float) else repr(attr)
        rows.append((event.time_exchange_ns, event.time_received_ns, event.exchange, event.instrument,
                     event.kind.kind_name, sorted(fields.items())))
    return _summary(md), rows


def test_to_bytes_round_trips_every_kind_exactly():
    md = MarketDataInMemory(EVERY_KIND)
    data = md.to_bytes()
    assert isinstance(data, bytes) and data[:8] == b"BARTERMD"
    back = MarketDataInMemory.from_bytes(data)
    assert back.events() == md.events()
    assert _exact(back) == _exact(md)
    assert repr(back) == repr(md)
    assert back.to_bytes() == data
    for variant in (bytearray(data), memoryview(data), memoryview(bytearray(data))):
        assert MarketDataInMemory.from_bytes(variant).to_bytes() == data
    # Decimal scales survive (1.10 is not 1.1 here).
    levels = [str(level.price) for level in back.events()[6].kind.value.bids]
    assert levels == ["1.10", "1.1", "0.5"]


def test_skipped_error_count_and_times_survive(tmp_path):
    records = [{"Item": {"Ok": json.loads(_line(0))["Item"]}}, {"Item": {"Err": "socket closed"}},
               {"Reconnecting": "binance_spot"}, {"Item": {"Ok": json.loads(_line(1))["Item"]}}]
    md = MarketDataInMemory.from_json_str(json.dumps(records), skip_errors=True)
    assert md.skipped_error_count == 1
    back = MarketDataInMemory.from_bytes(md.to_bytes())
    assert _summary(back) == _summary(md)
    assert [e.time_received_ns for e in back.events()] == [e.time_received_ns for e in md.events()]


def test_save_and_load(big_jsonl, tmp_path):
    md = MarketDataInMemory.from_json_str(big_jsonl)
    path = tmp_path / "cache.bmd"
    md.save(path)
    assert path.read_bytes() == md.to_bytes()
    assert not list(tmp_path.glob("*.tmp-*"))
    for threads in (None, 1, 2):
        back = MarketDataInMemory.load(path, threads=threads)
        assert back.to_bytes() == md.to_bytes()
    back = MarketDataInMemory.load(str(path))
    assert back.events()[:100] == md.events()[:100]
    # Trades are saved as columns (format version 2): about 43 bytes per trade here
    # (times, price, amount, side, instrument, a 10-digit id), against ~230 of JSON.
    assert path.read_bytes()[8] == 2
    assert path.stat().st_size < 48 * len(md)


def test_load_errors(tmp_path, example_market_data_path):
    with pytest.raises(FileNotFoundError, match="missing.bmd"):
        MarketDataInMemory.load(tmp_path / "missing.bmd")
    with pytest.raises(ValueError, match="not a valid barter_cy market data cache: it does not start"):
        MarketDataInMemory.load(example_market_data_path)
    good = MarketDataInMemory(EVERY_KIND).to_bytes()
    path = tmp_path / "short.bmd"
    path.write_bytes(good[:-1])
    with pytest.raises(ValueError, match=rf"^{path}: not a valid barter_cy market data cache: the file has"):
        MarketDataInMemory.load(path)
    path.write_bytes(good[:30])
    with pytest.raises(ValueError, match="truncated header"):
        MarketDataInMemory.load(path)
    with pytest.raises(TypeError, match="path must be str or os.PathLike"):
        MarketDataInMemory.load(b"x")
    with pytest.raises(TypeError, match="path must be str or os.PathLike"):
        MarketDataInMemory(EVERY_KIND).save(3)


TRADES_ONLY = [e for e in EVERY_KIND if isinstance(e, Reconnecting) or e.kind.kind_name == "public_trade"]


def test_trades_are_held_and_saved_as_columns_other_kinds_as_records(tmp_path):
    """Trades (and markers) only: format version 2 (the column store); any other kind:
    version 1. Both give back exactly what went in, through bytes, files and pickle."""
    trades, mixed = MarketDataInMemory(TRADES_ONLY), MarketDataInMemory(EVERY_KIND)
    assert trades.to_bytes()[8] == 2 and mixed.to_bytes()[8] == 1
    assert trades.events() == [e for e in mixed.events() if e.kind.kind_name == "public_trade"]
    for md in (trades, mixed):
        data = md.to_bytes()
        back = MarketDataInMemory.from_bytes(data)
        assert _exact(back) == _exact(md)
        assert back.to_bytes() == data
        md.save(tmp_path / "cache")
        assert _exact(MarketDataInMemory.load(tmp_path / "cache")) == _exact(md)
        assert _exact(pickle.loads(pickle.dumps(md))) == _exact(md)
        # Lazy iteration, copies and the numpy export read both stores alike.
        items = [r for r in (EVERY_KIND if md is mixed else TRADES_ONLY) if not isinstance(r, Reconnecting)]
        assert list(iter(back)) == items
        assert back.copy().to_bytes() == data
    cols, mixed_cols = trades.to_numpy(), mixed.to_numpy()
    assert all((cols[name] == mixed_cols[name]).all() for name in cols)
    assert list(cols["time_received_ns"]) == [e.time_received_ns for e in trades.events()]


def test_version_2_truncated_or_flipped_is_value_error():
    data = MarketDataInMemory(TRADES_ONLY).to_bytes()
    assert data[8] == 2
    for cut in range(len(data)):
        with pytest.raises(ValueError):
            MarketDataInMemory.from_bytes(data[:cut])
    for bit in range(len(data) * 8):
        flipped = bytearray(data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(ValueError):
            MarketDataInMemory.from_bytes(bytes(flipped))


def test_a_json_file_of_trades_and_its_record_twin_backtest_identically(example_config_path):
    """The JSON loader keeps trades as columns; the same events plus an empty L1 book
    (no price: it moves nothing) keep barter's records: same events, same summary."""
    from barter_cy import BacktestArgsConstant, BacktestArgsDynamic
    from barter_cy.backtest import backtest
    from barter_cy.strategy import SmaCross

    walk = [_line(i, price=f"{100 + (i * 7919 % 400) / 100:.2f}") for i in range(3000)]
    walk.insert(1500, '{"Reconnecting":"binance_spot"}')
    columns = MarketDataInMemory.from_json_str("\n".join(walk))
    assert columns.to_bytes()[8] == 2
    empty_book = _ev(OrderBookL1(T0 + 10**15), T0 + 10**15, instrument=2)
    records = MarketDataInMemory(list(columns) + [empty_book])
    assert records.to_bytes()[8] == 1
    assert records.events()[:-1] == columns.events()
    config = SystemConfig.from_json(example_config_path)
    summaries = []
    for md in (columns, records):
        args = BacktestArgsConstant(config, md, summary_interval="daily")
        dyn = BacktestArgsDynamic("sma", Decimal("0.05"), strategy=SmaCross(3, 9, "0.0001"))
        summary = backtest(args, dyn)
        summaries.append((summary.pnl, [(p.price_entry, p.price_exit, p.pnl) for p in summary.positions]))
    assert summaries[0][1] and summaries[0] == summaries[1]


def test_truncation_at_every_offset_is_value_error():
    data = MarketDataInMemory(EVERY_KIND).to_bytes()
    for cut in range(len(data)):
        with pytest.raises(ValueError):
            MarketDataInMemory.from_bytes(data[:cut])
    with pytest.raises(ValueError, match="past the end"):
        MarketDataInMemory.from_bytes(data + b"\0")


def test_every_bit_flip_is_value_error():
    data = MarketDataInMemory(EVERY_KIND).to_bytes()
    for bit in range(len(data) * 8):
        flipped = bytearray(data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(ValueError):
            MarketDataInMemory.from_bytes(bytes(flipped))


def test_other_version_is_named():
    data = bytearray(MarketDataInMemory(EVERY_KIND).to_bytes())
    data[8:10] = (7).to_bytes(2, "little")
    with pytest.raises(ValueError, match="format version 7; this build of barter_cy reads versions 1 and 2"):
        MarketDataInMemory.from_bytes(bytes(data))


@pytest.mark.parametrize("junk", [b"", b"[]", b"BARTERM", b"\x00" * 100, "{}".encode()])
def test_foreign_bytes_are_value_error(junk):
    with pytest.raises(ValueError, match="not a valid barter_cy market data cache"):
        MarketDataInMemory.from_bytes(junk)


def test_from_bytes_wrong_type():
    with pytest.raises(TypeError, match="data must be bytes-like, got str"):
        MarketDataInMemory.from_bytes("BARTERMD")


@pytest.mark.parametrize("protocol", range(2, pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_round_trip(protocol, big_jsonl):
    for md in (MarketDataInMemory(EVERY_KIND), MarketDataInMemory.from_json_str(big_jsonl)):
        payload = pickle.dumps(md, protocol=protocol)
        back = pickle.loads(payload)
        assert type(back) is MarketDataInMemory
        assert back.to_bytes() == md.to_bytes()
        assert back.events() == md.events()
        # The pickle carries the compact binary form, not JSON or event objects
        # (protocol 2 has no bytes opcode and spells them as latin-1 text).
        if protocol >= 3:
            assert len(payload) < len(md.to_bytes()) + 200


def test_pickle_through_a_subprocess(tmp_path):
    md = MarketDataInMemory(EVERY_KIND)
    path = tmp_path / "md.pickle"
    path.write_bytes(pickle.dumps(md))
    code = textwrap.dedent(f"""
        import pickle, sys
        md = pickle.loads(open({str(path)!r}, "rb").read())
        sys.stdout.write(md.to_bytes().hex())
    """)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert bytes.fromhex(out) == md.to_bytes()


# =========================================================================== #
# Memory: the loaded data is held once
# =========================================================================== #
def test_peak_rss_during_load_is_at_most_1_5x_final(tmp_path):
    if not os.path.exists("/proc/self/status"):
        pytest.skip("needs /proc")
    path = tmp_path / "mem.jsonl"
    path.write_text(_jsonl(150_000))
    gz = tmp_path / "mem.jsonl.gz"
    gz.write_bytes(gzip.compress(path.read_bytes(), compresslevel=1))
    code = textwrap.dedent("""
        import sys
        from barter_cy import MarketDataInMemory

        def status(key):
            for line in open("/proc/self/status"):
                if line.startswith(key):
                    return int(line.split()[1])

        how, path = sys.argv[1], sys.argv[2]
        if how == "load":
            MarketDataInMemory.from_json_file(path).save(path + ".bmd")
            # Reset the high-water mark to the current RSS (Linux >= 4.0).
            open("/proc/self/clear_refs", "w").write("5")
            md = MarketDataInMemory.load(path + ".bmd")
        else:
            md = MarketDataInMemory.from_json_file(path)
        print(status("VmHWM:"), status("VmRSS:"), md.item_count)
    """)
    for how, source in (("json", path), ("json", gz), ("load", path)):
        out = subprocess.run([sys.executable, "-c", code, how, str(source)], check=True,
                             capture_output=True, text=True).stdout.split()
        peak, final, items = map(int, out)
        assert items == 150_000
        assert peak <= 1.5 * final, (how, source.name, peak, final)
