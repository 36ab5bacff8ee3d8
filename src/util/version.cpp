// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/version.h"

#include "mlgov_git_commit.h"  // MLGOV_GIT_COMMIT, MLGOV_GIT_DIRTY: cmake/GitInfo.cmake

namespace mlgov {
std::string_view library_version() noexcept { return MLGOV_VERSION_STRING; }
std::string_view library_git_commit() noexcept { return MLGOV_GIT_COMMIT; }
bool library_git_dirty() noexcept { return MLGOV_GIT_DIRTY; }
}  // namespace mlgov
