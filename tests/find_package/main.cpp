// Loads the installed contract by name from the package's contracts
// directory, as a user's engine would, and prints its fingerprint.
#include <cstdio>

#include <mlgov/mlgov.h>

int main() {
  try {
    const mlgov::FeatureContract contract =
        mlgov::load_feature_contract("ml_v1", CONSUMER_CONTRACTS_DIR);
    std::printf("consumer: contract %s %s, %zu features, fingerprint %s, from %s\n",
                contract.name().c_str(), contract.version().c_str(), contract.size(),
                contract.fingerprint().c_str(), contract.source().c_str());
    return contract.size() == 28 ? 0 : 1;
  } catch (const mlgov::Error& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
  }
}
