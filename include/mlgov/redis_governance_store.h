// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The Redis governance store (governance.store: redis), in its own target
// mlgov::redis (links hiredis): every engine configured with the same
// governance.redis.scope shares one failure window, one latch and one audit
// trail, whatever host it runs on.
//
// Layout of scope S on the server. Every key carries the hash tag
// {mlgov:S}, so all of a scope's keys live in one hash slot: the scripts
// below touch several keys at once, which Redis Cluster allows only inside
// one slot (the layout works unchanged on a Cluster; on Sentinel, point the
// URL at the current primary).
//   {mlgov:S}:state          hash: format ("mlgov-redis-state/1"), state
//                            (ENABLED | DISABLED_GOVERNANCE), since_ms (server
//                            ms of the current state, "" when never latched),
//                            reason, ver (bumped by every change)
//   {mlgov:S}:window         sorted set: failure id -> server time (ms) of
//                            the failures of the current window
//   {mlgov:S}:failures       sorted set: every failure id counted in the last
//                            24 h -> server ms (a failure sent twice, e.g. a
//                            retry after a lost reply, is counted once)
//   {mlgov:S}:last_failures  list: the latest 16 failures, JSON objects
//                            {"ts","symbol","reason","message"}, oldest first
//   {mlgov:S}:history        stream, the audit trail: STARTED,
//                            DISABLED_BY_GOVERNANCE, DISABLED_BY_OPERATOR,
//                            REENABLED entries (fields event, operator,
//                            reason; the entry id is the server time), capped
//                            with XADD MAXLEN ~ 10000 (never fewer than the
//                            last 10,000 entries)
//   {mlgov:S}:changes        pub/sub channel: the new ver after a latch, a
//                            disable or a re-enable
//
// Every transition (a failure, a start, a re-enable, a disable) is one Lua
// script run atomically on the server with the server's clock
// (redis.call('TIME')), so the window does not depend on the engines' clocks:
// max_failures failures within window_seconds of server time, from any
// engines of the scope, latch the whole scope (half-open window, as
// FailureWindow: a failure exactly window_seconds after another no longer
// sees it).
//
// Threading and the network: record_failure never touches the network. It
// queues the failure and returns FailureOutcome::kQueued at once; a
// background thread sends the queue in order, retrying after a reconnect
// (each failure's id makes a resend count once). The same thread holds a
// subscription to the scope's channel and delivers a published change to the
// observer as soon as it arrives (well within 100 ms on loopback), and reads
// the state every sync_interval_ms as the fallback (and as the health check).
// open, read, reenable and disable are blocking (the operator's path and the
// engine's start): each uses its own short connection. poll() only wakes the
// background thread.
//
// Faults:
//   - Unreachable at open(): StoreUnavailableError naming the URL, the scope
//     and the cause; after start() the background thread keeps reconnecting
//     with backoff (100 ms doubling to 2 s), reports kUnavailable until it
//     gets through, then appends the STARTED record, reports kOk and
//     delivers the shared record.
//   - Lost while running (a command or connect timeout, a closed
//     connection; seen at the next push or sync, so within about
//     sync_interval_ms + command_timeout_ms): on_health_change(kDegraded)
//     at once, kUnavailable at the first reconnect attempt after
//     grace_seconds, and when it is back the queued failures are pushed (in
//     order, each counted once), the shared record is delivered, then kOk.
//     The queue is in memory: none is lost while the process runs and it
//     holds fewer than 2^20 failures; beyond that the oldest are dropped
//     and on_store_event(STORE_FAILURES_DROPPED) says how many; failures
//     still queued are lost at stop() or exit while the server is away. A failure id is remembered
//     for 24 h: a resend later than that would count again.
//   - A wrong password (WRONGPASS / NOAUTH / invalid password): open() and
//     read() throw GovernanceStateError; a running store reports
//     kUnavailable and on_store_unreadable (ML disabled, loudly).
//   - A garbage value under the scope's keys (a key of the wrong type, an
//     unknown format or state, a field that does not parse): open() and
//     read() throw GovernanceStateError naming the key and the field; a
//     running store calls on_store_unreadable with that message (the latch
//     disables: never taken as enabled) and holds ML off until the history
//     shows an operator's REENABLED written after the finding: keys that
//     read fine again on their own (rewritten or deleted) do not lift it.
//     Failures stay queued meanwhile. reenable() and disable() refuse to
//     write over garbage (GovernanceStateError): delete the scope's keys
//     first (`redis-cli --scan --pattern '{mlgov:S}:*'`).
//   - The state hash gone after this store wrote STARTED (DEL, FLUSHDB, a
//     restart without persistence): never taken as enabled. The store
//     writes it back DISABLED_GOVERNANCE with a STATE_RECREATED history
//     entry (a Lua script, only if still missing; a failure pushed onto a
//     missing hash does the same), calls on_store_unreadable and holds ML
//     off as for garbage, until an operator's REENABLED. open() on a scope
//     with no keys cannot tell it from a new scope: it creates it ENABLED.
//   - Redis restarted with persistence (appendonly): the latch is on the
//     server, so a latched scope is still latched.
//
// The password is read from the environment variable governance.redis.
// password_env names, when the store is made; it is never logged, never in
// describe() and never in an error message.
#pragma once

#include <memory>

#include "mlgov/clock.h"
#include "mlgov/config.h"
#include "mlgov/governance_store.h"

namespace mlgov {

// The Redis store of config.governance.redis (url "redis://host[:port][/db]",
// scope, connect/command timeouts, sync interval, password_env,
// grace_seconds). Does not connect (open() does). Throws ConfigError naming
// the governance.redis field for a URL that does not parse (or carries a
// password: use password_env), a scope outside [A-Za-z0-9_.-]{1,64}, a
// non-positive timeout or interval, a negative grace, or a password_env
// naming a variable that is not set. `clock` stamps nothing on the server
// (the server's clock decides) and is kept for the interface's symmetry with
// the file store; it must not be null.
// One store per predictor: start() runs one worker for one observer, so a
// second start() on the same store throws std::logic_error (give each
// predictor its own store; they share the scope through the server).
std::shared_ptr<GovernanceStore> make_redis_governance_store(const Config& config,
                                                             std::shared_ptr<const Clock> clock);

}  // namespace mlgov
