// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/redis_governance_store.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <climits>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlgov/logging.h"
#include "redis/redis_connection.h"
#include "redis/redis_scripts.h"

namespace mlgov {
namespace internal {
namespace {

constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{2000};
// A queue this long means the server has been away for very long under a
// failure storm: the oldest are dropped (and said so) rather than growing
// without bound.
constexpr std::size_t kMaxQueuedFailures = 1u << 20;

// The scope's keys, in the scripts' KEYS order, and its channel.
struct ScopeKeys {
  std::string state, window, failures, last_failures, history, channel;
  explicit ScopeKeys(const std::string& scope) {
    const std::string tag = "{mlgov:" + scope + "}";
    state = tag + ":state";
    window = tag + ":window";
    failures = tag + ":failures";
    last_failures = tag + ":last_failures";
    history = tag + ":history";
    channel = tag + ":changes";
  }
};

std::string reply_string(const redisReply* r) {
  if (r == nullptr) return "";
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
      r->type == REDIS_REPLY_ERROR)
    return std::string(r->str, r->len);
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  return "";
}

std::optional<long long> parse_ll(std::string_view text) {
  long long v = 0;
  if (text.empty()) return std::nullopt;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string ms_to_utc(long long ms) {
  return format_utc_millis(std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::milliseconds(ms))));
}

// A shared record and the ver it was read at.
struct Snapshot {
  GovernanceRecord record;
  long long version = 0;
  bool exists = false;               // the state hash is there
  long long last_reenabled_ms = -1;  // server ms of the newest REENABLED read, -1 if none
};

bool known_event(std::string_view e) {
  return e == "STARTED" || e == "DISABLED_BY_GOVERNANCE" || e == "DISABLED_BY_OPERATOR" ||
         e == "REENABLED" || e == "STATE_RECREATED";
}

}  // namespace

// Threading: the public members may be called from any thread. Background
// work (pushing failures, the subscription, polling, reconnecting) runs on
// one worker thread, which alone uses cmd_ and sub_; the blocking calls open
// a connection of their own. mu_ guards the queue and the wake-up flags and
// is never held while the observer is called.
class RedisGovernanceStore final : public GovernanceStore {
 public:
  RedisGovernanceStore(RedisEndpoint endpoint, std::chrono::milliseconds sync_interval,
                       std::chrono::duration<double> grace)
      : endpoint_(std::move(endpoint)),
        keys_(endpoint_.scope),
        description_(endpoint_.describe()),
        sync_interval_(sync_interval),
        grace_(std::chrono::duration_cast<std::chrono::steady_clock::duration>(grace)) {
    if (::pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
      throw std::system_error(errno, std::generic_category(),
                              description_ + ": cannot create the worker's wake-up pipe");
    }
  }

  ~RedisGovernanceStore() override {
    stop();
    ::close(wake_pipe_[0]);
    ::close(wake_pipe_[1]);
  }

  std::string describe() const override { return description_; }

