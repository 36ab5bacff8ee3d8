// An offline tool against the installed package: generates a small synthetic
// market (offline library) and computes its features (engine library), then
// trains one XGBoost round on them, and prints what it got.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <vector>

#include <mlgov/mlgov.h>
#include <mlgov/offline/synthetic_market.h>
#include <mlgov/offline/xgboost_trainer.h>

int main() {
  try {
    mlgov::SyntheticMarketOptions options;
    options.symbols = 3;
    options.years = 2;
    options.sectors = 1;
    const mlgov::SyntheticMarket market = mlgov::generate_synthetic_market(options);
    const mlgov::FeatureComputer computer(
        mlgov::load_feature_contract("ml_v1", CONSUMER_CONTRACTS_DIR));
    const mlgov::FeatureFrame frame =
        computer.compute_universe(market.symbols, market.benchmark, market.sectors);
    std::vector<float> labels(frame.rows());
    for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<float>(i % 2);
    mlgov::offline::TrainSpec spec;
    spec.params = {{"objective", "binary:logistic"}};
    spec.rounds = 1;
    const auto model_file = std::filesystem::temp_directory_path() / "mlgov_offline_consumer.json";
    mlgov::offline::train_xgboost_model({frame.values, labels, frame.cols()}, nullptr, spec,
                                        model_file);
    const bool written = std::filesystem::file_size(model_file) > 0;
    std::filesystem::remove(model_file);
    std::printf("offline_consumer: %zu feature rows of %zu columns, model trained: %s\n",
                frame.rows(), frame.cols(), written ? "yes" : "no");
    return frame.rows() > 0 && written ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "offline_consumer: %s\n", e.what());
    return 1;
  }
}
