"""Tests for barter_cy.summary: the pure-Python backtest summary models."""

from __future__ import annotations

import copy
import io
import json
import pickle
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from barter_cy.summary import (
    Balance,
    BacktestSummary,
    Drawdown,
    MeanDrawdown,
    Metric,
    MultiBacktestSummary,
    TearSheet,
    TearSheetAsset,
    TradingSummary,
    format_duration,
)

DEC_MAX = "79228162514264337593543950335"
DEC_MIN = "-79228162514264337593543950335"
DEC_TINY = "0.0000000000000000000000000001"
DEC_28 = "1234567890.123456789012345678"  # 28 significant digits
DEC_28_NEG = "-0.1234567890123456789012345678"

# 2024-01-01T00:00:00Z, plus some nanoseconds to check precision is kept
T0 = 1_704_067_200_000_000_000
T0_DT = datetime(2024, 1, 1, tzinfo=timezone.utc)
NS = 123_456_789  # sub-second part, 123456 us + 789 ns
HOUR_NS = 3_600 * 1_000_000_000
DAY_NS = 24 * HOUR_NS


# ---------------------------------------------------------------------------
# wire-dict builders
# ---------------------------------------------------------------------------


def metric(value: str, interval: str | None = "Daily") -> dict:
    return {"value": value, "interval": interval}


def drawdown(value: str, start: int, end: int) -> dict:
    return {"value": value, "time_start_ns": start, "time_end_ns": end}


def tear_sheet(pnl: str = "12.3400", *, interval: str = "Daily", full: bool = True, **over) -> dict:
    d = {
        "pnl": pnl,
        "pnl_return": metric("0.0512", interval),
        "sharpe_ratio": metric(DEC_MAX, interval),
        "sortino_ratio": metric(DEC_MIN, interval),
        "calmar_ratio": metric(DEC_28, interval),
        "pnl_drawdown": drawdown("-0.0250", T0, T0 + HOUR_NS) if full else None,
        "pnl_drawdown_mean": {"mean_drawdown": DEC_28_NEG, "mean_drawdown_ms": 90_000}
        if full
        else None,
        "pnl_drawdown_max": drawdown(DEC_TINY, T0 + NS, T0 + DAY_NS + NS) if full else None,
        "win_rate": {"value": "0.5"} if full else None,
        "profit_factor": {"value": "1.500"} if full else None,
    }
    d.update(over)
    return d


def tear_sheet_asset(total: str = "10000.00000000", free: str = "9000.5", *, full: bool = True) -> dict:
    if not full:
        return {"balance_end": None, "drawdown": None, "drawdown_mean": None, "drawdown_max": None}
    return {
        "balance_end": {"total": total, "free": free},
        "drawdown": drawdown("-0.1", T0, T0 + 2 * HOUR_NS),
        "drawdown_mean": {"mean_drawdown": "-0.05", "mean_drawdown_ms": 1_500},
        "drawdown_max": drawdown(DEC_MIN, T0, T0 + 3 * DAY_NS),
    }


def trading_summary(start: int = T0 + NS, duration_ns: int = 3 * DAY_NS + 5 * HOUR_NS) -> dict:
    return {
        "time_engine_start_ns": start,
        "time_engine_end_ns": start + duration_ns,
        "instruments": {
            "binance_spot-btc_usdt": tear_sheet(),
            "binance_spot-eth_usdt": tear_sheet("-0.0000000000000000000000000001", full=False),
        },
        "assets": {
            "binance_spot:usdt": tear_sheet_asset(),
            "binance_spot:btc": tear_sheet_asset(full=False),
        },
    }


def backtest_summary(id_: str = "bt-0", rfr: str = "0.05") -> dict:
    return {"id": id_, "risk_free_return": rfr, "trading_summary": trading_summary()}


def multi_summary() -> dict:
    return {
        "num_backtests": 3,
        "duration_ns": 1_234_567_890,
        "summaries": [backtest_summary("bt-0"), backtest_summary("bt-1", DEC_TINY),
                      backtest_summary("bt-2", "-12.3400")],
    }


def assert_exact(value: Decimal, s: str) -> None:
    assert isinstance(value, Decimal)
    assert value == Decimal(s)
    assert str(value) == s
    # sign, digits and exponent identical, not just numerically equal
    assert value.as_tuple() == Decimal(s).as_tuple()


