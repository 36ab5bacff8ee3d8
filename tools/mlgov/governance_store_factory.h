// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The governance store a config names, for `mlgov governance ... --config F`.
#pragma once

#include <memory>

#include "mlgov/config.h"
#include "mlgov/governance_store.h"

namespace mlgov::cli {

// governance.store: file gives the state file's store
// (make_file_governance_store); governance.store: redis gives the Redis
// store of mlgov::redis. Throws ConfigError naming the config when the store
// cannot be built (for redis: until this binary is linked with mlgov::redis,
// a message saying so). Nothing is opened or connected here.
std::shared_ptr<GovernanceStore> make_governance_store_for(const Config& config);

}  // namespace mlgov::cli
