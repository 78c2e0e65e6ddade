// A Loki stream's label set in its text form, `{app="checkout", level="info"}`:
// the `labels` string of push protobuf, and the stream key Loki prints.
// Parsing follows Prometheus/LogQL selector syntax restricted to equality
// matchers: label names match [a-zA-Z_][a-zA-Z0-9_]*, values are Go string
// literals ("..." with Go escapes \a \b \f \n \r \t \v \\ \" \' \xHH \ooo
// \uHHHH \UHHHHHHHH, '...', or `raw`) and must be valid UTF-8; whitespace may
// surround every token and one trailing comma is allowed. Other matchers
// (!=, =~, !~) are errors, as are duplicate names. The result is sorted by
// name.
//
// Thread-safety: pure functions; safe to call concurrently.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace quartet::loki {

// Sorted by name, names unique.
using Labels = std::vector<std::pair<std::string, std::string>>;

// True when `name` is a valid Prometheus label name.
bool IsValidLabelName(std::string_view name);

// Parses `{a="b", c="d"}` into sorted, unique labels. `{}` is an empty set.
Result<Labels> ParseLabelSet(std::string_view text);

// Sorts `labels` by name and rejects duplicate names (InvalidArgument naming
// the name). Used by decoders that collect labels in arrival order.
Status SortLabels(Labels* labels);

// The canonical text `{a="b", c="d"}`: labels in the given order (callers pass
// sorted labels), values quoted like Go's strconv.Quote for the characters
// that need it (\\ \" \n \r \t, other control bytes and ill-formed UTF-8 as
// \xHH), so that ParseLabelSet(FormatLabelSet(l)) == l for sorted, unique,
// valid-UTF-8 labels (what every decoder here produces).
std::string FormatLabelSet(const Labels& labels);

}  // namespace quartet::loki
