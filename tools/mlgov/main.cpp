// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The `mlgov` command-line tool: features, synth, train, audit, predict,
// governance, bench, contract, drift.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "mlgov/errors.h"
#include "mlgov/version.h"

int main(int argc, char** argv) {
  CLI::App app{"mlgov: feature contracts, training, audits and governance for ML alpha"};
  app.set_version_flag("--version", std::string(mlgov::library_version()));
  app.require_subcommand(1);
  // Every error starts "mlgov: error:", CLI11's usage errors included.
  app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
    return "mlgov: error: " + CLI::FailureMessage::simple(failed, e);
  });
  app.footer(
      "\nmlgov <command> --help: its options, an example and its exit codes. --config FILE:\n"
      "the paths default from your engine's YAML config.\n" +
      mlgov::cli::exit_codes_text(
          "a check failed (audit below --min-pass-rate, "
          "predict refused a row or a model, drift found a feature in ALERT)"));
  mlgov::cli::register_contract_command(app);
  mlgov::cli::register_features_command(app);
  mlgov::cli::register_synth_command(app);
  mlgov::cli::register_train_command(app);
  mlgov::cli::register_audit_command(app);
  mlgov::cli::register_predict_command(app);
  mlgov::cli::register_governance_command(app);
  mlgov::cli::register_bench_command(app);
  mlgov::cli::register_drift_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 uses 0 for --help; map its usage errors to our "bad input" code.
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const mlgov::cli::CommandExit& e) {
    if (e.what()[0] != '\0') std::fprintf(stderr, "mlgov: error: %s\n", e.what());
    return e.code;
  } catch (const mlgov::Error& e) {
    std::fprintf(stderr, "mlgov: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mlgov: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
