#include "persistence/array_literal.h"

#include <charconv>
#include <cmath>

namespace ringcast::persistence {

void array_literal::separator() {
  if (count_++ != 0) out_.push_back(',');
}

void array_literal::text(std::string_view s) {
  separator();
  out_.push_back('"');
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"' || s[i] == '\\') {
      out_.append(s.substr(start, i - start));
      out_.push_back('\\');
      start = i;  // the quote or backslash itself goes out with the next run
    }
  }
  out_.append(s.substr(start));
  out_.push_back('"');
}

void array_literal::text_or_null(const std::optional<std::string>& s) {
  if (s)
    text(*s);
  else
    null();
}

void array_literal::null() {
  separator();
  out_.append("NULL");
}

void array_literal::integer(std::int64_t v) {
  separator();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
}

void array_literal::integer(std::optional<std::int64_t> v) {
  if (v)
    integer(*v);
  else
    null();
}

void array_literal::real(std::optional<float> v) {
  if (!v) return null();
  separator();
  if (std::isnan(*v)) {
    out_.append("NaN");
  } else if (std::isinf(*v)) {
    out_.append(*v > 0 ? "Infinity" : "-Infinity");
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, *v);
    out_.append(buf, r.ptr);
  }
}

std::string array_literal::take() {
  out_.push_back('}');
  std::string done = std::move(out_);
  out_ = "{";
  count_ = 0;
  return done;
}

}  // namespace ringcast::persistence
