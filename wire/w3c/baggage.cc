#include "wire/w3c/baggage.h"

#include "wire/w3c/traceparent.h"

namespace quartet::w3c {
namespace {

bool IsTchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

// %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
bool IsBaggageOctet(unsigned char c) {
  return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool DecodeValue(std::string_view in, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const unsigned char c = in[i];
    if (!IsBaggageOctet(c)) return false;
    if (c != '%') {
      out->push_back(static_cast<char>(c));
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = HexDigit(in[i + 1]);
    const int lo = HexDigit(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

bool IsAllOctets(std::string_view s) {
  for (unsigned char c : s) {
    if (!IsBaggageOctet(c)) return false;
  }
  return true;
}

// Validates `key OWS "=" OWS value` or `key OWS`, writing the trimmed form.
bool NormalizeProperty(std::string_view prop, std::string* out) {
  prop = TrimOws(prop);
  const size_t eq = prop.find('=');
  const std::string_view key = TrimOws(prop.substr(0, eq));
  if (!IsBaggageKey(key)) return false;
  out->append(key);
  if (eq == std::string_view::npos) return true;
  const std::string_view value = TrimOws(prop.substr(eq + 1));
  if (!IsAllOctets(value)) return false;
  out->push_back('=');
  out->append(value);
  return true;
}

bool ParseMember(std::string_view member, BaggageMember* out) {
  const size_t semi = member.find(';');
  const std::string_view kv = member.substr(0, semi);
  const size_t eq = kv.find('=');
  if (eq == std::string_view::npos) return false;
  const std::string_view key = TrimOws(kv.substr(0, eq));
  if (!IsBaggageKey(key)) return false;
  if (!DecodeValue(TrimOws(kv.substr(eq + 1)), &out->value)) return false;
  out->key.assign(key);
  out->properties.clear();
  if (semi == std::string_view::npos) return true;
  std::string_view rest = member.substr(semi + 1);
  while (true) {
    const size_t next = rest.find(';');
    if (!out->properties.empty()) out->properties.push_back(';');
    if (!NormalizeProperty(rest.substr(0, next), &out->properties)) return false;
    if (next == std::string_view::npos) break;
    rest.remove_prefix(next + 1);
  }
  return true;
}

bool ValidProperties(std::string_view props) {
  if (props.empty()) return true;
  std::string scratch;
  while (true) {
    const size_t next = props.find(';');
    if (!NormalizeProperty(props.substr(0, next), &scratch)) return false;
    if (next == std::string_view::npos) return true;
    props.remove_prefix(next + 1);
  }
}

size_t EncodedSize(const BaggageMember& m) {
  size_t n = m.key.size() + 1 + PercentEncodeBaggageValue(m.value).size();
  if (!m.properties.empty()) n += 1 + m.properties.size();
  return n;
}

}  // namespace

bool IsBaggageKey(std::string_view key) {
  if (key.empty()) return false;
  for (unsigned char c : key) {
    if (!IsTchar(c)) return false;
  }
  return true;
}

BaggageParse ParseBaggage(std::string_view header) {
  BaggageParse result;
  size_t bytes = 0;
  BaggageMember member;
  while (true) {
    const size_t comma = header.find(',');
    const std::string_view raw = TrimOws(header.substr(0, comma));
    if (!raw.empty()) {
      if (!ParseMember(raw, &member)) {
        ++result.invalid;
      } else {
        const size_t size = EncodedSize(member) + (result.members.empty() ? 0 : 1);
        if (result.members.size() == kMaxBaggageMembers || bytes + size > kMaxBaggageBytes) {
          ++result.over_limit;
        } else {
          bytes += size;
          result.members.push_back(std::move(member));
          member = BaggageMember();
        }
      }
    }
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return result;
}

std::string PercentEncodeBaggageValue(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if (IsBaggageOctet(c) && c != '%') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string FormatBaggage(const std::vector<BaggageMember>& members) {
  std::string out;
  size_t count = 0;
  for (const auto& m : members) {
    if (!IsBaggageKey(m.key) || !ValidProperties(m.properties)) continue;
    std::string encoded = m.key + "=" + PercentEncodeBaggageValue(m.value);
    if (!m.properties.empty()) encoded += ";" + m.properties;
    const size_t size = encoded.size() + (out.empty() ? 0 : 1);
    if (count == kMaxBaggageMembers || out.size() + size > kMaxBaggageBytes) break;
    if (!out.empty()) out.push_back(',');
    out += encoded;
    ++count;
  }
  return out;
}

}  // namespace quartet::w3c
