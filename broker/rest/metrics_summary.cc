// GET /metrics/summary?windowMinutes=60: the support figures from PostgreSQL (staff only).
#include <boost/json/parse.hpp>

#include "broker/rest/routes.h"
#include "persistence/metrics_summary.h"

namespace ringcast::broker::rest {

void metrics_summary(rest_context& ctx, rest_request& r) {
  boost::json::object args = query_object(r.query, {"windowMinutes"}, {});
  std::int64_t minutes = 60;
  if (const auto* w = args.if_contains("windowMinutes")) {
    if (!w->is_int64() || w->as_int64() < 1 || w->as_int64() > persistence::max_summary_window_minutes)
      return r.out->error(400, "bad_request",
                          "windowMinutes is 1 to " + std::to_string(persistence::max_summary_window_minutes));
    minutes = w->as_int64();
  }
  ctx.ops.run(persistence::metrics_summary(int(minutes)), false,
              [out = r.out](inbox::op_result failed) { out->result(std::move(failed)); },
              [out = r.out](const PGresult* res, inbox::op_done) {
                auto text = persistence::parse_metrics_summary(res);
                boost::system::error_code ec;
                boost::json::value v = text ? boost::json::parse(*text, ec) : boost::json::value();
                if (!text || ec || !v.is_object())
                  return out->error(503, "unavailable", "the database answered unexpectedly; retry");
                out->json(200, v);
              });
}

}  // namespace ringcast::broker::rest
