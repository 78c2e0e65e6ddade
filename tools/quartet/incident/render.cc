#include "tools/quartet/incident/render.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace quartet::cli {
namespace {

std::string Str(const json::Value* v) {
  return v != nullptr && v->is_string() ? TerminalSafe(v->string_value()) : "";
}

std::string Time(const json::Value* v) {
  if (v == nullptr || !v->is_number()) return "-";
  const time_t secs = static_cast<time_t>(std::floor(v->double_value()));
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Number(const json::Value* v) {
  if (v == nullptr || !v->is_number()) return "";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4g", v->double_value());
  return buf;
}

// Wraps `text` at `width` columns with `indent` before every line.
std::string Wrap(const std::string& text, size_t width, const std::string& indent) {
  std::string out, line;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t sp = text.find(' ', pos);
    if (sp == std::string::npos) sp = text.size();
    std::string word = text.substr(pos, sp - pos);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += indent + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    pos = sp + 1;
  }
  if (!line.empty()) out += indent + line + "\n";
  return out;
}

void Section(std::string* out, const json::Value& report, const char* key, const char* title,
             const char* empty, const std::string& server) {
  *out += "\n";
  *out += title;
  *out += "\n";
  const json::Value* list = report.Find(key);
  if (list == nullptr || !list->is_array() || list->items().empty()) {
    *out += "  ";
    *out += empty;
    *out += "\n";
    return;
  }
  int n = 0;
  for (const json::Value& f : list->items()) {
    char num[16];
    std::snprintf(num, sizeof(num), "%2d. ", ++n);
    std::string head = Wrap(Str(f.Find("summary")), 96, "      ");
    head.replace(0, 6, std::string("  ") + num);
    *out += head;
    std::string figures = "[" + Str(f.Find("signal"));
    const std::string b = Number(f.Find("baseline")), i = Number(f.Find("incident"));
    const std::string unit = Str(f.Find("unit"));
    if (!b.empty() || !i.empty()) {
      figures += ": " + (b.empty() ? "-" : b) + " -> " + (i.empty() ? "-" : i);
      if (!unit.empty()) figures += " " + unit;
    }
    figures += "; score " + Number(f.Find("score")) + "]";
    *out += "      " + figures + "\n";
    const json::Value* links = f.Find("links");
    if (links != nullptr && links->is_array() && !links->items().empty()) {
      *out += "      " + server + Str(&links->items()[0]) + "\n";
    }
  }
}

}  // namespace

std::string TerminalSafe(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c == '\n' || c == '\t') {
      out.push_back(' ');
    } else if (c < 0x20 || c == 0x7f) {
      out.push_back('?');
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string RenderIncidentText(const json::Value& r, const std::string& server) {
  std::string out = "Incident report for " + Str(r.Find("service")) + "\n";
  const json::Value* w = r.Find("window");
  const json::Value* b = r.Find("baseline");
  out += "  window    " + Time(w ? w->Find("from") : nullptr) + " .. " +
         Time(w ? w->Find("to") : nullptr) + "\n";
  out += "  baseline  " + Time(b ? b->Find("from") : nullptr) + " .. " +
         Time(b ? b->Find("to") : nullptr) + "\n";
  const json::Value* onset = r.Find("onset");
  out += "  onset     " + (onset && onset->is_number() ? Time(onset) : std::string("-")) + "\n";
  const json::Value* req = r.Find("requests");
  if (req != nullptr) {
    out += "  requests  " + Number(req->Find("baseline")) + " in the baseline, " +
           Number(req->Find("incident")) + " in the window\n";
  }
  Section(&out, r, "broken", "IS IT BROKEN?", "Nothing is broken.", server);
  Section(&out, r, "who", "WHO IS AFFECTED?", "No attribute value stands out.", server);
  Section(&out, r, "where", "WHERE DID IT BREAK?", "No span stands out.", server);
  Section(&out, r, "why", "WHY?", "No evidence of a cause in the available signals.", server);
  out += "\nConclusion\n" + Wrap(Str(r.Find("conclusion")), 96, "  ");
  return out;
}

}  // namespace quartet::cli
