"""SystemConfig: both input shapes, round trips, counts, names and errors."""

from __future__ import annotations

import json
import pathlib
from decimal import Decimal

import pytest

from barter_cy import SystemConfig

EXPECTED_NAMES = ["binancespot-btc_usdt", "binancespot-eth_usdt", "binancespot-sol_usdt"]


# example_config_path / example_backtest_config_path come from tests/conftest.py.


@pytest.fixture(scope="module")
def plain(example_config_path) -> SystemConfig:
    return SystemConfig.from_json(example_config_path)


@pytest.fixture(scope="module")
def wrapped(example_backtest_config_path) -> SystemConfig:
    return SystemConfig.from_json(example_backtest_config_path)


def _plain_dict(example_config_path) -> dict:
    with open(example_config_path) as f:
        return json.load(f)


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------


def test_from_json_plain_shape(plain):
    assert plain.instrument_count == 3
    assert plain.execution_count == 1
    assert plain.instrument_names == EXPECTED_NAMES
    # The plain shape has no "system" key, so a top-level risk_free_return is not taken.
    assert plain.risk_free_return is None


def test_from_json_system_shape(wrapped):
    assert wrapped.instrument_count == 3
    assert wrapped.execution_count == 1
    assert wrapped.instrument_names == EXPECTED_NAMES
    assert wrapped.risk_free_return == Decimal("0.05")
    assert isinstance(wrapped.risk_free_return, Decimal)


def test_both_shapes_describe_the_same_system(plain, wrapped):
    assert plain == wrapped
    assert plain.to_dict() == wrapped.to_dict()


def test_from_json_accepts_pathlike(example_backtest_config_path, wrapped):
    config = SystemConfig.from_json(pathlib.Path(example_backtest_config_path))
    assert config == wrapped
    assert config.risk_free_return == Decimal("0.05")


def test_from_json_file_alias(example_config_path, plain):
    assert SystemConfig.from_json_file(example_config_path) == plain


def test_from_json_str_both_shapes(example_config_path, example_backtest_config_path, plain):
    with open(example_config_path) as f:
        from_plain = SystemConfig.from_json_str(f.read())
    with open(example_backtest_config_path) as f:
        from_wrapped = SystemConfig.from_json_str(f.read())
    assert from_plain == plain
    assert from_plain.risk_free_return is None
    assert from_wrapped == plain
    assert from_wrapped.risk_free_return == Decimal("0.05")
    assert from_wrapped.instrument_names == EXPECTED_NAMES


def test_from_dict_both_shapes(example_config_path, example_backtest_config_path, plain):
    plain_dict = _plain_dict(example_config_path)
    with open(example_backtest_config_path) as f:
        wrapped_dict = json.load(f)
    assert SystemConfig.from_dict(plain_dict) == plain
    from_wrapped = SystemConfig.from_dict(wrapped_dict)
    assert from_wrapped == plain
    assert from_wrapped.risk_free_return == Decimal("0.05")


def test_from_dict_round_trip(plain, wrapped):
    for config in (plain, wrapped):
        data = config.to_dict()
        again = SystemConfig.from_dict(data)
        assert again == config
        assert again.to_dict() == data
        assert again.instrument_names == config.instrument_names
        assert again.instrument_count == 3
        assert again.execution_count == 1


def test_from_dict_accepts_decimal_values(example_config_path, plain):
    data = _plain_dict(example_config_path)
    data["executions"][0]["fees_percent"] = Decimal("0.05")
    data["executions"][0]["initial_state"]["balances"][0]["balance"] = {
        "total": Decimal("10000"),
        "free": Decimal("10000"),
    }
    assert SystemConfig.from_dict(data) == plain


def test_to_dict_shape_and_values(plain):
    data = plain.to_dict()
    assert set(data) >= {"instruments", "executions"}
    assert len(data["instruments"]) == 3
    assert len(data["executions"]) == 1
    execution = data["executions"][0]
    assert execution["mocked_exchange"] == "binance_spot"
    balances = {
        b["asset"]: (Decimal(b["balance"]["total"]), Decimal(b["balance"]["free"]))
        for b in execution["initial_state"]["balances"]
    }
    assert balances == {
        "usdt": (Decimal("10000"), Decimal("10000")),
        "btc": (Decimal("0.1"), Decimal("0.1")),
        "eth": (Decimal("1"), Decimal("1")),
        "sol": (Decimal("10"), Decimal("10")),
    }
    # to_json is the same thing as text.
    assert json.loads(plain.to_json()) == data
    assert json.loads(plain.to_json(indent=2)) == data


def test_instrument_names_are_index_ordered_and_fresh(plain):
    names = plain.instrument_names
    assert names == EXPECTED_NAMES
    names.append("mutated")
    assert plain.instrument_names == EXPECTED_NAMES


