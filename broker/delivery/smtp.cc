// E-mail through SMTP with libcurl: MAIL FROM --smtp-from, RCPT TO the customer, DATA the reply
// composed by mail_message.h. The Message-Id is ours (mail_message_id) and is kept, in angle
// brackets, as the provider message id. A 5xx reply is final, a 4xx or no reply is tried again.
#include <curl/curl.h>

#include <chrono>
#include <memory>

#include "broker/delivery/mail_message.h"
#include "broker/delivery/providers.h"

namespace ringcast::broker::delivery {
namespace {

struct upload {
  std::string_view rest;
};

std::size_t read_mail(char* buffer, std::size_t size, std::size_t n, void* user) noexcept {
  auto* u = static_cast<upload*>(user);
  const std::size_t bytes = std::min(size * n, u->rest.size());
  u->rest.copy(buffer, bytes);
  u->rest.remove_prefix(bytes);
  return bytes;
}

// The bare address of "Name <a@b>" or "a@b".
std::string bare_address(std::string_view from) {
  const auto open = from.find('<');
  const auto close = from.rfind('>');
  if (open != std::string_view::npos && close != std::string_view::npos && close > open)
    return "<" + std::string(from.substr(open + 1, close - open - 1)) + ">";
  return "<" + std::string(from) + ">";
}

}  // namespace

send_result send_smtp(const persistence::claimed_delivery& d, const provider_settings& p) {
  send_result out;
  out.provider = "smtp";
  const std::string id = mail_message_id(d, p.smtp_from);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string mail = compose_reply_mail(d, p.smtp_from, id, now);
  // A handle per mail: SMTP sessions are short, and a reused one would carry the last RCPT state.
  curl_easy_ptr h(curl_easy_init());
  if (!h) {
    out.verdict = send_verdict::retryable;
    out.error = "smtp: curl_easy_init failed";
    return out;
  }
  const std::string from = bare_address(p.smtp_from);
  curl_list_ptr rcpt(curl_slist_append(nullptr, ("<" + *d.recipient + ">").c_str()));
  upload body{mail};
  char error[CURL_ERROR_SIZE] = {};
  CURL* e = h.get();
  curl_easy_setopt(e, CURLOPT_URL, p.smtp_url.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, long(p.request_timeout.count()));
  curl_easy_setopt(e, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(e, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, curl_off_t(mail.size()));
  curl_easy_setopt(e, CURLOPT_READFUNCTION, read_mail);
  curl_easy_setopt(e, CURLOPT_READDATA, &body);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error);
  // STARTTLS when the server offers it (smtps:// is TLS from the start).
  curl_easy_setopt(e, CURLOPT_USE_SSL, long(CURLUSESSL_TRY));
  const CURLcode rc = curl_easy_perform(e);
  if (rc == CURLE_OK) {
    out.verdict = send_verdict::sent;
    // In brackets, as the inbound e-mail webhook stores Message-Ids: a customer's reply that
    // names it (In-Reply-To, References) threads into this conversation.
    out.provider_message_id = angle_id(id);
    return out;
  }
  long code = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
  out.verdict = verdict_of_smtp(code);
  out.error = "smtp: " + (code ? std::to_string(code) + " " : std::string()) +
              (error[0] ? error : curl_easy_strerror(rc));
  return out;
}

}  // namespace ringcast::broker::delivery
