#include "wire/http/request_head.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "base/strings.h"

namespace quartet::http {
namespace {

// Printable for an error message: untrusted bytes must not reach logs raw.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > 40) out += "...";
  return out;
}

// True if `list` (a comma-separated header value) contains `token`,
// case-insensitively.
bool ListHas(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = TrimSpace(list.substr(0, comma));
    if (AsciiLower(item) == token) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

Status ParseRequestLine(std::string_view line, const HeadLimits& limits, RequestHead& out) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) {
    return Status::InvalidArgument("malformed request line: '" + Printable(line) + "'");
  }
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return Status::InvalidArgument("malformed request line: '" + Printable(line) + "'");
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!IsHttpToken(method))
    return Status::InvalidArgument("invalid method: '" + Printable(method) + "'");
  if (target.empty()) return Status::InvalidArgument("empty request-target");
  if (target.size() > limits.max_target_bytes) {
    return Status::OutOfRange("request-target of " + std::to_string(target.size()) +
                              " bytes exceeds the limit of " +
                              std::to_string(limits.max_target_bytes));
  }
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Status::InvalidArgument("control character or space in request-target");
    }
  }
  if (version.size() != 8 || !version.starts_with("HTTP/") || version[6] != '.' ||
      !std::isdigit(static_cast<unsigned char>(version[5])) ||
      !std::isdigit(static_cast<unsigned char>(version[7]))) {
    return Status::InvalidArgument("malformed HTTP version: '" + Printable(version) + "'");
  }
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
    return Status::FailedPrecondition("unsupported HTTP version " + std::string(version));
  }
  out.version_minor = version[7] - '0';
  out.method.assign(method);
  out.target.assign(target);

  std::string_view path = target;
  // absolute-form ("http://host/x"): servers must accept it (RFC 9112 3.2.2).
  if (!path.starts_with("/")) {
    size_t scheme = path.find("://");
    if (scheme == std::string_view::npos) {
      return Status::InvalidArgument("request-target must be a path: '" + Printable(path) + "'");
    }
    size_t slash = path.find('/', scheme + 3);
    path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
  }
  size_t q = path.find('?');
  if (q != std::string_view::npos) {
    out.query.assign(path.substr(q + 1));
    path = path.substr(0, q);
  }
  size_t hash = path.find('#');  // fragments are never sent, but tolerate them
  if (hash != std::string_view::npos) path = path.substr(0, hash);
  out.path.assign(path);
  return Status::Ok();
}

}  // namespace

std::string_view RequestHead::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

Result<RequestHead> ParseRequestHead(std::string_view head, const HeadLimits& limits) {
  if (head.size() > limits.max_head_bytes) {
    return Status::ResourceExhausted("request head of " + std::to_string(head.size()) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(limits.max_head_bytes));
  }
  if (!head.ends_with("\r\n\r\n")) return Status::InvalidArgument("request head not terminated");
  head.remove_suffix(2);  // now every line, the last included, ends in CRLF

  RequestHead out;
  size_t eol = head.find("\r\n");
  RETURN_IF_ERROR(ParseRequestLine(head.substr(0, eol), limits, out));
  head.remove_prefix(eol + 2);

  int hosts = 0;
  bool have_length = false;
  uint64_t content_length = 0;
  bool chunked = false;
  bool connection_close = false, connection_keep_alive = false;
  while (!head.empty()) {
    eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    if (line.empty()) return Status::InvalidArgument("empty header line");
    if (line.front() == ' ' || line.front() == '\t') {
      return Status::InvalidArgument("obsolete header line folding");
    }
    if (out.headers.size() >= limits.max_headers) {
      return Status::ResourceExhausted("more than " + std::to_string(limits.max_headers) +
                                       " header fields");
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return Status::InvalidArgument("header line without ':': '" + Printable(line) + "'");
    }
    std::string_view name = line.substr(0, colon);
    // No whitespace between name and colon (RFC 9112 5.1): a classic
    // request-smuggling vector, so it is rejected, not trimmed.
    if (!IsHttpToken(name)) {
      return Status::InvalidArgument("invalid header name: '" + Printable(name) + "'");
    }
    std::string_view value = TrimSpace(line.substr(colon + 1));
    for (char c : value) {
      unsigned char u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) {
        return Status::InvalidArgument("control character in value of header " + Printable(name));
      }
    }
    std::string lower = AsciiLower(name);
    if (lower == "host") {
      ++hosts;
    } else if (lower == "content-length") {
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
        return Status::InvalidArgument("invalid Content-Length: '" + Printable(value) + "'");
      }
      if (have_length && n != content_length) {
        return Status::InvalidArgument("conflicting Content-Length headers");
      }
      have_length = true;
      content_length = n;
    } else if (lower == "transfer-encoding") {
      // Only a lone "chunked": with any other coding the body's end is
      // ambiguous (RFC 9112 6.3), and nothing we serve sends one.
      if (chunked || AsciiLower(value) != "chunked") {
        return Status::InvalidArgument("unsupported Transfer-Encoding '" + Printable(value) +
                                       "' (only chunked)");
      }
      chunked = true;
    } else if (lower == "expect") {
      out.expect_continue = AsciiLower(value) == "100-continue";
    } else if (lower == "connection") {
      connection_close |= ListHas(value, "close");
      connection_keep_alive |= ListHas(value, "keep-alive");
    }
    out.headers.emplace_back(std::move(lower), std::string(value));
  }
  if (out.version_minor == 1 && hosts != 1) {
    return Status::InvalidArgument(hosts == 0 ? "HTTP/1.1 request without Host header"
                                              : "more than one Host header");
  }
  if (chunked && have_length) {
    return Status::InvalidArgument("both Transfer-Encoding and Content-Length");
  }
  out.has_body = chunked || content_length > 0;
  out.chunked = chunked;
  out.content_length = chunked ? 0 : content_length;
  out.expect_continue = out.expect_continue && out.version_minor == 1;
  out.keep_alive =
      out.version_minor == 1 ? !connection_close : (connection_keep_alive && !connection_close);
  return out;
}

int HttpStatusForHeadError(const Status& error) {
  switch (error.code()) {
    case StatusCode::kOutOfRange:
      return 414;
    case StatusCode::kResourceExhausted:
      return 431;
    case StatusCode::kFailedPrecondition:
      return 505;
    default:
      return 400;
  }
}

}  // namespace quartet::http
