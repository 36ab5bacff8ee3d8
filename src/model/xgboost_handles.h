// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// RAII owners for XGBoost C API handles and a checked-call helper (internal).
#pragma once

#include <xgboost/c_api.h>

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "mlgov/errors.h"

namespace mlgov::internal {

struct BoosterDeleter {
  void operator()(void* handle) const noexcept { XGBoosterFree(handle); }
};
struct DMatrixDeleter {
  void operator()(void* handle) const noexcept { XGDMatrixFree(handle); }
};

// BoosterHandle and DMatrixHandle are both void*; the owners hold the pointee.
using BoosterPtr = std::unique_ptr<std::remove_pointer_t<BoosterHandle>, BoosterDeleter>;
using DMatrixPtr = std::unique_ptr<std::remove_pointer_t<DMatrixHandle>, DMatrixDeleter>;

// Throws ModelError "<context>: <what> failed: <XGBGetLastError()>" when an
// XGBoost C API call returned non-zero.
inline void xgb_check(int rc, std::string_view context, std::string_view what) {
  if (rc != 0) {
    throw ModelError(std::string(context) + ": " + std::string(what) +
                     " failed: " + XGBGetLastError());
  }
}

}  // namespace mlgov::internal
