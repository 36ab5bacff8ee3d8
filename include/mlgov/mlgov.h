// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Convenience header: the whole public API of the engine library,
// mlgov::mlgov (every header directly in include/mlgov/; tests/find_package
// compiles against it). The offline library's headers (training, the
// synthetic market) are in include/mlgov/offline/ and are not included here.
#pragma once

#include "mlgov/atomic_file.h"
#include "mlgov/bars.h"
#include "mlgov/clock.h"
#include "mlgov/config.h"
#include "mlgov/enum_formatter.h"
#include "mlgov/errors.h"
#include "mlgov/events.h"
#include "mlgov/feature_computer.h"
#include "mlgov/feature_contract.h"
#include "mlgov/feature_mismatch.h"
#include "mlgov/feature_schema.h"
#include "mlgov/governance.h"
#include "mlgov/governed_predictor.h"
#include "mlgov/heartbeat.h"
#include "mlgov/logging.h"
#include "mlgov/metrics.h"
#include "mlgov/ml_state.h"
#include "mlgov/model_handle.h"
#include "mlgov/model_meta.h"
#include "mlgov/model_registry.h"
#include "mlgov/version.h"
