#include "protocol/http_negotiation.h"

#include "protocol/http_header.h"

namespace ringcast::protocol {
namespace {

// The q-value of one Accept-Encoding element's parameters ("; q=0.5"): 1 when absent, 0 when
// malformed (a coding we cannot read the weight of is not worth choosing).
double q_value(std::string_view params) noexcept {
  while (!params.empty()) {
    const std::size_t semi = params.find(';');
    std::string_view p = trim_ows(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (p.size() < 2 || ascii_lower(p[0]) != 'q' || p[1] != '=') continue;
    std::string_view v = p.substr(2);
    // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
    if (v.empty() || v.size() > 5 || (v[0] != '0' && v[0] != '1')) return 0;
    if (v.size() > 1 && v[1] != '.') return 0;
    double q = v[0] - '0', scale = 0.1;
    for (std::size_t i = 2; i < v.size(); ++i, scale /= 10) {
      if (v[i] < '0' || v[i] > '9') return 0;
      q += (v[i] - '0') * scale;
    }
    return q > 1 ? 0 : q;
  }
  return 1;
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) noexcept {
  double gzip = -1, any = -1;
  for_each_list_element(accept_encoding, [&](std::string_view element) {
    const std::size_t semi = element.find(';');
    const std::string_view coding = trim_ows(element.substr(0, semi));
    const double q = semi == std::string_view::npos ? 1 : q_value(element.substr(semi + 1));
    if (ascii_iequals(coding, "gzip") || ascii_iequals(coding, "x-gzip")) gzip = q;
    else if (coding == "*") any = q;
    return true;
  });
  if (gzip >= 0) return gzip > 0;
  return any > 0;
}

bool etag_listed(std::string_view if_none_match, std::string_view etag) noexcept {
  bool found = false;
  for_each_list_element(if_none_match, [&](std::string_view element) {
    if (element == "*") found = true;
    if (element.size() > 2 && element[0] == 'W' && element[1] == '/') element.remove_prefix(2);
    if (element == etag) found = true;
    return !found;
  });
  return found;
}

}  // namespace ringcast::protocol