# ---------------------------------------------------------------------------
# decimals
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "s",
    [
        "0.05", "-12.3400", "1.500", "0", "-0.5", DEC_MAX, DEC_MIN, DEC_TINY,
        "-" + DEC_TINY, DEC_28, DEC_28_NEG, "0.0000000000000000000000000000",
        "7922816251426433759354395033.5", "100", "0.000001", "0.0000001",
    ],
)
def test_decimal_exact_and_str_roundtrip(s):
    m = Metric._from_wire({"value": s, "interval": "Annual(252)"})
    assert_exact(m.value, s)
    # JSON keeps the exact string too
    assert json.loads(m.to_json())["value"] == s
    assert_exact(Metric.from_json(m.to_json()).value, s)


def test_all_tear_sheet_decimals_exact():
    ts = TearSheet._from_wire(tear_sheet())
    assert_exact(ts.pnl, "12.3400")
    assert_exact(ts.pnl_return.value, "0.0512")
    assert_exact(ts.sharpe_ratio.value, DEC_MAX)
    assert_exact(ts.sortino_ratio.value, DEC_MIN)
    assert_exact(ts.calmar_ratio.value, DEC_28)
    assert_exact(ts.pnl_drawdown.value, "-0.0250")
    assert_exact(ts.pnl_drawdown_mean.mean_drawdown, DEC_28_NEG)
    assert_exact(ts.pnl_drawdown_max.value, DEC_TINY)
    assert_exact(ts.win_rate.value, "0.5")
    assert_exact(ts.profit_factor.value, "1.500")
    assert ts.pnl_return.interval == "Daily"
    assert ts.win_rate.interval is None
    assert ts.profit_factor.interval is None


def test_asset_decimals_exact():
    a = TearSheetAsset._from_wire(tear_sheet_asset())
    assert a.balance_end == Balance(Decimal("10000.00000000"), Decimal("9000.5"))
    assert_exact(a.balance_end.total, "10000.00000000")
    assert_exact(a.balance_end.free, "9000.5")
    assert_exact(a.drawdown.value, "-0.1")
    assert_exact(a.drawdown_mean.mean_drawdown, "-0.05")
    assert_exact(a.drawdown_max.value, DEC_MIN)


def test_decimal_never_float():
    with pytest.raises(ValueError, match=r"Metric\.value"):
        Metric._from_wire({"value": 0.5, "interval": "Daily"})
    with pytest.raises(TypeError):
        Metric(0.5, "Daily")


def test_decimal_repr_and_format():
    m = Metric._from_wire({"value": DEC_TINY, "interval": None})
    assert repr(m.value) == f"Decimal('{DEC_TINY}')"
    assert eval(repr(m.value), {"Decimal": Decimal}) == Decimal(DEC_TINY)
    assert f"{m.value}" == DEC_TINY
    assert f"{m.value:>32}" == "  " + DEC_TINY
    assert f"{m.value:.2f}" == "0.00"
    assert f"{m.value:e}" == "1e-28"


def test_decimal_arithmetic_unaffected():
    m = Metric._from_wire({"value": "1.5", "interval": None})
    assert m.value + 1 == Decimal("2.5")
    assert hash(m.value) == hash(Decimal("1.5"))
    assert pickle.loads(pickle.dumps(m)) == m
    assert copy.deepcopy(m) == m


# ---------------------------------------------------------------------------
# times
# ---------------------------------------------------------------------------


def test_drawdown_times():
    dd = Drawdown._from_wire(drawdown("0.1", T0 + NS, T0 + DAY_NS + NS + 1))
    assert dd.time_start_ns == T0 + NS
    assert dd.time_end_ns == T0 + DAY_NS + NS + 1
    assert dd.time_start.tzinfo is not None
    assert dd.time_start.utcoffset() == timedelta(0)
    assert dd.time_start == T0_DT + timedelta(microseconds=123_456)
    assert dd.time_end == T0_DT + timedelta(days=1, microseconds=123_456)
    assert dd.duration == timedelta(days=1)
    assert dd.duration_ns == DAY_NS + 1


def test_drawdown_accepts_datetimes():
    dd = Drawdown(Decimal("0.1"), T0_DT, T0_DT + timedelta(hours=1))
    assert dd.time_start_ns == T0
    assert dd.time_end_ns == T0 + HOUR_NS
    assert dd == Drawdown(Decimal("0.1"), T0, T0 + HOUR_NS)


