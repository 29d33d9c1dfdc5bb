#pragma once
// Serves the embedded web assets (broker/web/embedded_assets.h): GET and HEAD, the gzip twin to
// clients that take it, a 304 when If-None-Match names the current ETag. Immutable after start:
// one instance may serve every shard.
#include <string>
#include <string_view>
#include <unordered_map>

#include "broker/web/embedded_assets.h"
#include "protocol/http_parser.h"

namespace ringcast::broker::web {

class static_files {
 public:
  static_files();

  // The asset at `path`, or nullptr.
  const embedded_asset* find(std::string_view path) const noexcept;

  // Appends the answer to a request for `asset` (200, 304, or 405 for a method other than GET or
  // HEAD) to `out`.
  void answer(const embedded_asset& asset, const protocol::http_request& req, std::string& out) const;

 private:
  std::unordered_map<std::string_view, const embedded_asset*> by_path_;
};

}  // namespace ringcast::broker::web
