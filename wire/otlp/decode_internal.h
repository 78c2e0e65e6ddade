// Internal to wire/otlp: building blocks shared by the trace, log and metric
// decoders. Error convention: a nested decoder returns "<path>: <problem>"
// where <path> is relative to its message and may be empty (the message
// then starts with ": "); Nest() prepends the parent's segment, and
// TopLevel() strips the empty path at the root.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "wire/otlp/model.h"
#include "wire/protobuf/reader.h"

namespace quartet::otlp::internal {

using protobuf::Field;
using protobuf::Reader;

// "spans[3]" + "trace_id: bad" -> "spans[3].trace_id: bad";
// "spans[3]" + ": truncated" -> "spans[3]: truncated".
Status Nest(std::string_view segment, const Status& st);
Status NestIndex(std::string_view name, size_t index, const Status& st);
// The reader's own status, with an empty path.
Status ReaderStatus(const Reader& r);
// Strips a leading ": " left by an empty path at the root.
Status TopLevel(const Status& st);

// st with "name: " in front of its message (OK stays OK).
Status Named(std::string_view name, const Status& st);

// A typed field value, its error prefixed with the field name.
template <typename T, typename U>
Status Get(Result<T> r, std::string_view name, U* out) {
  if (!r.ok()) {
    return Status(r.status().code(), std::string(name) + ": " + std::string(r.status().message()));
  }
  *out = static_cast<U>(*r);
  return Status::Ok();
}

Status GetString(const Field& f, std::string_view name, std::string* out);
Status GetOptionalDouble(const Field& f, std::string_view name, std::optional<double>* out);
// An id field of exactly n bytes; an empty value means "absent" (zero id)
// when allow_empty.
Status GetId(const Field& f, std::string_view name, uint8_t* out, size_t n, bool allow_empty);

// Opens the nested message in `f` and runs decode(Reader&) on it; errors come
// back prefixed with "name[index]" (or "name" when index is npos).
template <typename Fn>
Status Sub(const Reader& parent, const Field& f, std::string_view name, size_t index, Fn&& decode) {
  auto child = parent.Message(f);
  Status st;
  if (!child.ok()) {
    st = Status(child.status().code(), ": " + std::string(child.status().message()));
  } else {
    st = decode(*child);
    if (st.ok()) st = ReaderStatus(*child);
  }
  if (st.ok()) return st;
  return index == std::string_view::npos ? Nest(name, st) : NestIndex(name, index, st);
}

inline constexpr size_t kNoIndex = std::string_view::npos;

// Decoded structs may take this many times the input's size (plus
// kBudgetSlack) before decoding stops with kResourceExhausted. Real requests
// use well under 10x (a span with 5 attributes: ~250 wire bytes, ~1.3 KB of
// structs); an adversarial stream of empty messages would otherwise reach
// ~125x.
inline constexpr int64_t kBudgetPerInputByte = 32;
inline constexpr int64_t kBudgetSlack = int64_t{1} << 20;
inline int64_t DecodeBudget(std::string_view input) {
  return kBudgetPerInputByte * static_cast<int64_t>(input.size()) + kBudgetSlack;
}

// Appends a default T to *v after charging it to r's budget.
template <typename T>
Status Grow(const Reader& r, std::vector<T>* v) {
  if (!r.Charge(sizeof(T))) {
    return Status::ResourceExhausted(": decoded request needs more than " +
                                     std::to_string(kBudgetPerInputByte) +
                                     " times its wire size in memory");
  }
  v->emplace_back();
  return Status::Ok();
}

// Before the first element of the repeated field `number` is appended to
// *list (the field `r` just returned), reserves room for its occurrences
// left in `r`, so a span's attributes cost one allocation instead of one per
// doubling. At most kMaxReserved: elements are charged to the budget only as
// they are appended, and the cap bounds what a hostile message gets ahead.
inline constexpr size_t kMaxReserved = 64;
template <typename T>
void ReserveRepeated(const Reader& r, uint32_t number, std::vector<T>* list) {
  if (!list->empty()) return;
  Reader scan = r;
  Field f;
  size_t n = 1;
  while (n < kMaxReserved && scan.Next(&f)) n += f.number == number ? 1 : 0;
  list->reserve(n);
}

// The envelope the three signals share (opentelemetry-proto):
//   Export*ServiceRequest { repeated Resource* resource_* = 1; }
//   Resource* { Resource resource = 1; repeated Scope* scope_* = 2; string schema_url = 3; }
//   Scope*    { InstrumentationScope scope = 1; repeated Item items = 2; string schema_url = 3; }
// DecodeGroup reads a Resource* or a Scope*: field 1 into `head`, the repeated
// field 2 into `items`, field 3 into schema_url.
template <typename Group, typename Head, typename Item>
Status DecodeGroup(Reader& r, Group* out, Head Group::*head, std::string_view head_name,
                   Status (*decode_head)(Reader&, Head*), std::vector<Item> Group::*items,
                   std::string_view items_name, Status (*decode_item)(Reader&, Item*)) {
  Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case 1:
        RETURN_IF_ERROR(Sub(r, f, head_name, kNoIndex,
                            [&](Reader& c) { return decode_head(c, &(out->*head)); }));
        break;
      case 2: {
        std::vector<Item>& list = out->*items;
        RETURN_IF_ERROR(Grow(r, &list));
        RETURN_IF_ERROR(Sub(r, f, items_name, list.size() - 1,
                            [&](Reader& c) { return decode_item(c, &list.back()); }));
        break;
      }
      case 3:
        RETURN_IF_ERROR(GetString(f, "schema_url", &out->schema_url));
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

// Decodes a whole Export*ServiceRequest within the memory budget.
template <typename Request, typename Group>
Result<Request> DecodeRequest(std::string_view protobuf, std::vector<Group> Request::*groups,
                              std::string_view name, Status (*decode_group)(Reader&, Group*)) {
  Request req;
  std::vector<Group>& list = req.*groups;
  int64_t budget = DecodeBudget(protobuf);
  Reader r(protobuf);
  r.set_budget(&budget);
  Field f;
  while (r.Next(&f)) {
    if (f.number != 1) continue;
    Status st = Grow(r, &list);
    if (!st.ok()) return TopLevel(st);
    st = Sub(r, f, name, list.size() - 1, [&](Reader& c) { return decode_group(c, &list.back()); });
    if (!st.ok()) return TopLevel(st);
  }
  if (!r.status().ok()) return TopLevel(ReaderStatus(r));
  return req;
}

// Common messages. Each loops over its reader; the caller (Sub) checks the
// reader status afterwards.
Status DecodeAnyValue(Reader& r, AnyValue* out);
Status DecodeKeyValue(Reader& r, KeyValue* out);
Status DecodeResource(Reader& r, Resource* out);
Status DecodeScope(Reader& r, InstrumentationScope* out);
// Appends one KeyValue from field `f` of `r` to *list, named name[i].
Status AppendKeyValue(const Reader& r, const Field& f, std::string_view name,
                      std::vector<KeyValue>* list);

}  // namespace quartet::otlp::internal
