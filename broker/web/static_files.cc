#include "broker/web/static_files.h"

#include <vector>

#include "protocol/http_negotiation.h"
#include "protocol/http_response.h"

namespace ringcast::broker::web {

static_files::static_files() {
  for (const embedded_asset& a : embedded_assets()) by_path_.emplace(a.path, &a);
}

const embedded_asset* static_files::find(std::string_view path) const noexcept {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : it->second;
}

void static_files::answer(const embedded_asset& asset, const protocol::http_request& req, std::string& out) const {
  using protocol::http_header_field;
  const bool head = req.method == protocol::http_method::head;
  if (!head && req.method != protocol::http_method::get) {
    const http_header_field fields[] = {{"Allow", "GET, HEAD"}, {"Content-Type", "text/plain; charset=utf-8"}};
    protocol::write_response(out, 405, fields, "method not allowed\n", req.keep_alive);
    return;
  }
  const bool gzip = protocol::accepts_gzip(req.find_header("Accept-Encoding").value_or(""));
  // Each coding is its own representation, so it has its own validator: "<digest>-gz".
  const std::string_view plain_tag = asset.etag;
  std::string tag(plain_tag);
  if (gzip) tag.insert(tag.size() - 1, "-gz");
  std::vector<http_header_field> fields = {{"Content-Type", asset.content_type},
                                           {"ETag", tag},
                                           {"Cache-Control", asset.cache_control},
                                           {"Vary", "Accept-Encoding"}};
  if (auto inm = req.find_header("If-None-Match"); inm && protocol::etag_listed(*inm, tag)) {
    protocol::write_response(out, 304, fields, {}, req.keep_alive);
    return;
  }
  if (gzip) fields.push_back({"Content-Encoding", "gzip"});
  const std::span<const char> body = gzip ? asset.gzip_body : asset.body;
  if (head) protocol::write_response_head(out, 200, fields, body.size(), req.keep_alive);
  else protocol::write_response(out, 200, fields, std::string_view(body.data(), body.size()), req.keep_alive);
}

}  // namespace ringcast::broker::web