def test_mean_drawdown_duration():
    m = MeanDrawdown._from_wire({"mean_drawdown": "0.01", "mean_drawdown_ms": 90_500})
    assert m.mean_drawdown_ms == 90_500
    assert m.duration == timedelta(seconds=90, milliseconds=500)


def test_trading_summary_times_and_duration():
    ts = TradingSummary._from_wire(trading_summary())
    assert ts.time_engine_start_ns == T0 + NS
    assert ts.time_engine_end_ns == T0 + NS + 3 * DAY_NS + 5 * HOUR_NS
    assert ts.time_engine_start == T0_DT + timedelta(microseconds=123_456)
    assert ts.time_engine_start.tzinfo is not None
    assert ts.time_engine_end == ts.time_engine_start + timedelta(days=3, hours=5)
    assert ts.trading_duration == timedelta(days=3, hours=5)
    assert ts.trading_duration_ns == 3 * DAY_NS + 5 * HOUR_NS


def test_pre_epoch_times():
    dd = Drawdown._from_wire(drawdown("0", -1, 1))
    assert dd.time_start == datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone.utc)
    assert Drawdown.from_json(dd.to_json()) == dd
    assert json.loads(dd.to_json())["time_start_ns"] == -1


# ---------------------------------------------------------------------------
# structure, None fields, ordering
# ---------------------------------------------------------------------------


def test_none_fields():
    ts = TearSheet._from_wire(tear_sheet(full=False))
    assert ts.pnl_drawdown is None
    assert ts.pnl_drawdown_mean is None
    assert ts.pnl_drawdown_max is None
    assert ts.win_rate is None
    assert ts.profit_factor is None
    a = TearSheetAsset._from_wire(tear_sheet_asset(full=False))
    assert a == TearSheetAsset(None, None, None, None)


def test_missing_optional_keys_mean_none():
    d = tear_sheet()
    for k in ("pnl_drawdown", "pnl_drawdown_mean", "pnl_drawdown_max", "win_rate", "profit_factor"):
        del d[k]
    ts = TearSheet._from_wire(d)
    assert ts.win_rate is None and ts.pnl_drawdown is None


def test_order_preserved():
    wire = trading_summary()
    wire["instruments"] = {f"i{n}": tear_sheet() for n in (3, 1, 2)}
    ts = TradingSummary._from_wire(wire)
    assert list(ts.instruments) == ["i3", "i1", "i2"]
    assert list(ts.assets) == ["binance_spot:usdt", "binance_spot:btc"]
    assert list(TradingSummary.from_json(ts.to_json()).instruments) == ["i3", "i1", "i2"]


def test_backtest_summary():
    b = BacktestSummary._from_wire(backtest_summary("abc", "-12.3400"))
    assert b.id == "abc"
    assert_exact(b.risk_free_return, "-12.3400")
    assert isinstance(b.trading_summary, TradingSummary)


def test_value_equality_and_immutability():
    a = MultiBacktestSummary._from_wire(multi_summary())
    b = MultiBacktestSummary._from_wire(multi_summary())
    assert a == b
    assert a is not b
    other = multi_summary()
    other["summaries"][0]["trading_summary"]["instruments"]["binance_spot-btc_usdt"]["pnl"] = "12.34001"
    assert MultiBacktestSummary._from_wire(other) != a
    with pytest.raises(AttributeError):
        a.num_backtests = 5  # type: ignore[misc]
    m = Metric(Decimal("1"), "Daily")
    with pytest.raises(AttributeError):
        m.value = Decimal("2")  # type: ignore[misc]
    assert hash(m) == hash(Metric(Decimal("1"), "Daily"))


def test_reprs():
    m = Metric._from_wire({"value": DEC_TINY, "interval": "Daily"})
    assert repr(m) == f"Metric(value=Decimal('{DEC_TINY}'), interval='Daily')"
    assert eval(repr(m), {"Metric": Metric, "Decimal": Decimal}) == m
    dd = Drawdown._from_wire(drawdown("0.1", T0, T0 + 1))
    assert eval(repr(dd), {"Drawdown": Drawdown, "Decimal": Decimal}) == dd
    multi = MultiBacktestSummary._from_wire(multi_summary())
    r = repr(multi)
    assert "MultiBacktestSummary(" in r and "bt-1" in r
    assert "binance_spot-btc_usdt" in repr(multi[0].trading_summary)
    assert "bt-0" in repr(multi[0])


# ---------------------------------------------------------------------------
# to_dict / to_json
# ---------------------------------------------------------------------------


