// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Convenience header: the whole public API of mlgov.
#pragma once

#include "mlgov/atomic_file.h"
#include "mlgov/bars.h"
#include "mlgov/clock.h"
#include "mlgov/config.h"
#include "mlgov/errors.h"
#include "mlgov/feature_computer.h"
#include "mlgov/feature_contract.h"
#include "mlgov/feature_mismatch.h"
#include "mlgov/feature_schema.h"
#include "mlgov/model_meta.h"
#include "mlgov/version.h"
