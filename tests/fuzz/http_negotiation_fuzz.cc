// Accept-Encoding and If-None-Match on arbitrary bytes: the readers must stay in bounds and agree
// with properties that hold for any input: a field that names gzip with no parameters first
// accepts it, and a list that holds the tag verbatim as an element matches it.
// Input: [tag length][tag][field].

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/http_negotiation.h"

namespace {

void require(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t tag_len = data[0] % 16;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string_view tag = rest.substr(0, tag_len);
  const std::string_view field = rest.substr(tag.size());
  using namespace ringcast::protocol;
  (void)accepts_gzip(field);
  (void)etag_listed(field, tag);
  require(accepts_gzip(std::string(field) + ",gzip"));
  if (!tag.empty() && tag.find(',') == std::string_view::npos && tag.front() != ' ' && tag.front() != '\t' &&
      tag.back() != ' ' && tag.back() != '\t' && tag.substr(0, 2) != "W/")
    require(etag_listed(std::string(field) + "," + std::string(tag), tag));
  return 0;
}
