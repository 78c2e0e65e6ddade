// Opening the admin server's listening socket from a "host:port" string:
// "127.0.0.1:9464", "[::1]:0", "localhost:9464", ":9464" (all interfaces).
// Port 0 asks the kernel for a free port; the result reports the address
// actually bound, so tests and logs can name it.
//
// Thread-safety: a pure function over the socket API; safe to call
// concurrently.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace quartet::admin {

struct ListenSocket {
  int fd = -1;                // non-blocking, close-on-exec, listening; caller closes
  std::string bound_address;  // "127.0.0.1:40123" or "[::1]:40123"
  int port = 0;
};

// Errors: InvalidArgument for a malformed address or an unresolvable host
// (the message names the address), Unavailable when no address can be bound
// (in use, permission).
Result<ListenSocket> ListenTcp(std::string_view address);

}  // namespace quartet::admin
