#pragma once
// Unpredictable 20-character ids whose first character names the owning shard: Engine.IO sids
// (a polling request's only credential) and Socket.IO socket ids. One generator per shard.
#include <string>
#include <string_view>

namespace ringcast::broker {

inline constexpr std::string_view id_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
inline constexpr std::size_t id_length = 20;
// An id names its shard in its first character, so there can be no more shards than characters.
inline constexpr unsigned max_shards = id_alphabet.size();

class id_generator {
 public:
  // shard < max_shards.
  explicit id_generator(unsigned shard) : first_(id_alphabet[shard & 63]) {}
  std::string next();

 private:
  char first_;
  std::string pool_;  // kernel randomness, drawn 4 KiB at a time
};

// The shard an id names, or -1 if it is not one of ours for `shards` shards.
int id_shard(std::string_view id, unsigned shards) noexcept;

}  // namespace ringcast::broker
