#pragma once
// The RFC 5322 text of a reply mail: From, To, Subject ("Re: " the conversation's subject, RFC
// 2047-encoded when not ASCII), Date, Message-ID, In-Reply-To and References (the customer's last
// mail, so their mail client threads the reply; only when it has a Message-Id), and the message
// as UTF-8 text in base64 lines.
#include <cstdint>
#include <string>
#include <string_view>

#include "persistence/deliveries.h"

namespace ringcast::broker::delivery {

// The Message-Id of a delivery's mail, without angle brackets: stable for the message (the
// same on every attempt), in the domain of the From address.
std::string mail_message_id(const persistence::claimed_delivery& d, std::string_view from);

// `unix_seconds` is the Date header's time.
std::string compose_reply_mail(const persistence::claimed_delivery& d, std::string_view from,
                               std::string_view message_id, std::int64_t unix_seconds);

// "<id>" for an id with or without its angle brackets.
std::string angle_id(std::string_view id);

}  // namespace ringcast::broker::delivery