def test_to_dict_plain_values():
    multi = MultiBacktestSummary._from_wire(multi_summary())
    d = multi.to_dict()
    assert d["num_backtests"] == 3
    assert d["duration"] == timedelta(microseconds=1_234_567)
    assert d["duration_ms"] == 1_234
    ts = d["summaries"][0]["trading_summary"]
    assert isinstance(ts["time_engine_start"], datetime)
    assert ts["time_engine_start"].tzinfo is not None
    assert ts["trading_duration"] == timedelta(days=3, hours=5)
    btc = ts["instruments"]["binance_spot-btc_usdt"]
    assert btc["sharpe_ratio"] == {"value": Decimal(DEC_MAX), "interval": "Daily"}
    assert str(btc["pnl_drawdown_max"]["value"]) == DEC_TINY
    assert btc["pnl_drawdown_mean"]["duration"] == timedelta(seconds=90)
    assert ts["instruments"]["binance_spot-eth_usdt"]["win_rate"] is None
    assert ts["assets"]["binance_spot:btc"]["balance_end"] is None
    assert str(ts["assets"]["binance_spot:usdt"]["balance_end"]["total"]) == "10000.00000000"
    # must be JSON-serialisable with default=str, decimals keep their digits
    text = json.dumps(d, default=str)
    back = json.loads(text)
    assert back["summaries"][1]["risk_free_return"] == DEC_TINY
    assert (
        back["summaries"][0]["trading_summary"]["instruments"]["binance_spot-btc_usdt"]["sortino_ratio"]["value"]
        == DEC_MIN
    )


def test_to_json_is_the_wire_format():
    # One JSON format: what Rust writes is what to_json writes, key for key.
    wire = trading_summary()
    ts = TradingSummary._from_wire(wire)
    j = json.loads(ts.to_json())
    assert j == wire
    assert list(j) == list(wire)
    assert j["time_engine_start_ns"] == wire["time_engine_start_ns"]
    btc = j["instruments"]["binance_spot-btc_usdt"]
    assert btc["pnl"] == "12.3400"
    assert btc["calmar_ratio"] == {"value": DEC_28, "interval": "Daily"}
    assert btc["pnl_drawdown_max"]["value"] == DEC_TINY
    assert btc["profit_factor"] == {"value": "1.500"}
    assert j["instruments"]["binance_spot-eth_usdt"]["pnl_drawdown"] is None
    assert "\n" in ts.to_json(indent=2)
    multi = multi_summary()
    assert json.loads(MultiBacktestSummary._from_wire(multi).to_json())["summaries"][0]["trading_summary"] == wire


@pytest.mark.parametrize(
    "cls, wire",
    [
        (Metric, metric(DEC_MIN, "Annual(365)")),
        (Drawdown, drawdown(DEC_TINY, T0 + NS, T0 + 7)),
        (MeanDrawdown, {"mean_drawdown": DEC_MAX, "mean_drawdown_ms": 123}),
        (Balance, {"total": DEC_28, "free": "-1.500"}),
        (TearSheet, tear_sheet()),
        (TearSheet, tear_sheet(full=False)),
        (TearSheetAsset, tear_sheet_asset()),
        (TearSheetAsset, tear_sheet_asset(full=False)),
        (TradingSummary, trading_summary()),
        (BacktestSummary, backtest_summary()),
        (MultiBacktestSummary, multi_summary()),
    ],
)
def test_json_round_trip(cls, wire):
    x = cls._from_wire(wire)
    for indent in (None, 2):
        y = cls.from_json(x.to_json(indent=indent))
        assert y == x
        # exact digits survive too (== alone ignores trailing zeros)
        assert y.to_json() == x.to_json()


def test_from_json_bad_input():
    with pytest.raises(ValueError, match="invalid JSON"):
        TradingSummary.from_json("{nope")
    good = json.loads(TradingSummary._from_wire(trading_summary()).to_json())
    good["time_engine_start_ns"] = "yesterday"
    with pytest.raises(ValueError, match=r"TradingSummary\.time_engine_start_ns: expected integer"):
        TradingSummary.from_json(json.dumps(good))


# ---------------------------------------------------------------------------
# malformed wire data
# ---------------------------------------------------------------------------