  GovernanceRecord open(std::string_view started_by) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      started_by_ = std::string(started_by);
    }
    RedisConnection c(endpoint_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      reached_at_open_ = true;  // a later loss is an outage with grace, not "never reached"
    }
    run_script(c, kRedisStarted, {std::string(started_by)});
    Snapshot s = read_snapshot(c);
    std::lock_guard<std::mutex> lock(mu_);
    started_written_ = true;
    opened_version_ = s.version;
    return std::move(s.record);
  }

  void start(GovernanceStoreObserver* observer) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (observer == nullptr) return;
    if (observer_ != nullptr) {
      // One observer, one worker: a second predictor on this store would be
      // ignored, and the first one's stop() would stop the store for both.
      throw std::logic_error(description_ +
                             ": start() called twice: one Redis store per predictor (make a "
                             "store for each; they share the scope through the server)");
    }
    observer_ = observer;
    worker_ = std::thread([this] { run(); });
  }

  void stop() noexcept override {
    stopping_.store(true, std::memory_order_release);
    wake();
    if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
  }

  FailureOutcome record_failure(const StoreFailure& failure,
                                const FailureRule& rule) noexcept override {
    FailureOutcome out;
    try {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (queue_.size() >= kMaxQueuedFailures) {
          queue_.pop_front();
          ++dropped_;
        }
        queue_.push_back({failure, rule});
      }
      wake();
      out.kind = FailureOutcome::Kind::kQueued;
    } catch (const std::exception& e) {
      out.kind = FailureOutcome::Kind::kNotPersisted;
      out.error = fmt::format("{}: cannot queue the failure: {}", description_, e.what());
    }
    return out;
  }

  GovernanceRecord reenable(std::string_view operator_name, std::string_view reason,
                            std::chrono::system_clock::time_point now) override {
    GovernanceRecord probe;
    apply_reenable(probe, operator_name, reason, now);  // validates; gives the reason text
    return operator_change(kRedisReenable, operator_name, reason, probe.reason);
  }

  GovernanceRecord disable(std::string_view operator_name, std::string_view reason,
                           std::chrono::system_clock::time_point now) override {
    GovernanceRecord probe;
    apply_operator_disable(probe, operator_name, reason, now);
    return operator_change(kRedisDisable, operator_name, reason, probe.reason);
  }

  GovernanceRecord read() override {
    RedisConnection c(endpoint_);
    return read_snapshot(c).record;
  }

  void poll() noexcept override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      poll_requested_ = true;
    }
    wake();
  }

  bool delivery_superseded() const noexcept override {
    return delivering_version_.load(std::memory_order_acquire) <
           blocking_version_.load(std::memory_order_acquire);
  }

 private:
  struct QueuedFailure {
    StoreFailure failure;
    FailureRule rule;
  };

  std::vector<std::string> script_args(std::string_view script,
                                       const std::vector<std::string>& argv) const {
    std::vector<std::string> args = {
        "EVAL",         std::string(script), "5",           keys_.state,  keys_.window,
        keys_.failures, keys_.last_failures, keys_.history, keys_.channel};
    args.insert(args.end(), argv.begin(), argv.end());
    return args;
  }

  // Runs prelude + script. Throws GovernanceStateError for garbage under the
  // scope's keys (naming the key and field), RedisAuthError for a refused
  // password, StoreUnavailableError for other errors and lost connections.
  RedisReplyPtr run_script(RedisConnection& c, std::string_view script,
                           const std::vector<std::string>& argv) const {
    std::string text(kRedisPrelude);
    text += script;
    RedisReplyPtr reply = c.command(script_args(text, argv));
    const std::string error = reply_error(reply.get());
    if (!error.empty()) {
      if (const auto at = error.find(kRedisGarbagePrefix); at != std::string::npos) {
        throw GovernanceStateError(fmt::format("{}: garbage under the scope's keys: {}",
                                               description_,
                                               error.substr(at + kRedisGarbagePrefix.size())));
      }
      if (error.starts_with("NOAUTH") || error.starts_with("WRONGPASS")) {
        throw RedisAuthError(fmt::format("{}: {}", description_, error));
      }
      throw StoreUnavailableError(
          fmt::format("{}: the server refused the script: {}", description_, error));
    }
    return reply;
  }

  [[noreturn]] void garbage(const std::string& key, const std::string& what) const {
    throw GovernanceStateError(
        fmt::format("{}: garbage under the scope's keys: key {} {}", description_, key, what));
  }

  Snapshot read_snapshot(RedisConnection& c) const {
    const RedisReplyPtr reply = run_script(c, kRedisRead, {std::to_string(kRedisHistoryRead)});
    const redisReply* r = reply.get();
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 5) {
      throw StoreUnavailableError(
          fmt::format("{}: the read script answered an unexpected reply", description_));
    }
    Snapshot s;
    const bool exists = r->element[0]->type == REDIS_REPLY_INTEGER && r->element[0]->integer == 1;
    s.exists = exists;
    if (exists) {
      const redisReply* h = r->element[1];
      const std::string state = reply_string(h->element[0]);
      // The scripts' check() vouched for format, state, since_ms and ver.
      s.record.disabled = state == "DISABLED_GOVERNANCE";
      const std::string since = reply_string(h->element[1]);
      if (!since.empty()) s.record.since = ms_to_utc(parse_ll(since).value_or(0));
      s.record.reason = reply_string(h->element[2]);
      s.version = parse_ll(reply_string(h->element[3])).value_or(0);
    }
    const redisReply* w = r->element[2];
    for (std::size_t i = 0; i + 1 < w->elements; i += 2) {
      const std::string score = reply_string(w->element[i + 1]);
      const auto ms = parse_ll(score);
      if (!ms) {
        garbage(keys_.window, fmt::format("member {}: score {} is not a time in milliseconds",
                                          reply_string(w->element[i]), score));
      }
      s.record.window_failures.push_back(ms_to_utc(*ms));
    }
    const redisReply* lf = r->element[3];
    for (std::size_t i = 0; i < lf->elements; ++i) {
      const std::string text = reply_string(lf->element[i]);
      FailureRecord f;
      try {
        const auto j = nlohmann::json::parse(text);
        f.ts = j.at("ts").get<std::string>();
        f.symbol = j.at("symbol").get<std::string>();
        f.reason = j.at("reason").get<std::string>();
        f.message = j.at("message").get<std::string>();
      } catch (const nlohmann::json::exception& e) {
        garbage(keys_.last_failures,
                fmt::format("entry {}: not a JSON object of strings ts, symbol, reason, message "
                            "({})",
                            i, e.what()));
      }
      s.record.last_failures.push_back(std::move(f));
    }
    const redisReply* hist = r->element[4];
    for (std::size_t i = hist->elements; i-- > 0;) {  // newest first -> oldest first
      const redisReply* entry = hist->element[i];
      const std::string id = reply_string(entry->element[0]);
      const redisReply* fields = entry->element[1];
      GovernanceHistoryEntry e;
      for (std::size_t k = 0; k + 1 < fields->elements; k += 2) {
        const std::string name = reply_string(fields->element[k]);
        std::string value = reply_string(fields->element[k + 1]);
        if (name == "event")
          e.event = std::move(value);
        else if (name == "operator")
          e.operator_name = std::move(value);
        else if (name == "reason")
          e.reason = std::move(value);
      }
      if (!known_event(e.event)) {
        garbage(keys_.history,
                fmt::format("entry {} field event: '{}' is not STARTED, DISABLED_BY_GOVERNANCE, "
                            "DISABLED_BY_OPERATOR, REENABLED or STATE_RECREATED",
                            id, e.event));
      }
      const long long id_ms = parse_ll(id.substr(0, id.find('-'))).value_or(0);
      if (e.event == "REENABLED") s.last_reenabled_ms = std::max(s.last_reenabled_ms, id_ms);
      e.ts = ms_to_utc(id_ms);
      s.record.history.push_back(std::move(e));
    }
    return s;
  }

  GovernanceRecord operator_change(std::string_view script, std::string_view operator_name,
                                   std::string_view reason, const std::string& state_reason) {
    RedisConnection c(endpoint_);
    run_script(c, script, {std::string(operator_name), std::string(reason), state_reason});
    Snapshot s = read_snapshot(c);
    long long seen = blocking_version_.load(std::memory_order_acquire);
    while (seen < s.version &&
           !blocking_version_.compare_exchange_weak(seen, s.version, std::memory_order_acq_rel)) {
    }
    return std::move(s.record);
  }

  void wake() noexcept {
    const char byte = 1;
    [[maybe_unused]] const auto n = ::write(wake_pipe_[1], &byte, 1);  // full pipe: awake anyway
  }

  void drain_wake_pipe() noexcept {
    char buffer[64];
    while (::read(wake_pipe_[0], buffer, sizeof buffer) > 0) {
    }
  }

  // Waits until woken, the subscription has data or `timeout` passes.
  // Returns true when the subscription is readable.
  bool wait(std::chrono::milliseconds timeout) {
    pollfd fds[2] = {{wake_pipe_[0], POLLIN, 0}, {sub_ ? sub_->fd() : -1, POLLIN, 0}};
    const int count = ::poll(fds, 2, static_cast<int>(std::max<long long>(0, timeout.count())));
    if (count <= 0) return false;
    if (fds[0].revents != 0) drain_wake_pipe();
    return sub_ && fds[1].revents != 0;
  }

  // --- the worker thread ---------------------------------------------------

  void set_health(StoreHealth health, const std::string& message) {
    if (health == health_) return;
    health_ = health;
    observer_->on_health_change(health, message);
  }

  void connection_lost(const std::string& message) {
    cmd_.reset();
    sub_.reset();
    const auto now = std::chrono::steady_clock::now();
    if (!ever_connected_) {
      // Nothing known to keep: unavailable from the start.
      set_health(StoreHealth::kUnavailable, message);
      return;
    }
    if (health_ == StoreHealth::kOk) {
      lost_since_ = now;
      set_health(StoreHealth::kDegraded,
                 fmt::format("{} (keeping the last known state for {} s)", message,
                             std::chrono::duration<double>(grace_).count()));
    }
    if (health_ == StoreHealth::kDegraded && now - lost_since_ >= grace_) {
      set_health(StoreHealth::kUnavailable,
                 fmt::format("{} (unreachable beyond the {} s grace period)", message,
                             std::chrono::duration<double>(grace_).count()));
    }
  }

  std::string gone_message() const {
    return fmt::format(
        "{}: the state hash {} was gone (deleted, flushed, or the server restarted without "
        "persistence) while engines ran; written back disabled: ML stays off until an "
        "operator runs `mlgov governance reenable`",
        description_, keys_.state);
  }

  // The server's clock in ms (the history's stream ids use it), or this
  // host's when the server does not answer.
  long long server_now_ms() noexcept {
    try {
      const RedisReplyPtr reply = cmd_->command({"TIME"});
      if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2) {
        const auto sec = parse_ll(reply_string(reply->element[0]));
        const auto usec = parse_ll(reply_string(reply->element[1]));
        if (sec && usec) return *sec * 1000 + *usec / 1000;
      }
    } catch (...) {
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // Garbage under the scope's keys, or its state hash gone after this store
  // saw it: ML is held off until an operator's REENABLED written after the
  // finding, whatever the keys say meanwhile (a deleted or rewritten state
  // must never re-enable the engines on its own).
  void hold(const std::string& message) {
    if (hold_since_ms_ < 0) hold_since_ms_ = cmd_ ? server_now_ms() : 0;
    report_unreadable(message);
  }

  void report_unreadable(const std::string& message) {
    if (message == unreadable_message_) return;  // said once, not every sync
    unreadable_message_ = message;
    observer_->on_store_unreadable(message);
  }

  void connect() {
    auto cmd = std::make_unique<RedisConnection>(endpoint_);
    auto sub = std::make_unique<RedisConnection>(endpoint_);
    const RedisReplyPtr reply = sub->command({"SUBSCRIBE", keys_.channel});
    if (const std::string error = reply_error(reply.get()); !error.empty()) {
      throw StoreUnavailableError(
          fmt::format("{}: SUBSCRIBE {} refused: {}", description_, keys_.channel, error));
    }
    cmd_ = std::move(cmd);
    sub_ = std::move(sub);
  }

  // The STARTED record of an engine whose open() did not reach the server:
  // appended once it does (and the scope's keys are not garbage).
  void write_started_if_pending() {
    std::string started_by;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (started_written_) return;
      started_by = started_by_;
    }
    run_script(*cmd_, kRedisStarted, {started_by});
    std::lock_guard<std::mutex> lock(mu_);
    started_written_ = true;
  }

  // Sends the queued failures in order; each leaves the queue only once the
  // server has answered for it.
  void push_queue() {
    while (!stopping_.load(std::memory_order_acquire)) {
      QueuedFailure item;
      std::size_t dropped = 0;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (queue_.empty()) break;
        item = queue_.front();
        dropped = std::exchange(dropped_, 0);
      }
      if (dropped > 0) {
        observer_->on_store_event(
            spdlog::level::err, "STORE_FAILURES_DROPPED", "STORE_QUEUE_FULL",
            fmt::format("{}: {} queued failures were dropped (the queue holds at most {} while "
                        "the store is away)",
                        description_, dropped, kMaxQueuedFailures));
      }
      const FailureRecord& f = item.failure.failure;
      const nlohmann::json j = {
          {"ts", f.ts}, {"symbol", f.symbol}, {"reason", f.reason}, {"message", f.message}};
      const long long window_ms = std::max<long long>(
          1, std::chrono::duration_cast<std::chrono::milliseconds>(item.rule.window).count());
      const std::string latch_reason = fmt::format(
          "{} failures within {}s (governance.max_failures / window_seconds); last: {} {}",
          item.rule.max_failures, std::chrono::duration<double>(item.rule.window).count(), f.reason,
          f.message);
      run_script(*cmd_, kRedisRecordFailure,
                 {item.failure.id, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  std::to_string(item.rule.max_failures), std::to_string(window_ms), latch_reason,
                  gone_message()});
      std::lock_guard<std::mutex> lock(mu_);
      // Only this thread pops: the front is still `item`.
      if (!queue_.empty()) queue_.pop_front();
    }
  }

  void deliver(const Snapshot& s) {
    delivered_version_ = s.version;
    delivering_version_.store(s.version, std::memory_order_release);
    observer_->on_shared_change(s.record);
    delivering_version_.store(LLONG_MAX, std::memory_order_release);
  }

  void run() {
    std::chrono::milliseconds backoff = kFirstBackoff;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ever_connected_ = reached_at_open_;
      delivered_version_ = opened_version_;
    }
    auto next_sync = std::chrono::steady_clock::now();
    bool sync_now = false;
    while (!stopping_.load(std::memory_order_acquire)) {
      bool back = false;
      if (!cmd_) {
        try {
          connect();
          back = true;
          backoff = kFirstBackoff;
        } catch (const RedisAuthError& e) {
          set_health(StoreHealth::kUnavailable, e.what());
          report_unreadable(e.what());
          wait(backoff);
          backoff = std::min(backoff * 2, kMaxBackoff);
          continue;
        } catch (const std::exception& e) {
          connection_lost(e.what());
          wait(backoff);
          backoff = std::min(backoff * 2, kMaxBackoff);
          continue;
        }
      }
      try {
        write_started_if_pending();
        push_queue();
        {
          std::lock_guard<std::mutex> lock(mu_);
          sync_now = sync_now || std::exchange(poll_requested_, false);
        }
        const auto now = std::chrono::steady_clock::now();
        if (back || sync_now || now >= next_sync) {
          sync_now = false;
          next_sync = now + sync_interval_;
          const Snapshot s = read_snapshot(*cmd_);
          if (!s.exists) {
            // STARTED (open() or the worker) wrote the hash: its absence now
            // is a DEL, a FLUSHDB or a server restarted without persistence.
            hold(gone_message());
            run_script(*cmd_, kRedisRecreate, {gone_message()});
          } else if (hold_since_ms_ >= 0 && s.last_reenabled_ms <= hold_since_ms_) {
            report_unreadable(fmt::format(
                "{}: the scope's keys read again, but no operator has re-enabled since they "
                "were found garbage or gone; ML stays off until `mlgov governance reenable`",
                description_));
          } else {
            hold_since_ms_ = -1;
            const bool was_unreadable = !unreadable_message_.empty();
            unreadable_message_.clear();
            if (back || was_unreadable || s.version != delivered_version_) deliver(s);
          }
          if (back) {
            const bool first = !ever_connected_;
            ever_connected_ = true;
            set_health(StoreHealth::kOk, first ? fmt::format("{}: connected", description_)
                                               : fmt::format("{}: reconnected", description_));
          }
        }
      } catch (const RedisAuthError& e) {
        cmd_.reset();
        sub_.reset();
        set_health(StoreHealth::kUnavailable, e.what());
        report_unreadable(e.what());
        continue;
      } catch (const GovernanceStateError& e) {
        hold(e.what());
        next_sync = std::chrono::steady_clock::now() + sync_interval_;
      } catch (const std::exception& e) {
        connection_lost(e.what());
        continue;
      }
      // Sleep until a message, a wake-up or the next sync.
      const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
          next_sync - std::chrono::steady_clock::now());
      bool has_queue = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        has_queue = !queue_.empty() && unreadable_message_.empty();
      }
      if (has_queue) continue;
      if (wait(std::max(timeout, std::chrono::milliseconds(0)))) {
        try {
          sub_->read_available();
          while (RedisReplyPtr message = sub_->next_buffered_reply()) {
            if (message->type == REDIS_REPLY_ARRAY && message->elements == 3 &&
                reply_string(message->element[0]) == "message") {
              sync_now = true;
            }
          }
        } catch (const std::exception& e) {
          connection_lost(e.what());
        }
      }
    }
    cmd_.reset();
    sub_.reset();
  }

  const RedisEndpoint endpoint_;
  const ScopeKeys keys_;
  const std::string description_;
  const std::chrono::milliseconds sync_interval_;
  const std::chrono::steady_clock::duration grace_;

  std::mutex mu_;  // guards the members below up to the worker-only ones
  std::deque<QueuedFailure> queue_;
  std::size_t dropped_ = 0;
  bool poll_requested_ = false;
  std::string started_by_;
  bool started_written_ = false;  // STARTED appended (by open() or the worker)
  bool reached_at_open_ = false;  // open() got through to the server
  long long opened_version_ = -1;
  GovernanceStoreObserver* observer_ = nullptr;
  std::thread worker_;

  std::atomic<bool> stopping_{false};
  std::atomic<long long> blocking_version_{-1};
  std::atomic<long long> delivering_version_{LLONG_MAX};
  int wake_pipe_[2] = {-1, -1};

  // The worker thread's alone.
  std::unique_ptr<RedisConnection> cmd_;
  std::unique_ptr<RedisConnection> sub_;
  StoreHealth health_ = StoreHealth::kOk;
  bool ever_connected_ = false;
  std::chrono::steady_clock::time_point lost_since_{};
  long long delivered_version_ = -1;
  std::string unreadable_message_;
  long long hold_since_ms_ = -1;  // server ms of a garbage/gone finding; -1: no hold
};

}  // namespace internal

std::shared_ptr<GovernanceStore> make_redis_governance_store(const Config& config,
                                                             std::shared_ptr<const Clock> clock) {
  if (!clock) throw std::invalid_argument("make_redis_governance_store: null clock");
  internal::RedisEndpoint endpoint = internal::redis_endpoint_from_config(config);
  const auto& rc = config.governance.redis;
  return std::make_shared<internal::RedisGovernanceStore>(
      std::move(endpoint), std::chrono::milliseconds(rc.sync_interval_ms),
      std::chrono::duration<double>(rc.grace_seconds));
}

}  // namespace mlgov
