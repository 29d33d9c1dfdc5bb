#include "protocol/multipart.h"

#include <string>

#include "protocol/header_params.h"
#include "protocol/http_header.h"

namespace ringcast::protocol {
namespace {

using status = multipart_status;
using error = multipart_error;

multipart_result fail(error e) { return {status::error, e, 0}; }
multipart_result more() { return {status::need_more, error::none, 0}; }

bool same_name(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

// What follows a boundary at `i`: "--" (close, i moves past it), or padding and CRLF (i moves
// past the CRLF).
enum class after { close, part, need_more, bad };
after after_boundary(std::string_view body, std::size_t& i) noexcept {
  if (i < body.size() && body[i] == '-') {
    if (i + 1 == body.size()) return after::need_more;
    if (body[i + 1] != '-') return after::bad;
    i += 2;
    return after::close;
  }
  while (i < body.size() && (body[i] == ' ' || body[i] == '\t')) ++i;
  if (i == body.size()) return after::need_more;
  if (body[i] != '\r') return after::bad;
  if (i + 1 == body.size()) return after::need_more;
  if (body[i + 1] != '\n') return after::bad;
  i += 2;
  return after::part;
}

// Parses a part's header section (its lines, each ending in CRLF) into `f`: none (fine),
// bad_header or no_name.
error parse_part_headers(std::string_view section, form_field& f) {
  bool named = false;
  while (!section.empty()) {
    const std::size_t eol = section.find("\r\n");
    const std::string_view line = section.substr(0, eol);
    section.remove_prefix(eol == std::string_view::npos ? section.size() : eol + 2);
    const std::size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return error::bad_header;
    const std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    for (char c : name)
      if (!http_chars::is(c, http_chars::tchar)) return error::bad_header;
    for (char c : value)
      if (!http_chars::is(c, http_chars::field_char)) return error::bad_header;
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (same_name(name, "content-disposition")) {
      auto cd = parse_header_params(value);
      if (!cd) return error::bad_header;
      const std::string* n = cd->param("name");
      if (cd->value != "form-data" || !n) return error::no_name;
      f.name = *n;
      named = true;
      if (const std::string* file = cd->param("filename")) f.filename = *file;
    } else if (same_name(name, "content-type")) {
      f.content_type = std::string(value);
    }
  }
  return named ? error::none : error::no_name;
}

}  // namespace

std::string_view multipart_boundary(std::string_view content_type, std::string& storage) {
  auto parsed = parse_header_params(content_type);
  if (!parsed || parsed->value != "multipart/form-data") return {};
  const std::string* b = parsed->param("boundary");
  if (!b || b->empty() || b->size() > 70) return {};
  storage = *b;
  return storage;
}

multipart_result parse_multipart(std::string_view body, std::string_view boundary, const form_limits& limits,
                                 std::vector<form_field>& out) {
  out.clear();
  if (body.size() > limits.max_bytes) return fail(error::too_large);
  const std::string delimiter = "\r\n--" + std::string(boundary);
  // The first boundary starts the body, or follows a preamble and its CRLF.
  std::size_t i = 0;
  const std::string_view dash_boundary = std::string_view(delimiter).substr(2);
  if (body.substr(0, dash_boundary.size()) == dash_boundary) {
    i = dash_boundary.size();
  } else if (body.size() < dash_boundary.size() && dash_boundary.substr(0, body.size()) == body) {
    return more();
  } else {
    const std::size_t at = body.find(delimiter);
    if (at == std::string_view::npos) return more();
    i = at + delimiter.size();
  }
  std::vector<form_field> parts;
  for (;;) {
    switch (after_boundary(body, i)) {
      case after::need_more: return more();
      case after::bad: return fail(error::bad_delimiter);
      case after::close:
        out = std::move(parts);
        return {status::complete, error::none, i};
      case after::part: break;
    }
    if (parts.size() == limits.max_fields) return fail(error::too_many_fields);
    // The header section: empty (CRLF at once) or lines up to CRLF CRLF.
    std::size_t content = 0;
    std::string_view section;
    if (body.substr(i, 2) == "\r\n") {
      content = i + 2;
    } else {
      const std::size_t end = body.find("\r\n\r\n", i);
      const std::size_t seen = end == std::string_view::npos ? body.size() - i : end + 4 - i;
      if (seen > limits.max_part_header_bytes) return fail(error::header_too_large);
      if (end == std::string_view::npos) return more();
      section = body.substr(i, end + 2 - i);
      content = end + 4;
    }
    form_field f;
    if (const error e = parse_part_headers(section, f); e != error::none) return fail(e);
    const std::size_t end = body.find(delimiter, content);
    if (end == std::string_view::npos) return more();
    f.value = std::string(body.substr(content, end - content));
    parts.push_back(std::move(f));
    i = end + delimiter.size();
  }
}

}  // namespace ringcast::protocol