def test_malformed_missing_nested_field():
    bad = multi_summary()
    del bad["summaries"][1]["trading_summary"]["instruments"]["binance_spot-btc_usdt"]["sharpe_ratio"]["value"]
    with pytest.raises(ValueError) as ei:
        MultiBacktestSummary._from_wire(bad)
    msg = str(ei.value)
    assert "summaries[1]" in msg
    assert "binance_spot-btc_usdt" in msg
    assert "sharpe_ratio.value" in msg
    assert "missing" in msg


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda d: d.pop("time_engine_start_ns"), "time_engine_start_ns"),
        (lambda d: d.update(time_engine_end_ns="123"), "time_engine_end_ns"),
        (lambda d: d.update(time_engine_end_ns=True), "time_engine_end_ns"),
        (lambda d: d.update(instruments=[]), "instruments"),
        (lambda d: d.pop("assets"), "assets"),
        (lambda d: d["instruments"]["binance_spot-btc_usdt"].update(pnl="abc"), "pnl"),
        (lambda d: d["instruments"]["binance_spot-btc_usdt"].update(pnl=1.5), "pnl"),
        (lambda d: d["instruments"]["binance_spot-btc_usdt"].update(pnl="NaN"), "pnl"),
        (lambda d: d["instruments"]["binance_spot-btc_usdt"]["pnl_drawdown"].pop("time_end_ns"),
         "pnl_drawdown.time_end_ns"),
        (lambda d: d["instruments"]["binance_spot-btc_usdt"].update(win_rate={"valu": "1"}),
         "win_rate.value"),
        (lambda d: d["assets"]["binance_spot:usdt"]["balance_end"].pop("free"), "balance_end.free"),
        (lambda d: d["assets"]["binance_spot:usdt"]["drawdown_mean"].update(mean_drawdown_ms="1"),
         "drawdown_mean.mean_drawdown_ms"),
        (lambda d: d["assets"].update({"x:y": 5}), "x:y"),
    ],
)
def test_malformed_trading_summary(mutate, fragment):
    d = trading_summary()
    mutate(d)
    with pytest.raises(ValueError) as ei:
        TradingSummary._from_wire(d)
    assert fragment in str(ei.value)
    assert str(ei.value).startswith("TradingSummary")


def test_malformed_top_level():
    with pytest.raises(ValueError, match="MultiBacktestSummary.*expected object"):
        MultiBacktestSummary._from_wire([])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"MultiBacktestSummary\.summaries.*array"):
        MultiBacktestSummary._from_wire({"num_backtests": 0, "duration_ns": 0, "summaries": {}})
    with pytest.raises(ValueError, match=r"MultiBacktestSummary\.num_backtests"):
        MultiBacktestSummary._from_wire({"duration_ns": 0, "summaries": []})
    with pytest.raises(ValueError, match=r"BacktestSummary\.id"):
        BacktestSummary._from_wire({"id": 3, "risk_free_return": "0", "trading_summary": {}})
    with pytest.raises(ValueError, match=r"BacktestSummary\.trading_summary"):
        BacktestSummary._from_wire({"id": "a", "risk_free_return": "0"})


# ---------------------------------------------------------------------------
# MultiBacktestSummary container behaviour
# ---------------------------------------------------------------------------


def test_multi_sequence_behaviour():
    m = MultiBacktestSummary._from_wire(multi_summary())
    assert m.num_backtests == 3
    assert m.duration_ns == 1_234_567_890
    assert m.duration_ms == 1_234
    assert m.duration == timedelta(seconds=1, microseconds=234_567)
    assert len(m) == 3
    assert [s.id for s in m] == ["bt-0", "bt-1", "bt-2"]
    assert m[1].id == "bt-1"
    assert m[-1].id == "bt-2"
    assert m.by_id("bt-2") is m[2]
    assert_exact(m.by_id("bt-1").risk_free_return, DEC_TINY)
    with pytest.raises(KeyError, match="nope"):
        m.by_id("nope")
    with pytest.raises(IndexError):
        m[3]


def test_multi_empty():
    m = MultiBacktestSummary._from_wire({"num_backtests": 0, "duration_ns": 0, "summaries": []})
    assert len(m) == 0 and list(m) == []
    assert MultiBacktestSummary.from_json(m.to_json()) == m
    assert "0 backtests" in str(m)


# ---------------------------------------------------------------------------
# text rendering
# ---------------------------------------------------------------------------


