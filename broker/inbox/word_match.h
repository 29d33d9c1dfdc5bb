#pragma once
// Whether a message contains one of a list of words or phrases (the AI's urgent words and
// requests for a person): ASCII case-insensitive, at word boundaries, so "urgent" matches
// "URGENT!" but not "insurgent". Bytes outside ASCII compare exactly and count as letters.
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::broker::inbox {

bool contains_phrase(std::string_view text, std::string_view phrase) noexcept;
bool contains_any(std::string_view text, const std::vector<std::string>& phrases) noexcept;
// "a, b c ,d" -> {"a", "b c", "d"} (a flag's value); empty entries are dropped.
std::vector<std::string> split_phrases(std::string_view list);

}  // namespace ringcast::broker::inbox
