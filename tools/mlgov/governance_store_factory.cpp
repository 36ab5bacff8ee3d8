// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The one place where the CLI turns governance.store into a store, so that
// linking the Redis store (mlgov::redis) changes this file only.
#include "governance_store_factory.h"

#include <fmt/format.h>

#include "mlgov/clock.h"
#include "mlgov/errors.h"
#if MLGOV_CLI_REDIS
#include "mlgov/redis_governance_store.h"
#endif

namespace mlgov::cli {

std::shared_ptr<GovernanceStore> make_governance_store_for(const Config& config) {
  auto clock = std::make_shared<SystemClock>();
  if (config.governance.store == GovernanceConfig::Store::kRedis) {
#if MLGOV_CLI_REDIS
    return make_redis_governance_store(config, std::move(clock));
#else
    throw ConfigError(fmt::format(
        "{}: governance.store is redis, but this mlgov binary is built without the Redis store "
        "(mlgov::redis, make_redis_governance_store); use an mlgov built with it, or act on a "
        "state file with --state-file",
        config.source.empty() ? "config" : config.source.string()));
#endif
  }
  return make_file_governance_store(config.governance.state_file, std::move(clock));
}

}  // namespace mlgov::cli
