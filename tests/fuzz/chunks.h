#pragma once
// How a fuzz target splits its input into the reads of a connection. The chunk sizes are bytes
// of the input itself, so the fuzzer mutates the split along with the data and can steer a cut
// to the one byte where a decoder keeps state wrongly; a fixed split would only ever test the
// boundaries someone thought of.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace ringcast::fuzz {

class chunk_plan {
 public:
  // Everything in one read: the reference the chunked runs are compared against.
  static chunk_plan whole() noexcept { return chunk_plan(); }

  // Takes a plan from the front of `input`: one byte n, then n % 8 + 1 size bytes (fewer if the
  // input ends first). The sizes are cycled for as long as there is input to split.
  static chunk_plan take(std::string_view& input) noexcept {
    chunk_plan plan;
    if (input.empty()) return plan;
    const std::size_t n = std::min<std::size_t>(static_cast<std::uint8_t>(input[0]) % 8 + 1, input.size() - 1);
    plan.sizes_ = input.substr(1, n);
    input.remove_prefix(1 + n);
    return plan;
  }

  // The size of the next chunk, at most `remaining` and at least 1 while anything remains.
  // A size byte with the high bit clear gives 1..16, which is where framing state lives;
  // with it set, 1..2033, so long runs still see a message arrive in a few reads.
  std::size_t next(std::size_t remaining) noexcept {
    if (sizes_.empty()) return remaining;
    const auto b = static_cast<std::uint8_t>(sizes_[k_++ % sizes_.size()]);
    const std::size_t size = (b & 0x80) != 0 ? std::size_t{b & 0x7fu} * 16 + 1 : std::size_t{b % 16u} + 1;
    return std::min(size, remaining);
  }

  // `input` cut into consecutive chunks that together are exactly `input`.
  std::vector<std::string_view> split(std::string_view input) {
    std::vector<std::string_view> out;
    while (!input.empty()) {
      const std::size_t n = next(input.size());
      out.push_back(input.substr(0, n));
      input.remove_prefix(n);
    }
    return out;
  }

 private:
  std::string_view sizes_;
  std::size_t k_ = 0;
};

}  // namespace ringcast::fuzz
