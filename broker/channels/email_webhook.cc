// E-mail through Mailgun inbound routes: POST /webhooks/email, multipart/form-data or url-encoded,
// with sender, from, subject, body-plain, stripped-text, Message-Id, In-Reply-To, References and
// the signature fields timestamp, token and signature (hex HMAC-SHA256 of timestamp + token with
// the signing key). A post older than --mailgun-max-age is refused as a replay. A reply threads
// into the conversation of the mail it answers; a new thread opens a conversation.
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <chrono>

#include "broker/channels/webhook_router.h"
#include "protocol/http_header.h"
#include "protocol/webhook_signature.h"

namespace ringcast::broker::channels {
namespace {

using fields_t = std::vector<protocol::form_field>;

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (protocol::ascii_lower(a[i]) != protocol::ascii_lower(b[i])) return false;
  return true;
}

// Mailgun posts the mail's headers under their own spelling ("Message-Id", "In-Reply-To").
std::string field(const fields_t& f, std::string_view name) {
  for (const auto& x : f)
    if (!x.filename && same_name(x.name, name)) return x.value;
  return {};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// The msg-ids of a header (RFC 5322 §3.6.4: "<a@b> <c@d>"), each with its angle brackets, the
// form a Message-Id is stored in; a bare id without brackets gets them.
std::vector<std::string> message_ids(std::string_view header) {
  std::vector<std::string> out;
  header = trim(header);
  if (header.empty()) return out;
  if (header.find('<') == std::string_view::npos) {
    out.push_back("<" + std::string(header) + ">");
    return out;
  }
  for (std::size_t at = header.find('<'); at != std::string_view::npos; at = header.find('<', at + 1)) {
    const std::size_t end = header.find('>', at);
    if (end == std::string_view::npos) break;
    if (end > at + 1) out.emplace_back(header.substr(at, end + 1 - at));
    at = end;
  }
  return out;
}

// "Bob Smith" <bob@example.com> -> Bob Smith; nothing for a bare address.
std::optional<std::string> display_name(std::string_view from) {
  const std::size_t lt = from.find('<');
  if (lt == std::string_view::npos) return std::nullopt;
  std::string_view name = trim(from.substr(0, lt));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
  if (name.empty()) return std::nullopt;
  return std::string(name);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = protocol::ascii_lower(c);
  return out;
}

bool fresh(std::string_view timestamp, std::chrono::seconds max_age) {
  std::int64_t t = 0;
  auto [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), t);
  if (ec != std::errc() || end != timestamp.data() + timestamp.size()) return false;
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return t > now - max_age.count() && t < now + max_age.count();
}

void inbound(webhook_call& call) {
  auto fields = call.form();
  if (!fields) return;
  const std::string timestamp = field(*fields, "timestamp");
  if (!protocol::mailgun_signature_valid(call.config().mailgun_signing_key, timestamp, field(*fields, "token"),
                                         field(*fields, "signature")))
    return call.refuse(403, webhook_outcome::forbidden, "bad or missing signature");
  if (!fresh(timestamp, call.config().mailgun_max_age))
    return call.refuse(403, webhook_outcome::forbidden, "stale timestamp: refused as a replay");
  inbound_message m;
  m.channel = "email";
  m.external_id = lower(trim(field(*fields, "sender")));
  if (m.external_id.empty() || m.external_id.find('@') == std::string::npos)
    return call.refuse(400, webhook_outcome::malformed, "sender is not an address");
  auto ids = message_ids(field(*fields, "Message-Id"));
  // Without a Message-Id the signature, unique per post, is the idempotency key.
  m.provider_message_id = ids.empty() ? "mailgun:" + lower(field(*fields, "signature")) : ids.front();
  m.customer_name = display_name(field(*fields, "from"));
  const std::string stripped = std::string(trim(field(*fields, "stripped-text")));
  m.content = stripped.empty() ? std::string(trim(field(*fields, "body-plain"))) : stripped;
  if (auto subject = std::string(trim(field(*fields, "subject"))); !subject.empty()) m.subject = std::move(subject);
  // The mail answered first, then the thread from its newest end.
  m.thread_refs = message_ids(field(*fields, "In-Reply-To"));
  auto refs = message_ids(field(*fields, "References"));
  m.thread_refs.insert(m.thread_refs.end(), refs.rbegin(), refs.rend());
  m.join_open = false;
  boost::json::array files;
  for (const auto& f : *fields)
    if (f.filename)
      files.push_back(boost::json::object{
          {"filename", *f.filename}, {"contentType", f.content_type}, {"size", f.value.size()}});
  if (!files.empty()) m.attachments_json = boost::json::serialize(files);
  std::vector<inbound_message> batch;
  batch.push_back(std::move(m));
  call.store(std::move(batch));
}

}  // namespace

void add_email_routes(webhook_router& r) {
  r.add_route(protocol::http_method::post, "/webhooks/email", webhook_provider::email, inbound);
}

}  // namespace ringcast::broker::channels
