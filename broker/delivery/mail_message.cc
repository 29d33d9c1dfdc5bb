#include "broker/delivery/mail_message.h"

#include <ctime>

#include "protocol/base64.h"

namespace ringcast::broker::delivery {
namespace {

bool printable_ascii(std::string_view s) noexcept {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

// A header value that is ASCII as is; otherwise one RFC 2047 encoded word per chunk of UTF-8
// (whole characters, at most 45 bytes each, so each word stays under 75 characters).
std::string header_text(std::string_view s) {
  if (printable_ascii(s)) return std::string(s);
  std::string out;
  while (!s.empty()) {
    std::size_t n = std::min<std::size_t>(45, s.size());
    while (n < s.size() && n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    if (n == 0) n = std::min<std::size_t>(45, s.size());
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + protocol::base64_encode(s.substr(0, n)) + "?=";
    s.remove_prefix(n);
  }
  return out;
}

// Header values may not carry line breaks (a subject with one would start a header of its own).
std::string one_line(std::string_view s) {
  std::string out;
  for (char c : s) out += (c == '\r' || c == '\n') ? ' ' : c;
  return out;
}

std::string rfc5322_date(std::int64_t unix_seconds) {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

}  // namespace

std::string angle_id(std::string_view id) {
  if (!id.empty() && id.front() == '<') return std::string(id);
  return "<" + std::string(id) + ">";
}

std::string mail_message_id(const persistence::claimed_delivery& d, std::string_view from) {
  const auto at = from.rfind('@');
  std::string_view domain = at == std::string_view::npos ? std::string_view("ringcast.invalid") : from.substr(at + 1);
  while (!domain.empty() && domain.back() == '>') domain.remove_suffix(1);
  return "ringcast." + d.message_id + "@" + std::string(domain);
}

std::string compose_reply_mail(const persistence::claimed_delivery& d, std::string_view from,
                               std::string_view message_id, std::int64_t unix_seconds) {
  std::string subject = one_line(d.subject.value_or(""));
  if (subject.empty()) subject = "Your message";
  if (subject.size() < 3 || (subject.compare(0, 3, "Re:") != 0 && subject.compare(0, 3, "RE:") != 0))
    subject = "Re: " + subject;
  std::string m;
  m += "From: " + one_line(from) + "\r\n";
  m += "To: <" + one_line(d.recipient.value_or("")) + ">\r\n";
  m += "Subject: " + header_text(subject) + "\r\n";
  m += "Date: " + rfc5322_date(unix_seconds) + "\r\n";
  m += "Message-ID: " + angle_id(message_id) + "\r\n";
  // Only a real Message-Id ("<left@right>"): a mail that came without one is stored under another
  // key (the inbound webhook's "mailgun:<signature>"), which must not become a thread header.
  if (d.reply_to && d.reply_to->find('@') != std::string::npos) {
    const std::string parent = angle_id(one_line(*d.reply_to));
    m += "In-Reply-To: " + parent + "\r\n";
    m += "References: " + parent + "\r\n";
  }
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=UTF-8\r\n";
  m += "Content-Transfer-Encoding: base64\r\n";
  m += "\r\n";
  // Lines end in CRLF: the chat text's own line breaks become CRLF first.
  std::string text;
  for (std::size_t i = 0; i < d.content.size(); ++i) {
    const char c = d.content[i];
    if (c == '\n' && (i == 0 || d.content[i - 1] != '\r')) text += '\r';
    text += c;
  }
  const std::string body = protocol::base64_encode(text);
  for (std::size_t i = 0; i < body.size(); i += 76) m += body.substr(i, 76) + "\r\n";
  return m;
}

}  // namespace ringcast::broker::delivery
