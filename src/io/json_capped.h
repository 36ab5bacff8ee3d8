// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// parse_json_capped (internal): JSON text or UBJSON into a nlohmann DOM
// through nlohmann's SAX interface, with the limits a file from someone else
// needs: a nesting depth cap (nlohmann's UBJSON reader recurses once per
// level, and the DOM's copy and dump recurse too, so nothing deeper than the
// cap is ever built), a cap on the number of values (a UBJSON container may
// declare 2^62 zero-byte elements), duplicate keys refused (two readers of
// one file must not pick different values), and every error one line naming
// the field path ("learner.gradient_booster.model.trees[3].left_children")
// and quoting at most 80 characters of the offending text.
//
// Thread-safety: stateless functions.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlgov::internal {

// The first `max_chars` characters of `text`, "..." appended when cut, with
// control characters shown as '?', so that a message stays one short line.
inline std::string excerpt(std::string_view text, std::size_t max_chars = 80) {
  std::string out;
  const std::size_t n = std::min(text.size(), max_chars);
  out.reserve(n + 3);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    out.push_back(c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c));
  }
  if (text.size() > max_chars) out += "...";
  return out;
}

struct JsonCaps {
  std::size_t max_depth = 64;  // containers inside containers
  std::size_t max_values = std::numeric_limits<std::size_t>::max();
  // Unsigned integers above INT64_MAX refused (readers that hold integers
  // as int64 would overflow on them).
  bool refuse_unsigned_above_int64 = false;
};

enum class JsonSyntax { kText, kUbjson };

// The parsed document, or the reason it was refused (one line:
// "field <path>: <rule>" or "<rule> at byte N").
template <class Json>
struct CappedParse {
  std::optional<Json> document;
  std::string error;
};

namespace detail {

template <class Json>
class CappedDomBuilder {
 public:
  using number_integer_t = typename Json::number_integer_t;
  using number_unsigned_t = typename Json::number_unsigned_t;
  using number_float_t = typename Json::number_float_t;
  using string_t = typename Json::string_t;
  using binary_t = typename Json::binary_t;

  explicit CappedDomBuilder(const JsonCaps& caps) : caps_(caps) {}

  bool null() { return put(Json(nullptr)); }
  bool boolean(bool v) { return put(Json(v)); }
  bool number_integer(number_integer_t v) { return put(Json(v)); }
  bool number_unsigned(number_unsigned_t v) {
    if (caps_.refuse_unsigned_above_int64 &&
        v > static_cast<number_unsigned_t>(std::numeric_limits<std::int64_t>::max())) {
      return fail_at_value("integer " + std::to_string(v) + " is out of range (above 2^63-1)");
    }
    return put(Json(v));
  }
  bool number_float(number_float_t v, const string_t& text) {
    if (!std::isfinite(v)) {
      return fail_at_value("number " + excerpt(text) + " is out of range");
    }
    return put(Json(v));
  }
  bool string(string_t& v) { return put(Json(std::move(v))); }
  bool binary(binary_t&) { return fail_at_value("binary values are not allowed"); }

  bool start_object(std::size_t n) { return open(Json::object(), n); }
  bool key(string_t& k) {
    Level& top = stack_.back();
    if (top.node->contains(k)) {
      error_ = "field " + path_with(excerpt(k)) + ": duplicate key (rule: every key once)";
      return false;
    }
    top.key = k;
    pending_ = &(*top.node)[k];
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t n) { return open(Json::array(), n); }
  bool end_array() { return close(); }

  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& ex) {
    if (!error_.empty()) return false;
    if (ex.id == 406) {  // number overflow (1e999)
      return fail_at_value("number " + excerpt(last_token) + " is out of range");
    }
    // nlohmann's message names the position and quotes the whole last token;
    // keep its reason and quote at most 80 characters.
    std::string what = ex.what();
    if (const auto q = what.find("; last read: "); q != std::string::npos) what.resize(q);
    if (const auto b = what.find("] "); b != std::string::npos) what.erase(0, b + 2);
    error_ = excerpt(what, 200) + " at byte " + std::to_string(position);
    if (!last_token.empty()) error_ += " (near '" + excerpt(last_token) + "')";
    return false;
  }

