/* A C caller of barter_ffi: loads barter's example market data and config, runs one
 * SmaCross backtest and one run_many of two variants, prints the summaries' JSON (one
 * line each), then the single run's columns read in place through a view (one line),
 * and frees everything. Built and checked by tests/test_embedding.py.
 *
 * usage: backtest <system_config.json> <market_data.json> */
#include <stdio.h>
#include <stdlib.h>
#include "barter_ffi.h"

static int fail(const char *what, BarterStatus status, BarterError *err) {
    fprintf(stderr, "%s failed: status %d: %s\n", what, (int)status,
            err ? barter_error_message(err) : "(no details)");
    barter_error_free(err);
    return 1;
}

/* Prints the summaries' JSON on one line. */
static BarterStatus print_json(const BarterSummaries *summaries, BarterError **err) {
    uint8_t *ptr = NULL;
    size_t len = 0;
    BarterStatus status = barter_summaries_to_json(summaries, &ptr, &len, err);
    if (status == BARTER_STATUS_OK) {
        fwrite(ptr, 1, len, stdout);
        fputc('\n', stdout);
        barter_bytes_free(ptr, len);
    }
    return status;
}

/* Prints summary 0's columns from its view: counts, the pnl text, the first entry time. */
static BarterStatus print_view(const BarterSummaries *summaries, BarterError **err) {
    BarterSummaryView view;
    BarterStatus status = barter_summaries_get(summaries, 0, &view, err);
    if (status != BARTER_STATUS_OK) {
        return status;
    }
    printf("positions=%zu equity_points=%zu first_enter_ns=%lld pnl=%.*s\n", view.positions,
           view.equity_time_ns.len, view.positions ? (long long)view.time_enter_ns.ptr[0] : -1LL,
           (int)view.pnl.len, (const char *)view.pnl.ptr);
    return BARTER_STATUS_OK;
}

int main(int argc, char **argv) {
    BarterError *err = NULL;
    BarterStatus status;
    BarterSystemConfig *config = NULL;
    BarterMarketData *market_data = NULL;
    BarterBacktestArgsConstant *args = NULL;
    BarterStrategy *strategy = NULL;
    BarterBacktestArgsDynamic *dynamics[2] = {NULL, NULL};
    BarterMarketDataInfo info;
    BarterSummaries *single = NULL;
    BarterSummaries *multi = NULL;
    int rc = 1;

    if (argc != 3) {
        fprintf(stderr, "usage: %s <system_config.json> <market_data.json>\n", argv[0]);
        return 2;
    }
    if ((status = barter_system_config_from_json_file(argv[1], &config, &err)) != BARTER_STATUS_OK) {
        rc = fail("barter_system_config_from_json_file", status, err);
        goto done;
    }
    if ((status = barter_market_data_from_json_file(argv[2], false, &market_data, &err)) != BARTER_STATUS_OK) {
        rc = fail("barter_market_data_from_json_file", status, err);
        goto done;
    }
    if ((status = barter_market_data_info(market_data, &info, &err)) != BARTER_STATUS_OK) {
        rc = fail("barter_market_data_info", status, err);
        goto done;
    }
    printf("records=%zu items=%zu first_ns=%lld\n", info.records, info.items, (long long)info.time_first_event_ns);

    /* An error comes back as a status plus a message, and the process goes on. */
    status = barter_strategy_new("sma_cross", "{\"fast\": 9, \"slow\": 3, \"quantity\": \"0.01\"}", &strategy, &err);
    printf("invalid strategy: status=%d message=%s\n", (int)status, err ? barter_error_message(err) : "");
    barter_error_free(err);
    err = NULL;

    if ((status = barter_backtest_args_constant_new(config, market_data, "daily", NULL, &args, &err)) != BARTER_STATUS_OK) {
        rc = fail("barter_backtest_args_constant_new", status, err);
        goto done;
    }
    if ((status = barter_strategy_new("sma_cross", "{\"fast\": 2, \"slow\": 4, \"quantity\": \"0.01\"}", &strategy, &err)) != BARTER_STATUS_OK) {
        rc = fail("barter_strategy_new", status, err);
        goto done;
    }
    if ((status = barter_backtest_args_dynamic_new("c-sma", "0.05", strategy, BARTER_FILL_SIGNAL, true, &dynamics[0], &err)) != BARTER_STATUS_OK ||
        (status = barter_backtest_args_dynamic_new("c-default", "0.05", NULL, BARTER_FILL_NEXT, true, &dynamics[1], &err)) != BARTER_STATUS_OK) {
        rc = fail("barter_backtest_args_dynamic_new", status, err);
        goto done;
    }
    if ((status = barter_backtest_run(args, dynamics[0], NULL, &single, &err)) != BARTER_STATUS_OK) {
        rc = fail("barter_backtest_run", status, err);
        goto done;
    }
    if ((status = print_json(single, &err)) != BARTER_STATUS_OK) {
        rc = fail("barter_summaries_to_json", status, err);
        goto done;
    }
    if ((status = barter_backtest_run_many(args, (const BarterBacktestArgsDynamic *const *)dynamics, 2, 2, NULL, NULL, &multi, &err)) != BARTER_STATUS_OK) {
        rc = fail("barter_backtest_run_many", status, err);
        goto done;
    }
    if ((status = print_json(multi, &err)) != BARTER_STATUS_OK) {
        rc = fail("barter_summaries_to_json", status, err);
        goto done;
    }
    if ((status = print_view(single, &err)) != BARTER_STATUS_OK) {
        rc = fail("barter_summaries_get", status, err);
        goto done;
    }
    rc = 0;

done:
    barter_summaries_free(single);
    barter_summaries_free(multi);
    barter_backtest_args_dynamic_free(dynamics[0]);
    barter_backtest_args_dynamic_free(dynamics[1]);
    barter_strategy_free(strategy);
    barter_backtest_args_constant_free(args);
    barter_market_data_free(market_data);
    barter_system_config_free(config);
    return rc;
}
