#pragma once
// The flags of outbound delivery (providers' URLs and credentials, retries), gathered into the
// flag table by options.cc.
#include <vector>

#include "server/option_spec.h"

namespace ringcast::server {

std::vector<option_spec> delivery_option_specs();

}  // namespace ringcast::server
