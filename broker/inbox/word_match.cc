#include "broker/inbox/word_match.h"

namespace ringcast::broker::inbox {
namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

bool is_word_byte(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u >= 0x80;
}

}  // namespace

bool contains_phrase(std::string_view text, std::string_view phrase) noexcept {
  if (phrase.empty() || phrase.size() > text.size()) return false;
  for (std::size_t at = 0; at + phrase.size() <= text.size(); ++at) {
    if (at > 0 && is_word_byte(text[at - 1]) && is_word_byte(phrase.front())) continue;
    std::size_t i = 0;
    while (i < phrase.size() && lower(text[at + i]) == lower(phrase[i])) ++i;
    if (i != phrase.size()) continue;
    const std::size_t end = at + phrase.size();
    if (end < text.size() && is_word_byte(text[end]) && is_word_byte(phrase.back())) continue;
    return true;
  }
  return false;
}

bool contains_any(std::string_view text, const std::vector<std::string>& phrases) noexcept {
  for (const auto& p : phrases)
    if (contains_phrase(text, p)) return true;
  return false;
}

std::vector<std::string> split_phrases(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

}  // namespace ringcast::broker::inbox
