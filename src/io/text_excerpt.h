// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Internal: how error messages quote input text. A hostile file can hold a
// field of a gigabyte or raw binary; an error that quoted it whole would take
// that much memory and flood the log. Every parser quotes through excerpt().
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mlgov::internal {

// At most this many bytes of input text appear in an error message.
inline constexpr std::size_t kMaxQuotedBytes = 80;

// The first `max_bytes` bytes of `text` (cut back to a UTF-8 character
// boundary), then "..." when anything was cut. Control bytes are written
// as \xNN so that a message stays one printable line. Never throws except
// std::bad_alloc.
inline std::string excerpt(std::string_view text, std::size_t max_bytes = kMaxQuotedBytes) {
  std::size_t keep = text.size();
  bool cut = false;
  if (keep > max_bytes) {
    keep = max_bytes;
    cut = true;
    // Do not split a multi-byte UTF-8 character: back off continuation bytes
    // (10xxxxxx) and the lead byte they belong to.
    std::size_t back = keep;
    while (back > 0 && (static_cast<unsigned char>(text[back]) & 0xC0) == 0x80) --back;
    if (back > 0 || (static_cast<unsigned char>(text[0]) & 0xC0) != 0x80) keep = back;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(keep + (cut ? 3 : 0));
  for (std::size_t i = 0; i < keep; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (cut) out += "...";
  return out;
}

}  // namespace mlgov::internal
