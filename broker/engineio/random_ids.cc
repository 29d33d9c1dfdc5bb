#include "broker/engineio/random_ids.h"

#include <sys/random.h>

namespace ringcast::broker {

std::string id_generator::next() {
  if (pool_.size() < id_length) {
    pool_.resize(4096);
    std::size_t got = 0;
    while (got < pool_.size()) {
      ssize_t n = ::getrandom(pool_.data() + got, pool_.size() - got, 0);
      if (n > 0) got += std::size_t(n);
    }
  }
  std::string id(id_length, '\0');
  id[0] = first_;
  for (std::size_t i = 1; i < id_length; ++i) id[i] = id_alphabet[std::uint8_t(pool_[pool_.size() - i]) & 63];
  pool_.resize(pool_.size() - id_length);
  return id;
}

int id_shard(std::string_view id, unsigned shards) noexcept {
  if (id.size() != id_length) return -1;
  auto pos = id_alphabet.find(id[0]);
  return pos == std::string_view::npos || pos >= shards ? -1 : int(pos);
}

}  // namespace ringcast::broker
