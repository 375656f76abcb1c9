"""Bounded fuzzing of every parsing and running entry point (hypothesis, derandomized:
the same cases on every run). The inputs are structured so that most get past JSON
parsing into events, configs, arguments, columnar imports and backtests
(``tests/fuzz_targets.py``); each case must succeed or raise a type listed in
``barter_cy.errors.DOCUMENTED_EXCEPTIONS`` — never a ``BarterPanic``, never another
type. ``bench/fuzz.py`` runs the same targets for millions of inputs."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

import fuzz_targets

#: Cases per entry point (the whole file stays well under ~150 s on 2 busy cores).
CASES = {
    "market_json": 2000,
    "config_dict": 1500,
    "config_text": 2000,
    "arguments": 2000,
    "columns": 1500,
    "binary": 2000,
    "events": 1500,
}

def _settings(cases: int) -> settings:
    return settings(
        max_examples=cases,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def _test_for(name):
    _, strategy = fuzz_targets.TARGETS[name]

    @_settings(CASES[name])
    @given(strategy)
    def check(drawn):
        category, error = fuzz_targets.run(name, drawn)
        assert category in ("ok", "documented"), f"{name}: {type(error).__name__}: {error}"

    return check


@pytest.mark.parametrize("name", sorted(CASES))
def test_only_documented_exceptions(name):
    _test_for(name)()


def test_every_target_is_fuzzed():
    assert set(CASES) == set(fuzz_targets.TARGETS)
