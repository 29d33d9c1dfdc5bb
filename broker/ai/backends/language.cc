#include "broker/ai/backends/language.h"

#include <array>
#include <cmath>
#include <unordered_map>

namespace ringcast::ai {
namespace {

using scores = std::array<double, lang_count>;

// Words a language writes that the stopword tables leave out: greetings, thanks, yes/no and the
// commonest support words, so that "danke" or "obrigado" alone is enough. Folded forms.
// clang-format off
constexpr std::string_view en_words[] = {
    "hello", "hi", "hey", "thanks", "thank", "thx", "cheers", "morning", "afternoon", "evening",
    "yes", "yeah", "order", "delivery", "refund", "account", "help", "received", "item", "invoice",
    "payment", "cancel", "return", "shipping", "package", "charged", "still", "never", "arrived",
    "speak", "talk", "someone", "human", "person", "does", "doesn", "working", "wrong",
};
constexpr std::string_view es_words[] = {
    "hola", "gracias", "buenos", "buenas", "dias", "tardes", "noches", "pedido", "pedidos", "envio",
    "contrasena", "cuenta", "factura", "reembolso", "devolucion", "ayuda", "tarjeta", "llegado",
    "recibido", "cambiar", "hablar", "persona", "gustaria", "olvide", "todavia", "funciona",
    "quisiera", "ayudar", "senor", "senora", "vale", "cobrado",
};
constexpr std::string_view fr_words[] = {
    "bonjour", "bonsoir", "salut", "merci", "commande", "livraison", "colis", "compte", "mot",
    "passe", "facture", "remboursement", "aide", "besoin", "recu", "carte", "oui", "non", "probleme",
    "adresse", "parler", "quelqu", "humain", "toujours", "oublie", "marche", "fonctionne", "aider",
    "madame", "monsieur", "debite",
};
constexpr std::string_view de_words[] = {
    "hallo", "danke", "guten", "morgen", "abend", "tag", "servus", "moin", "vielen", "dank",
    "dankeschon", "bestellung", "lieferung", "paket", "passwort", "konto", "rechnung", "zahlung",
    "hilfe", "ruckerstattung", "ruckgabe", "nein", "sprechen", "mensch", "menschen", "mitarbeiter",
    "leider", "funktioniert", "bekommen", "erhalten", "vergessen", "immer", "angekommen",
};
constexpr std::string_view pt_words[] = {
    "ola", "oi", "obrigado", "obrigada", "bom", "boa", "dia", "tarde", "noite", "encomenda",
    "entrega", "senha", "conta", "fatura", "devolucao", "ajuda", "cartao", "recebi", "sim", "falar",
    "pessoa", "atendente", "valeu", "esqueci", "ainda", "funciona", "chegou", "pedido", "reembolso",
    "cobrado", "ajudar",
};
// clang-format on
constexpr std::span<const std::string_view> word_tables[lang_count] = {en_words, es_words, fr_words, de_words,
                                                                       pt_words};

// Each known word's share for every language that knows it (1/k for k languages).
const std::unordered_map<std::string_view, scores>& word_weights() {
  static const auto weights = [] {
    std::unordered_map<std::string_view, std::array<bool, lang_count>> known;
    for (std::size_t i = 0; i < lang_count; ++i) {
      const lang l = all_langs[i];
      for (auto family : {stopwords(l), question_words(l), word_tables[i]})
        for (auto w : family) known[w][i] = true;
    }
    std::unordered_map<std::string_view, scores> out;
    for (const auto& [word, in] : known) {
      int k = 0;
      for (bool b : in) k += b;
      scores s{};
      for (std::size_t i = 0; i < lang_count; ++i) s[i] = in[i] ? 1.0 / k : 0.0;
      out.emplace(word, s);
    }
    return out;
  }();
  return weights;
}

// What one accented character or mark says, as {en, es, fr, de, pt}.
struct char_hint {
  char32_t c;
  scores weight;
};
constexpr double strong = 1.5;
// clang-format off
constexpr char_hint char_hints[] = {
    {U'ñ', {0, strong, 0, 0, 0}},       {U'Ñ', {0, strong, 0, 0, 0}},
    {U'¿', {0, strong, 0, 0, 0}},       {U'¡', {0, strong, 0, 0, 0}},
    {U'ã', {0, 0, 0, 0, strong}},       {U'Ã', {0, 0, 0, 0, strong}},
    {U'õ', {0, 0, 0, 0, strong}},       {U'Õ', {0, 0, 0, 0, strong}},
    {U'ß', {0, 0, 0, strong, 0}},       {U'ä', {0, 0, 0, 1, 0}},
    {U'Ä', {0, 0, 0, 1, 0}},            {U'ö', {0, 0, 0, 1, 0}},
    {U'Ö', {0, 0, 0, 1, 0}},            {U'ü', {0, 0, 0, 1, 0}},
    {U'Ü', {0, 0, 0, 1, 0}},            {U'è', {0, 0, 1, 0, 0}},
    {U'È', {0, 0, 1, 0, 0}},            {U'ù', {0, 0, 1, 0, 0}},
    {U'î', {0, 0, 1, 0, 0}},            {U'û', {0, 0, 1, 0, 0}},
    {U'ë', {0, 0, 1, 0, 0}},            {U'ï', {0, 0, 1, 0, 0}},
    {U'œ', {0, 0, 1, 0, 0}},            {U'â', {0, 0, 0.5, 0, 0.5}},
    {U'ê', {0, 0, 0.5, 0, 0.5}},        {U'ô', {0, 0, 0.5, 0, 0.5}},
    {U'à', {0, 0, 0.5, 0, 0.5}},        {U'ç', {0, 0, 0.5, 0, 0.5}},
    {U'Ç', {0, 0, 0.5, 0, 0.5}},        {U'é', {0, 1. / 3, 1. / 3, 0, 1. / 3}},
    {U'É', {0, 1. / 3, 1. / 3, 0, 1. / 3}}, {U'á', {0, 0.5, 0, 0, 0.5}},
    {U'í', {0, 0.5, 0, 0, 0.5}},        {U'ó', {0, 0.5, 0, 0, 0.5}},
    {U'ú', {0, 0.5, 0, 0, 0.5}},
};
// clang-format on

void add_char_hints(std::string_view message, scores& s) {
  std::size_t pos = 0;
  while (pos < message.size()) {
    const char32_t c = next_code_point(message, pos);
    if (c < 0xA1) continue;
    for (const auto& h : char_hints) {
      if (h.c != c) continue;
      for (std::size_t i = 0; i < lang_count; ++i) s[i] += h.weight[i];
      break;
    }
  }
}

}  // namespace

language_guess detect_language(std::string_view message, std::span<const std::string> tokens, lang fallback) {
  scores s{};
  const auto& weights = word_weights();
  for (const auto& t : tokens) {
    const auto it = weights.find(t);
    if (it == weights.end()) continue;
    for (std::size_t i = 0; i < lang_count; ++i) s[i] += it->second[i];
  }
  add_char_hints(message, s);

  std::size_t best = 0;
  for (std::size_t i = 1; i < lang_count; ++i)
    if (s[i] > s[best]) best = i;
  bool tie = false;
  for (std::size_t i = 0; i < lang_count; ++i)
    if (i != best && std::abs(s[i] - s[best]) < 1e-9) tie = true;
  if (s[best] <= 0 || tie) return {fallback, false};
  return {all_langs[best], true};
}

language_guess detect_language(std::string_view message, lang fallback) {
  const auto tokens = tokenize(message);
  return detect_language(message, tokens, fallback);
}

}  // namespace ringcast::ai
