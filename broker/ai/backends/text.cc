#include "broker/ai/backends/text.h"

#include <algorithm>
#include <array>
#include <unordered_set>

namespace ringcast::ai {
namespace {

constexpr std::string_view lang_codes[lang_count] = {"en", "es", "fr", "de", "pt"};

// U+00C0..U+017F: what each Latin letter folds to, as ranges. Gaps (U+00D7 x, U+00F7 /) are not
// letters.
struct fold_range {
  char32_t first, last;
  std::string_view to;
};
// clang-format off
constexpr fold_range latin_folds[] = {
    {0xC0, 0xC5, "a"},    {0xC6, 0xC6, "ae"},   {0xC7, 0xC7, "c"},    {0xC8, 0xCB, "e"},
    {0xCC, 0xCF, "i"},    {0xD0, 0xD0, "d"},    {0xD1, 0xD1, "n"},    {0xD2, 0xD6, "o"},
    {0xD8, 0xD8, "o"},    {0xD9, 0xDC, "u"},    {0xDD, 0xDD, "y"},    {0xDE, 0xDE, "th"},
    {0xDF, 0xDF, "ss"},   {0xE0, 0xE5, "a"},    {0xE6, 0xE6, "ae"},   {0xE7, 0xE7, "c"},
    {0xE8, 0xEB, "e"},    {0xEC, 0xEF, "i"},    {0xF0, 0xF0, "d"},    {0xF1, 0xF1, "n"},
    {0xF2, 0xF6, "o"},    {0xF8, 0xF8, "o"},    {0xF9, 0xFC, "u"},    {0xFD, 0xFD, "y"},
    {0xFE, 0xFE, "th"},   {0xFF, 0xFF, "y"},    {0x100, 0x105, "a"},  {0x106, 0x10D, "c"},
    {0x10E, 0x111, "d"},  {0x112, 0x11B, "e"},  {0x11C, 0x123, "g"},  {0x124, 0x127, "h"},
    {0x128, 0x131, "i"},  {0x132, 0x133, "ij"}, {0x134, 0x135, "j"},  {0x136, 0x138, "k"},
    {0x139, 0x142, "l"},  {0x143, 0x14B, "n"},  {0x14C, 0x151, "o"},  {0x152, 0x153, "oe"},
    {0x154, 0x159, "r"},  {0x15A, 0x161, "s"},  {0x162, 0x167, "t"},  {0x168, 0x173, "u"},
    {0x174, 0x175, "w"},  {0x176, 0x178, "y"},  {0x179, 0x17E, "z"},  {0x17F, 0x17F, "s"},
};
// clang-format on

std::string_view latin_fold(char32_t c) noexcept {
  for (const auto& r : latin_folds)
    if (c >= r.first && c <= r.last) return r.to;
  return {};
}

// Code points past ASCII that separate words: Latin-1 punctuation, general punctuation,
// currency and other symbols, CJK punctuation, variation selectors, the BOM, fullwidth
// punctuation, emoji and tags. Anything else is taken for a letter of some script.
bool is_separator(char32_t c) noexcept {
  return c < 0xC0 || c == 0xD7 || c == 0xF7 || (c >= 0x2000 && c <= 0x2BFF) || (c >= 0x3000 && c <= 0x303F) ||
         (c >= 0xFE00 && c <= 0xFE0F) || c == 0xFEFF || (c >= 0xFF00 && c <= 0xFF0F) ||
         (c >= 0x1F000 && c <= 0x1FAFF) || c >= 0xE0000;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
  }
  out += static_cast<char>(0x80 | (c & 0x3F));
}

// Folded forms. Question words are not here (see below); greetings are not either: the intent
// detector takes them out of a message before retrieval.
// clang-format off
constexpr std::string_view en_stop[] = {
    "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "aren", "as", "at",
    "be", "because", "been", "before", "being", "both", "but", "by", "can", "could", "couldn", "d",
    "did", "didn", "do", "does", "doesn", "doing", "don", "done", "during", "each", "for", "from",
    "get", "got", "had", "has", "hasn", "have", "haven", "having", "he", "her", "here", "him", "his",
    "i", "if", "im", "in", "into", "is", "isn", "it", "its", "just", "kindly", "ll", "m", "me", "more",
    "most", "my", "myself", "need", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or",
    "other", "our", "ours", "out", "own", "please", "pls", "plz", "re", "s", "same", "she", "should",
    "so", "some", "such", "t", "than", "that", "the", "their", "them", "then", "there", "these",
    "they", "this", "those", "to", "too", "up", "us", "ve", "very", "want", "was", "wasn", "we",
    "were", "will", "with", "won", "would", "wouldn", "you", "your", "yours",
};
constexpr std::string_view es_stop[] = {
    "a", "al", "algo", "algun", "alguna", "alguno", "ante", "antes", "aqui", "con", "contra", "de",
    "del", "desde", "e", "el", "ella", "ellas", "ellos", "en", "entre", "era", "es", "esa", "ese",
    "eso", "esta", "estan", "estas", "este", "esto", "estos", "estoy", "favor", "fue", "ha", "han",
    "hasta", "hay", "he", "hemos", "la", "las", "le", "les", "lo", "los", "me", "mi", "mis", "mucho",
    "muy", "mas", "necesito", "ni", "no", "nos", "nosotros", "o", "os", "otra", "otro", "para",
    "pero", "poco", "por", "porque", "puede", "puedo", "que", "quiero", "se", "ser", "si", "sin",
    "sobre", "soy", "su", "sus", "tambien", "te", "tengo", "tiene", "tu", "tus", "u", "un", "una",
    "uno", "unos", "usted", "ustedes", "y", "ya", "yo",
};
constexpr std::string_view fr_stop[] = {
    "a", "ai", "au", "aux", "avec", "avez", "avoir", "avons", "c", "ca", "ce", "cela", "ces", "cet",
    "cette", "d", "dans", "de", "des", "du", "elle", "elles", "en", "encore", "est", "et", "etre",
    "fait", "faire", "il", "ils", "j", "je", "l", "la", "le", "les", "leur", "leurs", "lui", "m", "ma",
    "mais", "me", "mes", "moi", "mon", "n", "ne", "nos", "notre", "nous", "on", "ont", "par", "pas",
    "peut", "peux", "plait", "pour", "pouvez", "qu", "que", "qui", "s", "sa", "se", "ses", "si",
    "son", "sont", "souhaite", "suis", "sur", "svp", "t", "ta", "te", "tes", "toi", "ton", "tres",
    "tu", "un", "une", "veux", "voudrais", "vos", "votre", "vous", "y",
};
constexpr std::string_view de_stop[] = {
    "aber", "alle", "allem", "alles", "als", "also", "am", "an", "auch", "auf", "aus", "bei", "bin",
    "bis", "bist", "bitte", "brauche", "da", "damit", "dann", "das", "dass", "dein", "deine", "dem",
    "den", "der", "des", "dich", "die", "dir", "du", "durch", "ein", "eine", "einem", "einen",
    "einer", "eines", "er", "es", "euch", "euer", "fur", "gegen", "gern", "gerne", "hab", "habe",
    "haben", "hat", "hatte", "ich", "ihm", "ihn", "ihr", "ihre", "im", "in", "ist", "ja", "jetzt",
    "kann", "kannst", "konnen", "konnte", "mal", "mein", "meine", "meinem", "meinen", "meiner",
    "mich", "mir", "mit", "mochte", "muss", "nach", "nicht", "noch", "nun", "nur", "ob", "oder",
    "ohne", "schon", "sehr", "sein", "seine", "sich", "sie", "sind", "so", "um", "und", "uns",
    "unser", "unsere", "viel", "viele", "von", "vor", "war", "waren", "weil", "wenn", "werden", "will", "wird", "wir",
    "zu", "zum", "zur",
};
constexpr std::string_view pt_stop[] = {
    "a", "ao", "aos", "as", "com", "da", "das", "de", "do", "dos", "e", "ela", "elas", "ele",
    "eles", "em", "entre", "era", "essa", "esse", "esta", "estao", "este", "estou", "eu", "favor",
    "foi", "gostaria", "ha", "isso", "isto", "ja", "la", "lhe", "mais", "mas", "me", "meu", "meus",
    "minha", "minhas", "muito", "na", "nao", "nas", "nem", "no", "nos", "num", "numa", "o", "os",
    "ou", "para", "pela", "pelo", "pode", "por", "porque", "posso", "pra", "preciso", "que",
    "quero", "se", "sem", "ser", "seu", "seus", "so", "sua", "suas", "tambem", "te", "tem", "tenho",
    "ter", "um", "uma", "umas", "uns", "voce", "voces", "vou",
};

constexpr std::string_view en_question[] = {"how", "what", "when", "where", "which", "who", "why"};
constexpr std::string_view es_question[] = {"como", "cual", "cuales", "cuando", "cuanto", "cuantos",
                                            "cuanta", "cuantas", "donde", "quien"};
constexpr std::string_view fr_question[] = {"combien", "comment", "ou", "pourquoi", "quand",
                                            "quel", "quelle", "quels", "quelles"};
constexpr std::string_view de_question[] = {"wann", "warum", "was", "welche", "welcher", "welches",
                                            "wer", "weshalb", "wie", "wieso", "wo", "woher", "wohin"};
constexpr std::string_view pt_question[] = {"como", "onde", "qual", "quais", "quando", "quanto",
                                            "quantos", "quanta", "quantas", "quem"};
// clang-format on

constexpr std::span<const std::string_view> stop_tables[lang_count] = {en_stop, es_stop, fr_stop, de_stop, pt_stop};
constexpr std::span<const std::string_view> question_tables[lang_count] = {en_question, es_question, fr_question,
                                                                           de_question, pt_question};

using word_set = std::unordered_set<std::string_view>;
using word_sets = std::array<word_set, lang_count>;

word_sets sets_of(const std::span<const std::string_view> (&tables)[lang_count]) {
  word_sets sets;
  for (std::size_t i = 0; i < lang_count; ++i) sets[i] = word_set(tables[i].begin(), tables[i].end());
  return sets;
}

// Built on first use (function statics are initialized once, thread-safely), then read-only.
const word_sets& stop_sets() {
  static const word_sets sets = sets_of(stop_tables);
  return sets;
}

const word_sets& question_sets() {
  static const word_sets sets = sets_of(question_tables);
  return sets;
}

bool ends_with(const std::string& s, std::string_view suffix) noexcept {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Replaces `suffix` by `with` when what stays is at least three letters long.
bool strip(std::string& s, std::string_view suffix, std::string_view with = {}) {
  if (!ends_with(s, suffix) || s.size() - suffix.size() < 3) return false;
  s.resize(s.size() - suffix.size());
  s += with;
  return true;
}

bool strip_any(std::string& s, std::initializer_list<std::string_view> suffixes) {
  for (auto suffix : suffixes)
    if (strip(s, suffix)) return true;
  return false;
}

bool is_vowel(char c) noexcept { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

void stem_en(std::string& s) {
  if (!strip(s, "sses", "ss") && !strip(s, "ies", "y")) {
    const bool sibilant_es = ends_with(s, "ses") || ends_with(s, "xes") || ends_with(s, "zes") ||
                             ends_with(s, "ches") || ends_with(s, "shes");
    if (sibilant_es)
      strip(s, "es");
    else if (!ends_with(s, "ss") && !ends_with(s, "us") && !ends_with(s, "is"))
      strip(s, "s");
  }
  strip_any(s, {"ing", "ed", "ation", "ment"});
  strip_any(s, {"e", "y"});
  const std::size_t n = s.size();
  if (n > 3 && s[n - 1] == s[n - 2] && !is_vowel(s[n - 1])) s.pop_back();
}

// Spanish and Portuguese share their plural, gender and participle endings.
void stem_iberian(std::string& s) {
  if (strip_any(s, {"ados", "adas", "idos", "idas", "ado", "ada", "ido", "ida"})) return;
  if (strip_any(s, {"os", "as", "es", "ar", "er", "ir"})) return;
  strip_any(s, {"o", "a", "e", "s"});
}

void stem_es(std::string& s) {
  if (strip(s, "iones", "ion")) return;
  stem_iberian(s);
}

void stem_pt(std::string& s) {
  // Plurals to their singular first, so that devolucoes and devolucao then lose the same ending.
  if (!strip(s, "oes", "ao") && !strip(s, "aes", "ao")) strip(s, "ais", "al");
  stem_iberian(s);
}

void stem_fr(std::string& s) {
  if (strip(s, "aux", "al") || strip(s, "ement")) return;
  strip_any(s, {"s", "x"});
  if (strip(s, "e")) strip(s, "e");  // "livrees" -> "livr"
  strip_any(s, {"er", "ez"});
}

void stem_de(std::string& s) {
  if (strip_any(s, {"ern", "em", "en", "er", "es"})) return;
  strip_any(s, {"e", "n", "s"});
}

}  // namespace

std::string_view code(lang l) noexcept { return lang_codes[static_cast<std::size_t>(l)]; }

std::optional<lang> lang_of_code(std::string_view c) noexcept {
  for (std::size_t i = 0; i < lang_count; ++i)
    if (lang_codes[i] == c) return all_langs[i];
  return std::nullopt;
}

char32_t next_code_point(std::string_view s, std::size_t& pos) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b0 = byte(pos);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  std::size_t len;
  char32_t c;
  char32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, c = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, c = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, c = b0 & 0x07, min = 0x10000;
  } else {
    ++pos;
    return invalid_code_point;
  }
  if (pos + len > s.size()) {
    ++pos;
    return invalid_code_point;
  }
  for (std::size_t i = 1; i < len; ++i) {
    const unsigned char b = byte(pos + i);
    if ((b & 0xC0) != 0x80) {
      ++pos;
      return invalid_code_point;
    }
    c = (c << 6) | (b & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
    ++pos;
    return invalid_code_point;
  }
  pos += len;
  return c;
}

std::vector<std::string> tokenize(std::string_view utf8) {
  std::vector<std::string> tokens;
  std::string cur;
  const auto flush = [&] {
    if (!cur.empty() && cur.size() <= max_token_bytes && tokens.size() < max_tokens) tokens.push_back(cur);
    cur.clear();
  };
  std::size_t pos = 0;
  while (pos < utf8.size() && tokens.size() < max_tokens) {
    const char32_t c = next_code_point(utf8, pos);
    if (c < 0x80) {
      if (c >= 'A' && c <= 'Z')
        cur += static_cast<char>(c - 'A' + 'a');
      else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        cur += static_cast<char>(c);
      else
        flush();
    } else if (c == invalid_code_point || is_separator(c)) {
      flush();
    } else if (c >= 0x300 && c <= 0x36F) {
      // A combining accent belongs to the letter before it, which is already folded.
    } else if (c <= 0x17F) {
      cur += latin_fold(c);
    } else {
      append_utf8(cur, c);
    }
  }
  flush();
  return tokens;
}

bool is_stopword(lang l, std::string_view token) noexcept {
  return stop_sets()[static_cast<std::size_t>(l)].contains(token);
}

bool is_question_word(lang l, std::string_view token) noexcept {
  return question_sets()[static_cast<std::size_t>(l)].contains(token);
}

std::span<const std::string_view> stopwords(lang l) noexcept { return stop_tables[static_cast<std::size_t>(l)]; }

std::span<const std::string_view> question_words(lang l) noexcept {
  return question_tables[static_cast<std::size_t>(l)];
}

void stem(lang l, std::string& token) {
  if (token.size() <= 3 || std::any_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; })) return;
  switch (l) {
    case lang::en: return stem_en(token);
    case lang::es: return stem_es(token);
    case lang::fr: return stem_fr(token);
    case lang::de: return stem_de(token);
    case lang::pt: return stem_pt(token);
  }
}

std::vector<term> analyze(lang l, std::span<const std::string> tokens) {
  std::vector<term> terms;
  terms.reserve(tokens.size());
  for (const auto& t : tokens) {
    if (is_stopword(l, t)) continue;
    term out{t, is_question_word(l, t)};
    if (!out.question) stem(l, out.text);
    terms.push_back(std::move(out));
  }
  return terms;
}

}  // namespace ringcast::ai
