// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Clock: the time source mlgov uses, injected by the host so that tests can
// move time by hand (the governance window is tested without sleeping).
#pragma once

#include <atomic>
#include <chrono>

namespace mlgov {

// Interface. Implementations must be safe to call from several threads at once.
class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for windows and intervals.
  virtual std::chrono::steady_clock::time_point steady_now() const noexcept = 0;
  // Wall-clock time, for timestamps in logs and state files.
  virtual std::chrono::system_clock::time_point wall_now() const noexcept = 0;
};

// The real clocks. Stateless; thread-safe.
class SystemClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point steady_now() const noexcept override {
    return std::chrono::steady_clock::now();
  }
  std::chrono::system_clock::time_point wall_now() const noexcept override {
    return std::chrono::system_clock::now();
  }
};

// A clock that moves only when told. Both times start at the given points and
// advance together. Thread-safe: reads and advance() are atomic.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(
      std::chrono::system_clock::time_point wall_start =
          std::chrono::system_clock::time_point(std::chrono::seconds(1'767'225'600)))
      : wall_start_(wall_start) {}

  std::chrono::steady_clock::time_point steady_now() const noexcept override {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(elapsed_ns_.load()));
  }
  std::chrono::system_clock::time_point wall_now() const noexcept override {
    return wall_start_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                             std::chrono::nanoseconds(elapsed_ns_.load()));
  }
  // Moves both clocks forward by `d` (which must not be negative).
  void advance(std::chrono::nanoseconds d) noexcept { elapsed_ns_.fetch_add(d.count()); }

 private:
  std::chrono::system_clock::time_point wall_start_;
  std::atomic<long long> elapsed_ns_{0};
};

}  // namespace mlgov
