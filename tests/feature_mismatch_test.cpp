// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// FeatureMismatch: the details block of ModelFeatureMismatchError.
#include "mlgov/feature_mismatch.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "mlgov/errors.h"

namespace mlgov {
namespace {

using Names = std::vector<std::string>;

TEST(FeatureMismatch, IdenticalListsMatch) {
  const Names a = {"x", "y", "z"};
  const FeatureMismatch m = compare_feature_names(a, a);
  EXPECT_TRUE(m.matches());
  EXPECT_EQ(m.to_json(),
            R"({"expected":3,"extra":[],"first_order_difference":null,"got":3,"missing":[]})");
}

TEST(FeatureMismatch, MissingNameIsReportedWithThePositionItShifts) {
  // got lacks "y": position 1 holds "z" where "y" was expected.
  const FeatureMismatch m = compare_feature_names(Names{"x", "y", "z"}, Names{"x", "z"});
  EXPECT_EQ(m.expected_count, 3u);
  EXPECT_EQ(m.got_count, 2u);
  EXPECT_EQ(m.missing, Names{"y"});
  EXPECT_TRUE(m.extra.empty());
  EXPECT_EQ(*m.first_order_difference, 1u);
  EXPECT_EQ(m.expected_at_difference, "y");
  EXPECT_EQ(m.got_at_difference, "z");
}

TEST(FeatureMismatch, ExtraNameAtTheEndDiffersPastTheExpectedList) {
  const FeatureMismatch m = compare_feature_names(Names{"x", "y"}, Names{"x", "y", "w"});
  EXPECT_EQ(m.extra, Names{"w"});
  EXPECT_EQ(*m.first_order_difference, 2u);
  EXPECT_EQ(m.expected_at_difference, "");
  EXPECT_EQ(m.got_at_difference, "w");
}

TEST(FeatureMismatch, SwapHasNoMissingOrExtraButAnOrderPosition) {
  const FeatureMismatch m =
      compare_feature_names(Names{"a", "b", "c", "d"}, Names{"a", "c", "b", "d"});
  EXPECT_TRUE(m.missing.empty());
  EXPECT_TRUE(m.extra.empty());
  EXPECT_EQ(*m.first_order_difference, 1u);
  const auto j = nlohmann::json::parse(m.to_json());
  EXPECT_EQ(j["expected"], 4);
  EXPECT_EQ(j["got"], 4);
  EXPECT_EQ(j["first_order_difference"], 1);
  EXPECT_EQ(j["expected_name"], "b");
  EXPECT_EQ(j["got_name"], "c");
}

TEST(FeatureMismatch, JsonEscapesHostileNames) {
  const FeatureMismatch m =
      compare_feature_names(Names{"a"}, Names{"a\"}\n{\"forged\":1", std::string("\xff\xfe")});
  const std::string line = m.to_json();
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto j = nlohmann::json::parse(line);  // still one valid object
  EXPECT_EQ(j["got"], 2);
  EXPECT_FALSE(j.contains("forged"));
}

TEST(ModelFeatureMismatchError, CarriesTheDetailsAndSaysWhere) {
  const ModelFeatureMismatchError e("symbol GOOG",
                                    compare_feature_names(Names{"a", "b"}, Names{"a"}));
  const std::string msg = e.what();
  EXPECT_NE(msg.find("symbol GOOG"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected 2 features, got 1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing [b]"), std::string::npos) << msg;
  EXPECT_EQ(nlohmann::json::parse(e.details_json())["missing"][0], "b");
  // It is an mlgov::Error and a std::runtime_error.
  const Error& base = e;
  EXPECT_STREQ(base.what(), e.what());
}

}  // namespace
}  // namespace mlgov
