#pragma once
// The figures of GET /api/v1/metrics/summary, read from PostgreSQL in one statement that builds the
// JSON object itself (docs/rest.md lists its fields). Conventions as in queries.h.
#include <libpq-fe.h>

#include <optional>
#include <string>

#include "persistence/queries.h"

namespace ringcast::persistence {

inline constexpr int max_summary_window_minutes = 60 * 24 * 31;

// The summary over the last `window_minutes` (1..max_summary_window_minutes): one row, one column,
// the JSON text.
query metrics_summary(int window_minutes);
// The JSON text, or nullopt when the result is not that shape.
std::optional<std::string> parse_metrics_summary(const PGresult* res);

}  // namespace ringcast::persistence
