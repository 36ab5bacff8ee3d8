// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The hot path allocates nothing: after a warm-up, 10,000 cycles of
// streaming feature updates and governed predictions (native backend, by
// ModelHandle batch) make zero calls to operator new or malloc; so do the
// handle batch, the single handle call and the calls by symbol (try_predict(symbol, row)) on their
// own. Counted by replacing the global allocation functions in this test
// executable, on the calling thread only: the hot path is the host's thread;
// the predictor's state-file watcher allocates on its own thread by design
// (it re-reads the file after a change), and counting it made the test
// depend on when the watcher woke.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>

#include "offline/hot_path_fixture.h"
#include "test_support.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MLGOV_COUNTING_ALLOCATOR 0  // the sanitizers own malloc; nothing to count
#else
#define MLGOV_COUNTING_ALLOCATOR 1
#endif

namespace {
// Set only by the test thread; initial-exec TLS, so reading it never allocates.
thread_local bool g_counting = false;
std::atomic<long> g_allocations{0};

inline void note_allocation() noexcept {
  if (g_counting) g_allocations.fetch_add(1);
}
}  // namespace

#if MLGOV_COUNTING_ALLOCATOR
extern "C" void* __libc_malloc(std::size_t);
extern "C" void* __libc_calloc(std::size_t, std::size_t);
extern "C" void* __libc_realloc(void*, std::size_t);
extern "C" void* __libc_memalign(std::size_t, std::size_t);
extern "C" void __libc_free(void*);

// malloc family: glibc's own entry points do the work; we only count.
extern "C" void* malloc(std::size_t n) {
  note_allocation();
  return __libc_malloc(n);
}
extern "C" void* calloc(std::size_t a, std::size_t b) {
  note_allocation();
  return __libc_calloc(a, b);
}
extern "C" void* realloc(void* p, std::size_t n) {
  note_allocation();
  return __libc_realloc(p, n);
}

