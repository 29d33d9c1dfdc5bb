#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::protocol {

// Appends `s` as a quoted JSON string, escaping as JavaScript's JSON.stringify does, so names
// we build by hand (event names, session ids, error messages) match what a Node server sends.
// Bytes >= 0x20 other than '"' and '\\' pass through unchanged: input is expected to be UTF-8.
void append_json_string(std::string& out, std::string_view s);

// Appends `n` in decimal, as a JSON number.
void append_json_uint(std::string& out, std::uint64_t n);

}  // namespace ringcast::protocol