def test_print_summary_contents():
    ts = TradingSummary._from_wire(trading_summary())
    buf = io.StringIO()
    ts.print_summary(file=buf)
    out = buf.getvalue()
    assert out == str(ts) + "\n"
    assert "TRADING SUMMARY (Trading Duration: 3 Days & 5 Hours)" in out
    assert "Instrument TearSheets" in out and "Asset TearSheets" in out
    for name in ("binance_spot-btc_usdt", "binance_spot-eth_usdt", "binance_spot:usdt", "binance_spot:btc"):
        assert name in out
    assert "N/A" in out
    lines = out.splitlines()

    def row(label):
        return next(line for line in lines if line.startswith(f"| {label} "))

    assert "12.34" in row("PnL")
    assert "-0.00" in row("PnL")  # the tiny negative eth pnl
    assert "5.12%" in row("Return Daily")
    assert f"{DEC_MAX}.0000" in row("Sharpe Daily")
    assert f"{DEC_MIN}.0000" in row("Sortino Daily")
    assert "1234567890.1235" in row("Calmar Daily")
    assert "-2.50%" in row("PnL Drawdown ")
    assert "50.00%" in row("Win Rate")
    assert "1.5000" in row("Profit Factor")
    assert "N/A" in row("Profit Factor")
    assert "10000.00000000" in row("Balance")
    assert "9000.5" in row("Available")
    # DEC_MIN * 100 printed exactly, not rounded to 28 digits
    assert f"{DEC_MIN}00.00%" in row("Drawdown Max")
    # a proper box: every table line has the same width
    table = [line for line in lines if line.startswith(("+", "|"))]
    first_table = table[: 3 + 10 + 1]
    assert len({len(line) for line in first_table}) == 1
    # the original objects are untouched (formatting used no lossy arithmetic)
    assert str(ts.instruments["binance_spot-btc_usdt"].calmar_ratio.value) == DEC_28


def test_print_summary_default_stdout(capsys):
    ts = TradingSummary._from_wire(trading_summary())
    ts.print_summary()
    assert "TRADING SUMMARY" in capsys.readouterr().out


def test_str_of_backtest_and_multi():
    m = MultiBacktestSummary._from_wire(multi_summary())
    s = str(m)
    assert "3 backtests" in s
    for id_ in ("bt-0", "bt-1", "bt-2"):
        assert id_ in s
    assert s.count("TRADING SUMMARY") == 3
    b = str(m[0])
    assert "bt-0" in b and "TRADING SUMMARY" in b and "binance_spot:usdt" in b


def test_print_summary_empty():
    ts = TradingSummary._from_wire(
        {"time_engine_start_ns": T0, "time_engine_end_ns": T0, "instruments": {}, "assets": {}}
    )
    out = str(ts)
    assert "0 Minutes" in out
    assert "no instruments" in out and "no assets" in out


@pytest.mark.parametrize(
    "td, words",
    [
        (timedelta(0), "0 Minutes"),
        (timedelta(seconds=59), "0 Minutes"),
        (timedelta(minutes=1), "1 Minute"),
        (timedelta(minutes=59, seconds=59), "59 Minutes"),
        (timedelta(hours=1), "1 Hour & 0 Minutes"),
        (timedelta(hours=2, minutes=1), "2 Hours & 1 Minute"),
        (timedelta(hours=23, minutes=59), "23 Hours & 59 Minutes"),
        (timedelta(days=1), "1 Day & 0 Hours"),
        (timedelta(days=3, hours=5, minutes=30), "3 Days & 5 Hours"),
        (timedelta(days=7), "7 Days & 0 Hours"),
        (timedelta(days=7, hours=1), "1 Week & 0 Days"),
        (timedelta(days=15), "2 Weeks & 1 Day"),
        (timedelta(days=28), "4 Weeks & 0 Days"),
        (timedelta(days=28, hours=1), "~28 Days"),
        (timedelta(days=400), "~400 Days"),
    ],
)
def test_format_duration(td, words):
    assert format_duration(td) == words


def test_title_uses_duration_wording():
    for dur_ns, words in [
        (45 * 60 * 1_000_000_000, "45 Minutes"),
        (5 * HOUR_NS + 7 * 60 * 1_000_000_000, "5 Hours & 7 Minutes"),
        (20 * DAY_NS, "2 Weeks & 6 Days"),
        (90 * DAY_NS, "~90 Days"),
    ]:
        ts = TradingSummary._from_wire(trading_summary(duration_ns=dur_ns))
        assert f"TRADING SUMMARY (Trading Duration: {words})" in str(ts)
