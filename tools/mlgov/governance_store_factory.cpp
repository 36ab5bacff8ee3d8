// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The one place where the CLI turns governance.store into a store, so that
// linking the Redis store (mlgov::redis) changes this file only.
#include "governance_store_factory.h"

#include "mlgov/clock.h"
#include "mlgov/errors.h"
#include "mlgov/redis_governance_store.h"

namespace mlgov::cli {

std::shared_ptr<GovernanceStore> make_governance_store_for(const Config& config) {
  auto clock = std::make_shared<SystemClock>();
  if (config.governance.store == GovernanceConfig::Store::kRedis) {
    return make_redis_governance_store(config, std::move(clock));
  }
  return make_file_governance_store(config.governance.state_file, std::move(clock));
}

}  // namespace mlgov::cli
