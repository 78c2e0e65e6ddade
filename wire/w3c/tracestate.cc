#include "wire/w3c/tracestate.h"

#include "wire/w3c/traceparent.h"

namespace quartet::w3c {
namespace {

bool IsLcAlpha(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsKeyChar(char c) {
  return IsLcAlpha(c) || IsDigit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}
bool AllKeyChars(std::string_view s) {
  for (char c : s) {
    if (!IsKeyChar(c)) return false;
  }
  return true;
}

}  // namespace

bool IsValidTraceStateKey(std::string_view key) {
  const size_t at = key.find('@');
  if (at == std::string_view::npos) {
    return !key.empty() && key.size() <= 256 && IsLcAlpha(key[0]) && AllKeyChars(key.substr(1));
  }
  const std::string_view tenant = key.substr(0, at);
  const std::string_view system = key.substr(at + 1);
  return !tenant.empty() && tenant.size() <= 241 && (IsLcAlpha(tenant[0]) || IsDigit(tenant[0])) &&
         AllKeyChars(tenant.substr(1)) && !system.empty() && system.size() <= 14 &&
         IsLcAlpha(system[0]) && AllKeyChars(system.substr(1));
}

bool IsValidTraceStateValue(std::string_view value) {
  if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
  for (char c : value) {
    if (c < 0x20 || c > 0x7e || c == ',' || c == '=') return false;
  }
  return true;
}

Result<std::vector<TraceStateMember>> ParseTraceState(std::string_view value) {
  std::vector<TraceStateMember> members;
  while (true) {
    const size_t comma = value.find(',');
    const std::string_view member = TrimOws(value.substr(0, comma));
    if (!member.empty()) {
      const size_t eq = member.find('=');
      if (eq == std::string_view::npos) {
        return Status::InvalidArgument("tracestate: member without '=': " +
                                       std::string(member.substr(0, 64)));
      }
      const std::string_view key = member.substr(0, eq);
      const std::string_view val = member.substr(eq + 1);
      if (!IsValidTraceStateKey(key)) {
        return Status::InvalidArgument("tracestate: invalid key: " +
                                       std::string(key.substr(0, 64)));
      }
      if (!IsValidTraceStateValue(val)) {
        return Status::InvalidArgument("tracestate: invalid value for key " +
                                       std::string(key.substr(0, 64)));
      }
      for (const auto& m : members) {
        if (m.key == key)
          return Status::InvalidArgument("tracestate: duplicate key " + std::string(key));
      }
      if (members.size() == kMaxTraceStateMembers) {
        return Status::InvalidArgument("tracestate: more than 32 members");
      }
      members.push_back({std::string(key), std::string(val)});
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return members;
}

std::string FormatTraceState(const std::vector<TraceStateMember>& members) {
  std::string out;
  for (const auto& m : members) {
    if (!out.empty()) out += ',';
    out += m.key;
    out += '=';
    out += m.value;
  }
  return out;
}

Result<std::string> NormalizeTraceState(std::string_view value) {
  ASSIGN_OR_RETURN(auto members, ParseTraceState(value));
  return FormatTraceState(members);
}

}  // namespace quartet::w3c
