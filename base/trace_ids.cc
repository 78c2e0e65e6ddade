// The out-of-line members of TraceId and SpanId (quartet/context.h): in base
// so that wire/ and the server can print ids without linking the SDK.
#include "base/hex.h"
#include "quartet/context.h"

namespace quartet {

std::string TraceId::ToHex() const {
  std::string out(32, '\0');
  ToHex(out.data());
  return out;
}
void TraceId::ToHex(char* out) const { HexEncode(bytes.data(), bytes.size(), out); }

std::string SpanId::ToHex() const {
  std::string out(16, '\0');
  ToHex(out.data());
  return out;
}
void SpanId::ToHex(char* out) const { HexEncode(bytes.data(), bytes.size(), out); }

}  // namespace quartet
