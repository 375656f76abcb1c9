# barter_cy's C-level API for other Cython extensions:
#
#     from barter_cy.native cimport MarketDataInMemory, BacktestArgsConstant, \
#         BacktestArgsDynamic, SystemConfig, BacktestRun, backtest_run_summary, \
#         backtest_run_free
#
# The declarations (and what each method does) are in _native.pxd; compile with
# include_dirs=[barter_cy.get_include()] for barter_ffi.h. See README, "From Cython".

from barter_cy._native cimport (
    BacktestArgsConstant,
    BacktestArgsDynamic,
    BacktestRun,
    MarketDataInMemory,
    SystemConfig,
    backtest_run_free,
    backtest_run_summary,
)
