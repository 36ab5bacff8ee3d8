// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The library's version and the git commit it was built from.
#pragma once

#include <string_view>

namespace mlgov {

// "MAJOR.MINOR.PATCH" of the compiled library (may differ from the headers'
// kHeaderVersion if a host mixes builds, which is how to detect that).
std::string_view library_version() noexcept;

// The git commit of the source tree the library was built from, taken at
// build time ("unknown" outside a git checkout). Also the git_commit that
// `mlgov train` records in model_meta.json.
std::string_view library_git_commit() noexcept;

// Whether that source tree had uncommitted changes to tracked files when the
// library was built (model_meta.json's git_dirty).
bool library_git_dirty() noexcept;

inline constexpr std::string_view kHeaderVersion = "2.2.0";

}  // namespace mlgov
