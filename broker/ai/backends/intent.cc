#include "broker/ai/backends/intent.h"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <unordered_set>

#include "broker/ai/backends/text.h"

namespace ringcast::ai {
namespace {

// The tables: en, es, fr, de, pt in that order on each line where there is room.
// clang-format off
constexpr std::string_view greeting_phrases[] = {
    "hi", "hello", "hey", "hiya", "howdy", "greetings", "good morning", "good afternoon", "good evening",
    "hola", "buenos días", "buenas tardes", "buenas noches", "buenas",
    "bonjour", "bonsoir", "salut", "coucou",
    "hallo", "guten tag", "guten morgen", "guten abend", "servus", "moin", "grüß gott",
    "olá", "oi", "bom dia", "boa tarde", "boa noite",
};
constexpr std::string_view thanks_phrases[] = {
    "thank*", "thx", "ty", "cheers", "appreciate*",
    "gracias", "agradezco", "agradecid*",
    "merci",
    "danke*", "vielen dank", "dank",
    "obrigad*", "valeu", "agradeço", "obg",
};
constexpr std::string_view billing_phrases[] = {
    "bill*", "invoice*", "charge*", "overcharg*", "payment*", "pay", "paid", "paying", "card", "refund*",
    "price*", "receipt*", "paypal", "subscription*", "discount*", "coupon*", "money back",
    "factura*", "cobr*", "pago*", "pagar", "pagué", "tarjeta", "reembols*", "precio*", "recibo",
    "dinero", "suscripci*", "descuento*", "cupón",
    "factur*", "paiement*", "payer", "payé", "carte", "rembours*", "prix", "débit*", "prélèvement*",
    "abonnement*", "promo*",
    "rechnung*", "zahlung*", "bezahl*", "kreditkarte*", "karte", "erstattung*", "rückerstattung*",
    "geld zurück", "preis*", "abbuchung*", "abgebucht", "lastschrift*", "quittung", "rabatt*",
    "gutschein*",
    "fatura*", "pagamento*", "paguei", "cartão", "preço*", "boleto", "pix", "dinheiro",
    "assinatura", "desconto*", "cupom",
};
constexpr std::string_view account_phrases[] = {
    "account*", "password*", "login", "log in", "logging in", "sign in", "signin", "sign up", "signup",
    "username", "profile", "locked out", "register*", "registration", "2fa", "verification code",
    "cuenta*", "contraseña*", "iniciar sesión", "usuario", "perfil", "registr*", "acceder", "acceso",
    "compte*", "mot passe", "mdp", "connexion", "connecter", "identifiant*", "profil", "inscri*",
    "konto*", "passwort*", "kennwort", "anmeld*", "einlogg*", "benutzername*", "zugang*",
    "conta", "senha*", "usuário", "cadastr*", "acessar", "acesso",
};
constexpr std::string_view shipping_phrases[] = {
    "ship*", "deliver*", "track*", "package*", "parcel*", "courier", "arriv*", "where order",
    "dispatch*", "postage", "carrier", "receiv*",
    "envío*", "enviad*", "entrega*", "paquete*", "seguimiento", "rastre*", "llega*", "llegó",
    "mensajer*", "transportista", "dónde pedido", "recibid*",
    "livr*", "colis", "expédi*", "suivi", "transporteur", "où est commande", "reçu",
    "liefer*", "versand*", "versend*", "verschickt", "paket*", "sendung*", "zustell*", "angekommen",
    "ankommen", "erhalten", "wo bestellung",
    "pacote*", "encomenda*", "frete", "chegou", "chegar", "transportadora", "correios",
    "onde pedido", "recebi",
};
constexpr std::string_view technical_phrases[] = {
    "error*", "bug*", "crash*", "broken", "not work*", "doesn work*", "isn work*", "won load",
    "glitch*", "app", "website", "site", "page", "loading", "freez*", "stuck", "blank", "404",
    "browser", "technical",
    "fallo*", "falla*", "no funciona", "aplicación", "página", "web", "se cuelga", "bloquea*",
    "pantalla", "técnico",
    "erreur*", "bogue", "plante", "marche pas", "fonctionne pas", "application", "appli", "écran",
    "technique",
    "fehler*", "funktioniert nicht", "geht nicht", "absturz", "abgestürzt", "stürzt", "webseite",
    "seite", "lädt", "technisch*", "hängt",
    "erro", "erros", "não funciona", "aplicativo", "trav*", "tela",
};
constexpr std::string_view complaint_phrases[] = {
    "complaint*", "complain*", "unacceptable", "terrible", "awful", "horrible", "disgust*",
    "disappoint*", "furious", "angry", "worst", "ridiculous", "scam", "outrage*", "pathetic",
    "useless", "fed up", "rip off", "lawyer",
    "queja*", "reclamación", "reclamar", "inaceptable", "pésim*", "decepcionad*", "indignad*",
    "vergüenza", "harto", "harta", "estafa", "vergonzoso",
    "plainte", "réclamation", "inadmissible", "inacceptable", "déçu*", "scandal*", "honteu*", "honte",
    "arnaque", "lamentable", "furieu*", "colère", "marre",
    "beschwerde*", "beschweren", "unverschämt*", "inakzeptabel", "enttäuscht", "frechheit",
    "katastroph*", "skandal*", "betrug", "wütend", "zumutung",
    "reclamação", "inaceitável", "absurdo", "vergonha", "horrível", "revoltad*", "lamentável",
};
constexpr std::string_view human_request_phrases[] = {
    "human*", "real person", "talk person", "speak person", "talk someone", "speak someone",
    "talk somebody", "speak somebody", "talk agent", "speak agent", "live agent", "talk rep",
    "speak rep", "representative", "operator", "talk manager", "speak manager", "real people",
    "humano", "persona real", "hablar persona", "hablar alguien", "hablar agente", "hablar asesor",
    "operador",
    "humain", "vraie personne", "personne réelle", "parler personne", "parler quelqu",
    "parler conseiller", "parler agent", "parler opérateur", "parler responsable",
    "mensch*", "echte person", "echten person", "mitarbeiter*", "jemand* sprechen",
    "person sprechen", "kundenberater*", "sachbearbeiter*",
    "atendente", "pessoa real", "falar pessoa", "falar alguém", "falar agente", "falar humano",
};

// Words that may stand beside a greeting or thanks without making it a question ("thanks for
// your help"; "hello, I need help", where the greeting's reply asks what the customer needs).
constexpr std::string_view courtesy_fillers[] = {
    "much", "lot", "again", "there", "team", "guys", "everyone", "ok", "okay", "great", "perfect",
    "good", "nice", "cool", "awesome", "bye", "help", "muchas", "mucho", "perfecto", "vale", "adios",
    "ayuda", "beaucoup", "bien", "parfait", "super", "aide", "vielmals", "sehr", "prima", "toll",
    "tschuss", "hilfe", "muito", "muita", "perfeito", "tudo", "bem", "tchau", "ajuda",
};
// clang-format on

bool is_filler(std::string_view token) {
  static const std::unordered_set<std::string_view> fillers(std::begin(courtesy_fillers), std::end(courtesy_fillers));
  if (fillers.contains(token)) return true;
  return std::any_of(std::begin(all_langs), std::end(all_langs), [&](lang l) { return is_stopword(l, token); });
}

bool word_matches(std::string_view token, const std::string& w, bool prefix) noexcept {
  return prefix ? token.starts_with(w) : token == w;
}

}  // namespace

intent_detector::intent_detector() {
  const auto add_all = [this](kind what, std::span<const std::string_view> table) {
    for (auto p : table) add(what, p);
  };
  add_all(kind::greeting, greeting_phrases);
  add_all(kind::thanks, thanks_phrases);
  add_all(kind::billing, billing_phrases);
  add_all(kind::account, account_phrases);
  add_all(kind::shipping, shipping_phrases);
  add_all(kind::technical, technical_phrases);
  add_all(kind::complaint, complaint_phrases);
  add_all(kind::human_request, human_request_phrases);
}

void intent_detector::add_human_request_phrases(std::span<const std::string> phrases) {
  for (const auto& p : phrases) add(kind::human_request, p);
}

void intent_detector::add(kind what, std::string_view text) {
  phrase p{{}, what};
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find(' ', pos), text.size());
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    const bool prefix = raw.ends_with('*');
    if (prefix) raw.remove_suffix(1);
    // One written word may fold into several tokens ("quelqu'un", "e-mail").
    for (auto& t : tokenize(raw)) p.words.push_back({std::move(t), false});
    if (prefix && !p.words.empty()) p.words.back().prefix = true;
  }
  if (p.words.empty()) throw std::invalid_argument("intent phrase without a word: \"" + std::string(text) + "\"");
  const auto index = static_cast<std::uint32_t>(phrases_.size());
  const word& first = p.words.front();
  if (!first.prefix)
    by_first_word_[first.text].push_back(index);
  else if (first.text.size() >= prefix_key_bytes)
    by_prefix_key_[first.text.substr(0, prefix_key_bytes)].push_back(index);
  else
    short_prefix_first_.push_back(index);
  phrases_.push_back(std::move(p));
}

