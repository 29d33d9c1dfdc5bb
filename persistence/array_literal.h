#pragma once
// PostgreSQL's text-format array literal ({"a","b",NULL}), built one element at a time, so a
// whole batch travels as one parameter per column and one statement inserts every row.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ringcast::persistence {

class array_literal {
 public:
  // Any text. Always quoted, so NULL, empty strings, spaces, braces and commas stay data; only
  // '"' and '\' need a backslash inside quotes. The text must not contain a NUL byte (libpq
  // parameters are C strings); validate rows before encoding them.
  void text(std::string_view s);
  void text_or_null(const std::optional<std::string>& s);
  void null();
  void integer(std::int64_t v);
  void integer(std::optional<std::int64_t> v);
  // Shortest text that reads back as the same float; NaN and infinities in PostgreSQL's spelling.
  void real(std::optional<float> v);

  void reserve(std::size_t bytes) { out_.reserve(bytes); }
  std::size_t size() const noexcept { return count_; }
  // The finished literal; the builder is empty afterwards.
  std::string take();

 private:
  void separator();

  std::string out_ = "{";
  std::size_t count_ = 0;
};

}  // namespace ringcast::persistence
