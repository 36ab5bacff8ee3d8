# FindXGBoost
# -----------
# Finds the XGBoost C API (header xgboost/c_api.h and libxgboost) and defines
# the imported target XGBoost::XGBoost.
#
# Why our own module: Debian's xgboost CMake package also imports
# /usr/bin/xgboost, which only the separate `xgboost` package installs, so
# find_package(xgboost CONFIG) fails on a machine with libxgboost-dev alone.
#
# Result variables: XGBoost_FOUND, XGBoost_INCLUDE_DIR, XGBoost_LIBRARY,
# XGBoost_VERSION.

find_path(XGBoost_INCLUDE_DIR NAMES xgboost/c_api.h)
find_library(XGBoost_LIBRARY NAMES xgboost)

if(XGBoost_INCLUDE_DIR AND EXISTS "${XGBoost_INCLUDE_DIR}/xgboost/version_config.h")
  file(STRINGS "${XGBoost_INCLUDE_DIR}/xgboost/version_config.h" _xgb_version_lines
       REGEX "#define XGBOOST_VER_(MAJOR|MINOR|PATCH)")
  foreach(_part MAJOR MINOR PATCH)
    string(REGEX REPLACE ".*XGBOOST_VER_${_part} ([0-9]+).*" "\\1" _xgb_${_part}
           "${_xgb_version_lines}")
  endforeach()
  set(XGBoost_VERSION "${_xgb_MAJOR}.${_xgb_MINOR}.${_xgb_PATCH}")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(XGBoost
  REQUIRED_VARS XGBoost_LIBRARY XGBoost_INCLUDE_DIR
  VERSION_VAR XGBoost_VERSION)

if(XGBoost_FOUND AND NOT TARGET XGBoost::XGBoost)
  add_library(XGBoost::XGBoost UNKNOWN IMPORTED)
  set_target_properties(XGBoost::XGBoost PROPERTIES
    IMPORTED_LOCATION "${XGBoost_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${XGBoost_INCLUDE_DIR}")
endif()
mark_as_advanced(XGBoost_INCLUDE_DIR XGBoost_LIBRARY)