def test_equality_and_hash(plain, example_config_path):
    assert plain == SystemConfig.from_json(example_config_path)
    assert plain != "not a config"
    with pytest.raises(TypeError, match="unhashable"):
        hash(plain)


def test_different_configs_are_not_equal(example_config_path, plain):
    data = _plain_dict(example_config_path)
    data["instruments"] = data["instruments"][:2]
    state = data["executions"][0]["initial_state"]
    state["instruments"] = state["instruments"][:2]
    smaller = SystemConfig.from_dict(data)
    assert smaller.instrument_count == 2
    assert smaller.instrument_names == EXPECTED_NAMES[:2]
    assert smaller != plain


def test_repr_mentions_counts_and_names(plain):
    text = repr(plain)
    assert "instruments=3" in text
    assert "executions=1" in text
    for name in EXPECTED_NAMES:
        assert name in text


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


def test_syntax_error_has_line_and_column():
    with pytest.raises(ValueError, match=r"invalid system config at instruments: .*line 3 column \d+"):
        SystemConfig.from_json_str('{\n  "instruments": [\n    }\n')


def test_wrong_field_type_has_line_and_column():
    with pytest.raises(ValueError, match=r"invalid type: integer `5`, expected a sequence at line 1 column 17"):
        SystemConfig.from_json_str('{"instruments": 5, "executions": []}')


def test_missing_field_is_value_error():
    with pytest.raises(ValueError, match=r"missing field `instruments` at line 1 column \d+"):
        SystemConfig.from_json_str('{"foo": 1}')


def test_empty_text_is_value_error():
    with pytest.raises(ValueError, match=r"EOF while parsing .* line 1 column 0"):
        SystemConfig.from_json_str("")


def test_no_instruments_is_value_error():
    with pytest.raises(ValueError, match="system config has no instruments"):
        SystemConfig.from_json_str('{"instruments": [], "executions": []}')


def test_bad_file_names_the_file_with_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "instruments": [,]\n}\n')
    with pytest.raises(ValueError, match=r"broken\.json: invalid system config at instruments: .*line 2 column \d+"):
        SystemConfig.from_json(path)


def test_bad_system_shape_has_line_and_column():
    text = '{\n  "risk_free_return": 0.05,\n  "system": {"instruments": "nope", "executions": []}\n}'
    with pytest.raises(ValueError, match=r"line 3 column \d+"):
        SystemConfig.from_json_str(text)


def test_bad_dict_is_value_error():
    with pytest.raises(ValueError, match=r"<dict>: invalid system config at instruments\[0\]: missing field .*line 1 column"):
        SystemConfig.from_dict({"instruments": [{"exchange": "binance_spot"}], "executions": []})


def test_missing_file_is_file_not_found(tmp_path):
    missing = tmp_path / "does_not_exist.json"
    with pytest.raises(FileNotFoundError, match="does_not_exist.json"):
        SystemConfig.from_json(missing)
    with pytest.raises(FileNotFoundError, match="does_not_exist.json"):
        SystemConfig.from_json(str(missing))


@pytest.mark.parametrize("bad", [5, None, b"/tmp/x.json", ["x.json"]])
def test_from_json_wrong_type(bad):
    with pytest.raises(TypeError, match="path must be str or os.PathLike"):
        SystemConfig.from_json(bad)


@pytest.mark.parametrize("bad", [b"{}", 5, None, {"instruments": []}])
def test_from_json_str_wrong_type(bad):
    with pytest.raises(TypeError, match="text must be str"):
        SystemConfig.from_json_str(bad)


@pytest.mark.parametrize("bad", ["{}", None, [("instruments", [])], 5])
def test_from_dict_wrong_type(bad):
    with pytest.raises(TypeError, match="data must be dict"):
        SystemConfig.from_dict(bad)


def test_from_dict_unserialisable_value_is_type_error(example_config_path):
    data = _plain_dict(example_config_path)
    data["executions"][0]["fees_percent"] = object()
    with pytest.raises(TypeError, match="cannot put object into a system config"):
        SystemConfig.from_dict(data)


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), float("nan"), float("inf")])
def test_from_dict_non_finite_is_value_error(example_config_path, bad):
    data = _plain_dict(example_config_path)
    data["executions"][0]["fees_percent"] = bad
    with pytest.raises(ValueError):
        SystemConfig.from_dict(data)


def test_direct_construction_is_type_error():
    with pytest.raises(TypeError, match=r"use SystemConfig\.from_json"):
        SystemConfig()
    with pytest.raises(TypeError, match=r"use SystemConfig\.from_json"):
        SystemConfig({"instruments": []})
