#include "broker/stats/broker_stats.h"

#include "reactor/log.h"

namespace ringcast::broker {

void broker_stats::hit(limit_kind k) noexcept {
  bump(limits_hit[std::size_t(k)]);
  // One client past a limit is routine; many a second is an attack or a wrong setting.
  static reactor::log_rate rate(1);
  std::uint64_t held_back = 0;
  if (rate.allow(held_back))
    reactor::log(reactor::log_level::warn, "a client passed the %s limit (%llu more since the last such line)",
                 to_string(k), static_cast<unsigned long long>(held_back));
}

}  // namespace ringcast::broker
