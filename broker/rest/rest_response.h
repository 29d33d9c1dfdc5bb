#pragma once
// One REST request being answered: JSON bodies, the error object {error: {code, message}} with
// its status and Retry-After, counted in /metrics. An exchange answers at most once, at any time:
// inside handle() its answer is kept and sent by rest_api when handle() returns (answer_held()
// answers only a connection that already holds); afterwards through answer_held(). Owned by the
// request's shard, shared by the callbacks of the asynchronous steps.
#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/inbox/inbox_operations.h"
#include "broker/stats/broker_stats.h"
#include "protocol/http_header.h"
#include "reactor/connection.h"
#include "reactor/shard.h"

namespace ringcast::broker::rest {

// The HTTP status of an inbox error code.
int status_of(inbox::error_code code) noexcept;

class exchange {
 public:
  exchange(reactor::shard& shard, reactor::conn_id conn, bool keep_alive, broker_stats& stats)
      : shard_(shard), conn_(conn), keep_alive_(keep_alive), stats_(stats) {}

  void json(int status, const boost::json::value& body, std::string_view location = {});
  // `retry_after_ms` becomes Retry-After (whole seconds, at least 1); 503 always has one.
  void error(int status, std::string_view code, std::string_view message,
             std::optional<std::int64_t> retry_after_ms = std::nullopt, std::string_view extra_header = {});
  void error(const inbox::op_error& e) { error(status_of(e.code), inbox::to_string(e.code), e.message, e.retry_after_ms); }
  // The operation's result with `ok_status`, or its error.
  void result(inbox::op_result r, int ok_status = 200);

  bool answered() const noexcept { return answered_; }
  // Fields every answer carries (CORS), copied.
  void add_headers(std::span<const protocol::http_header_field> fields);

  // For rest_api: handle() has returned. The kept answer, if any, to send now; otherwise later
  // answers go through answer_held().
  std::optional<std::string> release_early();

 private:
  void send(int status, std::string body, std::string_view header_name = {}, std::string_view header_value = {});

  reactor::shard& shard_;
  reactor::conn_id conn_;
  bool keep_alive_;
  broker_stats& stats_;
  bool in_handle_ = true;
  bool answered_ = false;
  std::optional<std::string> early_;
  std::vector<std::pair<std::string, std::string>> headers_;
};
using exchange_ptr = std::shared_ptr<exchange>;

}  // namespace ringcast::broker::rest
