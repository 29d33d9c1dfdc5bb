#pragma once
// What the retrieval and backend tests share: a small fixed knowledge base (English topics that
// share words such as "order" and "my account", a few entries in Spanish, French and German, none
// in Portuguese) and the confidence bands they expect.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "broker/ai/backends/knowledge.h"

namespace ringcast::ai::test {

// Confidence bands, [min, max) except that 1 and 0 are in the bands they end: what the caller does
// with a match at the default --ai-min-confidence 0.7.
struct band {
  double min, max;
  bool holds(double c) const { return c >= min && (c < max || (c == max && (max == 1 || max == 0))); }
};
inline constexpr band high{0.8, 1.0};    // answers
inline constexpr band middle{0.5, 0.8};  // may answer, may hand over
inline constexpr band low{0.0, 0.5};     // hands over
inline constexpr band zero{0.0, 0.0};    // nothing matched

// clang-format off
inline std::vector<knowledge_entry> small_knowledge() {
  return {
      {1, "How do I reset my password?", "Use the Forgot password link on the sign-in page.", "account", "en",
       {"forgot password", "login", "sign in"}},
      {2, "Where is my order?", "Track it under My account > Orders.", "shipping", "en",
       {"track", "tracking", "parcel", "delivery status"}},
      {3, "How do I return an item?", "Print a return label under My account > Orders.", "", "en",
       {"return label", "send back"}},
      {4, "When will I get my refund?", "Refunds arrive within 5 working days of your return.", "billing", "en",
       {"refund", "money back"}},
      {5, "What are your opening hours?", "We are open Monday to Friday, 9 am to 5 pm.", "", "en", {"open", "hours"}},
      {6, "How do I cancel my order?", "Cancel it under My account > Orders before it ships.", "", "en",
       {"cancel", "cancellation"}},
      {7, "¿Dónde está mi pedido?", "Puedes seguirlo en Mi cuenta > Pedidos.", "shipping", "es",
       {"seguimiento", "paquete"}},
      {8, "¿Cómo restablezco mi contraseña?", "Usa el enlace ¿Has olvidado tu contraseña? al iniciar sesión.", "account",
       "es", {"olvidé mi contraseña"}},
      {9, "Où est ma commande ?", "Suivez-la dans Mon compte > Commandes.", "shipping", "fr", {"suivi", "colis"}},
      {10, "Wie setze ich mein Passwort zurück?", "Nutzen Sie den Link „Passwort vergessen?“ auf der Anmeldeseite.",
       "account", "de", {"Passwort vergessen"}},
      {11, "Do you ship internationally?", "We ship to the EU, the UK and North America.", "shipping", "en",
       {"abroad", "international", "countries"}},
  };
}
// clang-format on

// The entry with that id.
inline const knowledge_entry& entry(const std::vector<knowledge_entry>& kb, std::int64_t id) {
  for (const auto& e : kb)
    if (e.id == id) return e;
  throw std::out_of_range("no entry " + std::to_string(id));
}

}  // namespace ringcast::ai::test
