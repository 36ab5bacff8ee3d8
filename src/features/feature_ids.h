// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Internal: the 28 ml_v1 features by id and name, in spec order, and the
// history a row needs.
#pragma once

#include <array>
#include <cstdint>

namespace mlgov::internal {

inline constexpr int kNumFeatures = 28;
inline constexpr int kLookback = 253;  // mom_12_1 reads c[t-252]

// Spec order (docs/features_ml_v1.md).
enum FeatureId : std::uint8_t {
  kRet1d,
  kRet5d,
  kRet10d,
  kRet20d,
  kRet60d,
  kMom12_1,
  kSmaRatio20,
  kSmaRatio50,
  kSmaRatio200,
  kSmaCross12_26,
  kRsi14,
  kStochK14,
  kBbPos20,
  kVol5,
  kVol20,
  kVol60,
  kAtr14Norm,
  kHlRange,
  kGap1d,
  kSkew60,
  kKurt60,
  kVolumeRatio20,
  kDollarVolumeLog20,
  kVolumeZ20,
  kDistHigh252,
  kDistLow252,
  kBeta60,
  kCrossRankSector,
};

inline constexpr std::array<const char*, kNumFeatures> kFeatureNames = {"ret_1d",
                                                                        "ret_5d",
                                                                        "ret_10d",
                                                                        "ret_20d",
                                                                        "ret_60d",
                                                                        "mom_12_1",
                                                                        "sma_ratio_20",
                                                                        "sma_ratio_50",
                                                                        "sma_ratio_200",
                                                                        "sma_cross_12_26",
                                                                        "rsi_14",
                                                                        "stoch_k_14",
                                                                        "bb_pos_20",
                                                                        "vol_5",
                                                                        "vol_20",
                                                                        "vol_60",
                                                                        "atr_14_norm",
                                                                        "hl_range",
                                                                        "gap_1d",
                                                                        "skew_60",
                                                                        "kurt_60",
                                                                        "volume_ratio_20",
                                                                        "dollar_volume_log_20",
                                                                        "volume_z_20",
                                                                        "dist_high_252",
                                                                        "dist_low_252",
                                                                        "beta_60",
                                                                        "cross_rank_sector"};

}  // namespace mlgov::internal