std::size_t intent_detector::match(const phrase& p, std::span<const std::string> tokens,
                                   std::size_t start) const noexcept {
  const auto& first = p.words.front();
  if (!word_matches(tokens[start], first.text, first.prefix)) return 0;
  std::size_t at = start;
  for (std::size_t w = 1; w < p.words.size(); ++w) {
    const std::size_t last = std::min(tokens.size(), at + 2 + max_phrase_gap);
    std::size_t next = at + 1;
    while (next < last && !word_matches(tokens[next], p.words[w].text, p.words[w].prefix)) ++next;
    if (next >= last) return 0;
    at = next;
  }
  return at + 1;
}

intent_result intent_detector::detect(std::span<const std::string> tokens) const {
  intent_result r;
  r.courtesy.assign(tokens.size(), false);
  std::array<int, kind_count> weight{};
  const auto try_phrase = [&](std::uint32_t index, std::size_t start) {
    const phrase& p = phrases_[index];
    const std::size_t end = match(p, tokens, start);
    if (end == 0) return;
    weight[static_cast<std::size_t>(p.what)] += p.words.size() > 1 ? 2 : 1;
    if (p.what == kind::greeting || p.what == kind::thanks)
      std::fill(r.courtesy.begin() + static_cast<std::ptrdiff_t>(start),
                r.courtesy.begin() + static_cast<std::ptrdiff_t>(end), true);
  };
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (const auto it = by_first_word_.find(tokens[i]); it != by_first_word_.end())
      for (auto index : it->second) try_phrase(index, i);
    if (tokens[i].size() >= prefix_key_bytes)
      if (const auto it = by_prefix_key_.find(tokens[i].substr(0, prefix_key_bytes)); it != by_prefix_key_.end())
        for (auto index : it->second) try_phrase(index, i);
    for (auto index : short_prefix_first_) try_phrase(index, i);
  }

  const auto w = [&](kind k) { return weight[static_cast<std::size_t>(k)]; };
  kind topic = kind::billing;
  for (kind k : {kind::account, kind::shipping, kind::technical})
    if (w(k) > w(topic)) topic = k;
  if (w(kind::human_request) > 0)
    r.intent = intents::human_request;
  else if (w(kind::complaint) > 0)
    r.intent = intents::complaint;
  else if (w(topic) > 0)
    r.intent = topic == kind::billing    ? intents::billing
               : topic == kind::account  ? intents::account
               : topic == kind::shipping ? intents::shipping
                                         : intents::technical;
  else if (w(kind::thanks) > 0)
    r.intent = intents::thanks;
  else if (w(kind::greeting) > 0)
    r.intent = intents::greeting;

  if (r.intent == intents::thanks || r.intent == intents::greeting) {
    r.courtesy_only = true;
    for (std::size_t i = 0; i < tokens.size(); ++i)
      if (!r.courtesy[i] && !is_filler(tokens[i])) r.courtesy_only = false;
  }
  return r;
}

}  // namespace ringcast::ai
