# The engine library (libmlgov.a) holds no training code: nm -C lists every
# symbol its objects define or use, and none may be the offline library's
# (training, the XGBoost trainer, the synthetic market) or one of XGBoost's
# training entry points. The same patterns must be found in the offline
# library (libmlgov_offline.a), so a pattern that matches nothing anywhere
# (a renamed function, an nm that prints nothing) fails the test too.
# Run by ctest: cmake -DNM=... -DENGINE_LIBRARY=... -DOFFLINE_LIBRARY=... -P this.
function(symbols_of library out)
  execute_process(COMMAND "${NM}" -C "${library}" RESULT_VARIABLE rc
                  OUTPUT_VARIABLE text ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} -C ${library} failed (${rc}): ${err}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

symbols_of("${ENGINE_LIBRARY}" engine)
symbols_of("${OFFLINE_LIBRARY}" offline)

# Code the engine does have, so an empty listing cannot pass.
string(FIND "${engine}" "mlgov::GovernedPredictor::" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${ENGINE_LIBRARY}: no mlgov::GovernedPredictor symbol; is nm reading it?")
endif()

set(training_symbols
  "XGBoosterUpdateOneIter"          # a boosting round
  "XGBoosterEvalOneIter"            # validation metrics while training
  "mlgov::offline::"                # training.h, xgboost_trainer.h
  "train_xgboost_model"
  "build_symbol_dataset"
  "publish_model_directory"
  "generate_synthetic_market"       # offline/synthetic_market.h
  "write_synthetic_market")
set(failures "")
foreach(symbol IN LISTS training_symbols)
  string(FIND "${engine}" "${symbol}" in_engine)
  string(FIND "${offline}" "${symbol}" in_offline)
  if(NOT in_engine EQUAL -1)
    string(APPEND failures "  ${ENGINE_LIBRARY} has \"${symbol}\" (training code in the engine library)\n")
  endif()
  if(in_offline EQUAL -1)
    string(APPEND failures "  ${OFFLINE_LIBRARY} lacks \"${symbol}\" (the check looks for a name that does not exist)\n")
  endif()
endforeach()
if(NOT failures STREQUAL "")
  message(FATAL_ERROR "engine library symbol check failed:\n${failures}")
endif()
message(STATUS "libmlgov.a: none of ${training_symbols}")