  Json take() { return std::move(root_); }
  const std::string& error() const { return error_; }

 private:
  struct Level {
    Json* node;
    std::string key;        // objects: the key being filled
    std::size_t index = 0;  // arrays: the next element's index
  };

  std::string path_with(const std::string& last_key = {}) const {
    std::string p;
    for (const Level& l : stack_) {
      if (l.node->is_object()) {
        if (&l == &stack_.back() && !last_key.empty()) break;
        if (!p.empty()) p += '.';
        p += excerpt(l.key, 40);
      } else {
        // The last level's element is not placed yet; outer ones are.
        p += '[';
        p += std::to_string(&l == &stack_.back() ? l.index : l.index - 1);
        p += ']';
      }
    }
    if (!last_key.empty()) p += (p.empty() ? "" : ".") + last_key;
    return p.empty() ? "(top level)" : p;
  }

  bool fail_at_value(const std::string& what) {
    error_ = "field " + path_with() + ": " + what;
    return false;
  }

  // Places a value: the root, the next array element or the pending key's.
  Json* place(Json&& v) {
    if (++values_ > caps_.max_values) return nullptr;
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Level& top = stack_.back();
    if (top.node->is_array()) {
      top.node->push_back(std::move(v));
      ++top.index;
      return &top.node->back();
    }
    *pending_ = std::move(v);
    return pending_;
  }

  bool put(Json&& v) {
    if (place(std::move(v)) == nullptr) return too_many();
    return true;
  }

  bool too_many() {
    error_ = "more than " + std::to_string(caps_.max_values) + " values";
    return false;
  }

  bool open(Json&& container, std::size_t declared) {
    if (stack_.size() >= caps_.max_depth) {
      error_ = "field " + path_with() + ": nested deeper than " + std::to_string(caps_.max_depth) +
               " levels (rule: nesting depth at most " + std::to_string(caps_.max_depth) + ")";
      return false;
    }
    if (declared != static_cast<std::size_t>(-1) && declared > caps_.max_values - values_) {
      error_ = "field " + path_with() + ": declares " + std::to_string(declared) +
               " elements, more than the input can hold";
      return false;
    }
    Json* node = place(std::move(container));
    if (node == nullptr) return too_many();
    stack_.push_back({node, {}, 0});
    return true;
  }

  bool close() {
    stack_.pop_back();
    return true;
  }

  JsonCaps caps_;
  Json root_;
  Json* pending_ = nullptr;
  std::vector<Level> stack_;
  std::size_t values_ = 0;
  std::string error_;
};

}  // namespace detail

// Parses `bytes` as JSON text or UBJSON within `caps`. Never throws for bad
// input (only std::bad_alloc); never recurses deeper than caps.max_depth.
template <class Json>
CappedParse<Json> parse_json_capped(std::string_view bytes, JsonSyntax syntax,
                                    const JsonCaps& caps) {
  detail::CappedDomBuilder<Json> builder(caps);
  bool ok = false;
  try {
    ok = Json::sax_parse(bytes.begin(), bytes.end(), &builder,
                         syntax == JsonSyntax::kText ? nlohmann::json::input_format_t::json
                                                     : nlohmann::json::input_format_t::ubjson,
                         true);
  } catch (const nlohmann::json::exception& e) {
    // The readers report through parse_error; anything else that escapes
    // them still becomes a one-line refusal.
    CappedParse<Json> out;
    out.error = builder.error().empty() ? excerpt(e.what(), 200) : builder.error();
    return out;
  }
  CappedParse<Json> out;
  if (ok && builder.error().empty()) {
    out.document = builder.take();
  } else {
    out.error = builder.error().empty() ? std::string("malformed input") : builder.error();
  }
  return out;
}

}  // namespace mlgov::internal
