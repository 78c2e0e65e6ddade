#include "wire/prometheus/number_format.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace quartet::prometheus {

void AppendGoFloat(double v, std::string* out) {
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  if (v == 0) {
    out->append(std::signbit(v) ? "-0" : "0");
    return;
  }
  // Shortest round-trip digits in scientific form: [-]d[.ddd]e[+-]xx.
  char sci[64];
  auto res = std::to_chars(sci, sci + sizeof(sci), v, std::chars_format::scientific);
  std::string_view s(sci, res.ptr - sci);
  bool negative = s.front() == '-';
  if (negative) s.remove_prefix(1);
  size_t e = s.find('e');
  std::string_view mantissa = s.substr(0, e);
  std::string_view exp_text = s.substr(e + 1);
  if (!exp_text.empty() && exp_text.front() == '+') exp_text.remove_prefix(1);
  int exp = 0;
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp);
  char digits[32];
  size_t nd = 0;
  for (char c : mantissa) {
    if (c != '.') digits[nd++] = c;
  }
  if (negative) out->push_back('-');
  if (exp < -4 || exp >= 6) {
    // Go's %e: d[.ddd]e±XX with at least two exponent digits.
    out->push_back(digits[0]);
    if (nd > 1) {
      out->push_back('.');
      out->append(digits + 1, nd - 1);
    }
    out->push_back('e');
    out->push_back(exp < 0 ? '-' : '+');
    int a = exp < 0 ? -exp : exp;
    if (a < 10) out->push_back('0');
    AppendUint(static_cast<uint64_t>(a), out);
    return;
  }
  // %f with exactly the shortest digits: the point sits after exp+1 digits.
  int point = exp + 1;
  if (point <= 0) {
    out->append("0.");
    out->append(static_cast<size_t>(-point), '0');
    out->append(digits, nd);
  } else if (static_cast<size_t>(point) >= nd) {
    out->append(digits, nd);
    out->append(static_cast<size_t>(point) - nd, '0');
  } else {
    out->append(digits, static_cast<size_t>(point));
    out->push_back('.');
    out->append(digits + point, nd - static_cast<size_t>(point));
  }
}

void AppendOpenMetricsFloat(double v, std::string* out) {
  size_t start = out->size();
  AppendGoFloat(v, out);
  if (std::isnan(v) || std::isinf(v)) return;
  std::string_view written(out->data() + start, out->size() - start);
  if (written.find_first_of(".e") == std::string_view::npos) out->append(".0");
}

void AppendUint(uint64_t v, std::string* out) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, res.ptr);
}

void AppendUnixSeconds(int64_t unix_nanos, std::string* out) {
  if (unix_nanos < 0) {
    out->push_back('-');
    // Negative times never come from a clock we read; keep the output exact anyway.
    uint64_t a = static_cast<uint64_t>(-(unix_nanos + 1)) + 1;
    AppendUint(a / 1'000'000'000, out);
    unix_nanos = -static_cast<int64_t>(a % 1'000'000'000);
  } else {
    AppendUint(static_cast<uint64_t>(unix_nanos) / 1'000'000'000, out);
  }
  uint64_t frac = static_cast<uint64_t>(unix_nanos < 0 ? -unix_nanos : unix_nanos) % 1'000'000'000;
  if (frac == 0) return;
  char buf[10];
  for (int i = 8; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  size_t len = 9;
  while (len > 0 && buf[len - 1] == '0') --len;
  out->push_back('.');
  out->append(buf, len);
}

}  // namespace quartet::prometheus
