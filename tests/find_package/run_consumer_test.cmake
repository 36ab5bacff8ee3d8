# Installs the already-built mlgov into a scratch prefix (not the prefix it
# was configured for), then, from a directory without contracts/:
#   * runs the installed tool, PREFIX/bin/mlgov contract, which must find the
#     contracts beside itself (PREFIX/share/mlgov/contracts);
#   * configures, builds and runs tests/find_package against the prefix
#     (fmt's find-package-test), with mlgov_CONTRACTS_DIR from the package:
#     an engine linking mlgov::mlgov and an offline tool linking mlgov::offline;
#   * checks the install layout: both libraries, the offline headers under
#     include/mlgov/offline/, no internal header of src/ installed.
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
set(elsewhere "${WORK_DIR}/elsewhere")  # a working directory without contracts/
file(MAKE_DIRECTORY "${elsewhere}")
function(run_step)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY "${elsewhere}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
  set(step_output "${out}" PARENT_SCOPE)
endfunction()
function(expect_in text what)
  string(FIND "${text}" "${what}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "expected \"${what}\" in:\n${text}")
  endif()
endfunction()

# The build's configured prefix must not be the scratch one, else the test
# would pass through the compiled-in path.
file(STRINGS "${MLGOV_BINARY_DIR}/CMakeCache.txt" configured REGEX "^CMAKE_INSTALL_PREFIX:")
string(REGEX REPLACE "^[^=]*=" "" configured "${configured}")
if(configured STREQUAL prefix)
  message(FATAL_ERROR "the scratch prefix equals CMAKE_INSTALL_PREFIX (${configured})")
endif()
if(EXISTS "${elsewhere}/contracts")
  message(FATAL_ERROR "${elsewhere} must not hold contracts/")
endif()

run_step(${CMAKE_COMMAND} --install "${MLGOV_BINARY_DIR}" --prefix "${prefix}")

include(GNUInstallDirs)
foreach(installed IN ITEMS
    "${CMAKE_INSTALL_LIBDIR}/libmlgov.a"
    "${CMAKE_INSTALL_LIBDIR}/libmlgov_offline.a"
    "${CMAKE_INSTALL_INCLUDEDIR}/mlgov/mlgov.h"
    "${CMAKE_INSTALL_INCLUDEDIR}/mlgov/offline/training.h"
    "${CMAKE_INSTALL_INCLUDEDIR}/mlgov/offline/xgboost_trainer.h"
    "${CMAKE_INSTALL_INCLUDEDIR}/mlgov/offline/synthetic_market.h")
  if(NOT EXISTS "${prefix}/${installed}")
    message(FATAL_ERROR "the install lacks ${installed}")
  endif()
endforeach()
file(GLOB_RECURSE installed_headers RELATIVE "${prefix}/${CMAKE_INSTALL_INCLUDEDIR}"
     "${prefix}/${CMAKE_INSTALL_INCLUDEDIR}/mlgov/*")
foreach(header IN LISTS installed_headers)
  if(NOT header MATCHES "^mlgov/(offline/)?[a-z_0-9]+\\.h$")
    message(FATAL_ERROR "the install holds ${header}, outside include/mlgov/ and include/mlgov/offline/")
  endif()
endforeach()

# ml_v1's fingerprint, recomputed independently in the README (python3 one-liner).
set(ml_v1_fingerprint "a8952ddd2d5df4f77e490ac96a8bbf5ca0b37d890d822290420f2f4963769b19")
if(EXPECT_TOOL)
  run_step("${prefix}/bin/mlgov" contract)
  expect_in("${step_output}" "fingerprint ${ml_v1_fingerprint}")
  expect_in("${step_output}" "${prefix}/share/mlgov/contracts/feature_contract_ml_v1.json")
endif()

run_step(${CMAKE_COMMAND} -S "${CONSUMER_SOURCE_DIR}" -B "${WORK_DIR}/build"
         "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}"
         "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}")
run_step(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
run_step("${WORK_DIR}/build/consumer")
expect_in("${step_output}" "fingerprint ${ml_v1_fingerprint}")
expect_in("${step_output}" "${prefix}/share/mlgov/contracts/feature_contract_ml_v1.json")
run_step("${WORK_DIR}/build/offline_consumer")
expect_in("${step_output}" "offline_consumer: ")
expect_in("${step_output}" "model trained: yes")
