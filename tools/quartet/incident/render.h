// The text form of an incident report: the JSON object of GET
// /api/v1/incident (docs/incident.md) laid out for a terminal — header,
// the four questions with their ranked findings, figures and links, and the
// conclusion paragraph last. Every string from the report is untrusted
// (span names, attribute values): control characters are replaced so a
// report cannot drive the terminal. Pure function; thread-safe.
#pragma once

#include <string>

#include "wire/json/json_value.h"

namespace quartet::cli {

// `server` prefixes the server-relative links ("" keeps them relative).
std::string RenderIncidentText(const json::Value& report, const std::string& server);

// `s` with control characters (ESC, CR, ...) replaced by '?', tabs and
// newlines by spaces.
std::string TerminalSafe(const std::string& s);

}  // namespace quartet::cli