void* operator new(std::size_t n) {
  note_allocation();
  if (void* p = __libc_malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  note_allocation();
  if (void* p = __libc_memalign(static_cast<std::size_t>(a), n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { __libc_free(p); }
void operator delete[](void* p) noexcept { __libc_free(p); }
void operator delete(void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { __libc_free(p); }
#endif

namespace mlgov {
namespace {

constexpr int kCycles = 10000;

internal::HotPathOptions options() {
  internal::HotPathOptions o;
  o.symbols = 16;
  o.years = 42;  // 10,584 dates: 253 warm-up + 100 settling + 10,000 counted
  o.trees = 50;
  o.depth = 4;
  o.contracts_dir = testing::source_dir() / "contracts";
  return o;
}

TEST(ZeroAllocation, CountingAllocatorSeesAnOrdinaryAllocation) {
  if (!MLGOV_COUNTING_ALLOCATOR) GTEST_SKIP() << "sanitizer build: allocations are not counted";
  // The instrument itself must work, or the zero below would mean nothing.
  g_allocations = 0;
  g_counting = true;
  auto* p = new int(7);
  void* q = std::malloc(64);
  g_counting = false;
  delete p;
  std::free(q);
  EXPECT_EQ(g_allocations.load(), 2);
}

TEST(ZeroAllocation, TenThousandCyclesOfStreamingAndPredictAllocateNothing) {
  if (!MLGOV_COUNTING_ALLOCATOR) GTEST_SKIP() << "sanitizer build: allocations are not counted";
  internal::HotPathFixture fixture(options());
  ASSERT_EQ(fixture.predictor().state(), MlState::kEnabledOk);
  ASSERT_EQ(fixture.predictor().model_info(fixture.symbols()[0])->backend, "native");
  fixture.warm_up();
  for (int i = 0; i < 100; ++i) ASSERT_EQ(fixture.cycle(), fixture.symbols().size());
  ASSERT_GE(fixture.dates_left(), static_cast<std::size_t>(kCycles));

  std::size_t ok = 0;
  g_allocations = 0;
  g_counting = true;
  for (int i = 0; i < kCycles; ++i) ok += fixture.cycle();
  g_counting = false;

  EXPECT_EQ(g_allocations.load(), 0) << "allocations in " << kCycles << " cycles";
  // Every cycle really streamed and predicted every symbol.
  EXPECT_EQ(ok, static_cast<std::size_t>(kCycles) * fixture.symbols().size());
}

// Every prediction form of the hot path, each on its own, on fresh rows.
TEST(ZeroAllocation, HandleBatchSingleHandleCallAndSymbolBatchAllocateNothing) {
  if (!MLGOV_COUNTING_ALLOCATOR) GTEST_SKIP() << "sanitizer build: allocations are not counted";
  internal::HotPathFixture fixture(options());
  fixture.warm_up();
  fixture.step_features();
  GovernedPredictor& p = fixture.predictor();
  const auto& handles = fixture.handles();
  const auto& rows = fixture.rows();
  ASSERT_EQ(fixture.predict_all(), fixture.symbols().size());  // settle
  std::size_t ok_batch = 0;
  std::size_t ok_single = 0;
  std::size_t ok_symbols = 0;
  long batch_allocations = 0;
  long single_allocations = 0;
  long symbol_allocations = 0;
  for (int i = 0; i < 1000; ++i) {
    fixture.step_features();  // not counted: only the prediction forms
    g_allocations = 0;
    g_counting = true;
    ok_batch += fixture.predict_all();
    g_counting = false;
    batch_allocations += g_allocations.exchange(0);
    g_counting = true;
    for (std::size_t k = 0; k < handles.size(); ++k) {
      ok_single += p.try_predict(handles[k], rows[k]).ok() ? 1 : 0;
    }
    g_counting = false;
    single_allocations += g_allocations.exchange(0);
    g_counting = true;
    ok_symbols += fixture.predict_all_by_symbol();
    g_counting = false;
    symbol_allocations += g_allocations.exchange(0);
  }
  EXPECT_EQ(batch_allocations, 0) << "predict_batch(handles, ...)";
  EXPECT_EQ(single_allocations, 0) << "try_predict(handle, row)";
  EXPECT_EQ(symbol_allocations, 0) << "try_predict(symbol, row)";
  const std::size_t expected = 1000 * fixture.symbols().size();
  EXPECT_EQ(ok_batch, expected);
  EXPECT_EQ(ok_single, expected);
  EXPECT_EQ(ok_symbols, expected);
}

// With drift watched (every model carries feature_stats), the rows binned
// into the drift windows on the same calls: still nothing allocated.
TEST(ZeroAllocation, DriftWatchedBatchAndSingleCallsAllocateNothing) {
  if (!MLGOV_COUNTING_ALLOCATOR) GTEST_SKIP() << "sanitizer build: allocations are not counted";
  internal::HotPathOptions o = options();
  o.drift = true;
  internal::HotPathFixture fixture(o);
  GovernedPredictor& p = fixture.predictor();
  ASSERT_EQ(p.drift().features.size(), fixture.contract().names().size()) << "drift not watched";
  fixture.warm_up();
  fixture.step_features();
  ASSERT_EQ(fixture.predict_all(), fixture.symbols().size());  // settle
  const auto& handles = fixture.handles();
  const auto& rows = fixture.rows();
  std::size_t ok = 0;
  long allocations = 0;
  for (int i = 0; i < 2000; ++i) {
    fixture.step_features();  // not counted
    g_allocations = 0;
    g_counting = true;
    ok += fixture.predict_all();
    for (std::size_t k = 0; k < handles.size(); ++k) ok += p.try_predict(handles[k], rows[k]).ok();
    g_counting = false;
    allocations += g_allocations.exchange(0);
  }
  EXPECT_EQ(allocations, 0) << "predict_batch and try_predict with drift watched";
  EXPECT_EQ(ok, 2 * 2000 * fixture.symbols().size());
  // The rows really went into the windows: 2 x 16 rows a cycle fill 2000.
  EXPECT_EQ(p.drift().window_rows, 2000u);
}

// The AVX-512 evaluator (its rank layout for NaN-free rows, its float32
// lanes for rows with NaN), in the governed cycle and called bare with one
// row and with all rows at once.
TEST(ZeroAllocation, NativeSimdCyclesAndBareCallsAllocateNothing) {
  if (!MLGOV_COUNTING_ALLOCATOR) GTEST_SKIP() << "sanitizer build: allocations are not counted";
  internal::HotPathOptions o = options();
  o.backend = PredictorBackend::kNativeSimd;
  o.years = 6;  // 1,512 dates: 253 warm-up + 100 settling + 1,000 counted
  internal::HotPathFixture fixture(o);
  ASSERT_EQ(fixture.predictor().model_info(fixture.symbols()[0])->backend, "native_simd");
  fixture.warm_up();
  for (int i = 0; i < 100; ++i) ASSERT_EQ(fixture.cycle(), fixture.symbols().size());
  const std::vector<internal::ModelBackend*> bare = fixture.bare_backends(fixture.predictor());
  const std::size_t n_features = bare[0]->num_features();
  std::vector<float> rows(fixture.symbols().size() * n_features);
  std::vector<float> out(fixture.symbols().size());
  std::size_t ok = 0;
  std::size_t bare_ok = 0;
  g_allocations = 0;
  for (int i = 0; i < 1000; ++i) {
    g_counting = true;
    ok += fixture.cycle();
    g_counting = false;
    for (std::size_t k = 0; k < fixture.rows().size(); ++k) {
      std::copy(fixture.rows()[k].values.begin(), fixture.rows()[k].values.end(),
                rows.begin() + static_cast<std::ptrdiff_t>(k * n_features));
    }
    if (i % 2 == 1) rows[static_cast<std::size_t>(i) % rows.size()] = std::nanf("");
    g_counting = true;
    bare_ok += bare[0]->predict(rows.data(), 1, out.data()) ? 1 : 0;
    bare_ok += bare[0]->predict(rows.data(), out.size(), out.data()) ? 1 : 0;
    g_counting = false;
  }
  EXPECT_EQ(g_allocations.load(), 0);
  EXPECT_EQ(ok, 1000 * fixture.symbols().size());
  EXPECT_EQ(bare_ok, 2000u);
}

TEST(ZeroAllocation, StreamingFeatureUpdatesAloneAllocateNothing) {
  if (!MLGOV_COUNTING_ALLOCATOR) GTEST_SKIP() << "sanitizer build: allocations are not counted";
  internal::HotPathFixture fixture(options());
  fixture.warm_up();
  g_allocations = 0;
  g_counting = true;
  for (int i = 0; i < kCycles; ++i) fixture.step_features();
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0);
  EXPECT_FALSE(fixture.rows()[0].values.empty());
}

}  // namespace
}  // namespace mlgov
