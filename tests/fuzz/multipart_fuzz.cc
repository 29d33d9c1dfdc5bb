// multipart/form-data bodies on arbitrary bytes, fed the way a connection delivers them: the
// verdict on every prefix the chunk plan cuts must be need_more or the whole body's verdict (an
// error decided from a prefix stays an error, a completed body stays complete with the same
// parts), every part's value must be bytes of the body, and the limits must hold.
// Input: [boundary length][boundary][chunk plan][body].

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/header_params.h"
#include "protocol/multipart.h"
#include "tests/fuzz/chunks.h"

namespace {

using namespace ringcast::protocol;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t boundary_size = std::min<std::size_t>(data[0] % 71, input.size());
  const std::string_view boundary = input.substr(0, boundary_size);
  input.remove_prefix(boundary_size);
  if (boundary.empty()) return 0;
  ringcast::fuzz::chunk_plan plan = ringcast::fuzz::chunk_plan::take(input);
  const std::string_view body = input;

  form_limits limits;
  limits.max_fields = 8;
  limits.max_part_header_bytes = 256;
  limits.max_bytes = 4096;
  std::vector<form_field> whole;
  const multipart_result verdict = parse_multipart(body, boundary, limits, whole);
  if (verdict.status == multipart_status::complete) {
    require(verdict.consumed <= body.size());
    require(whole.size() <= limits.max_fields);
    for (const auto& f : whole) require(body.find(f.value) != std::string_view::npos);
  } else {
    require(whole.empty());
    require((verdict.status == multipart_status::error) == (verdict.error != multipart_error::none));
  }

  std::size_t have = 0;
  for (std::string_view chunk : plan.split(body)) {
    have += chunk.size();
    std::vector<form_field> got;
    const multipart_result r = parse_multipart(body.substr(0, have), boundary, limits, got);
    if (r.status == multipart_status::need_more) {
      require(got.empty());
      continue;
    }
    require(r.status == verdict.status && r.error == verdict.error);
    if (r.status == multipart_status::complete) require(r.consumed == verdict.consumed && got == whole);
  }

  // The Content-Type that would carry this boundary, and header parameters on the raw bytes.
  std::string storage;
  const std::string content_type = "multipart/form-data; boundary=\"" + std::string(boundary) + "\"";
  const std::string_view found = multipart_boundary(content_type, storage);
  if (!found.empty()) require(found.size() <= 70);
  if (auto p = parse_header_params(body)) {
    require(!p->value.empty());
    for (char c : p->value) require(!(c >= 'A' && c <= 'Z'));
  }
  return 0;
}
