#include <cstring>
#include <string>

#include "wire/otlp/decode_internal.h"

namespace quartet::otlp::internal {

Status Nest(std::string_view segment, const Status& st) {
  std::string_view msg = st.message();
  std::string out(segment);
  if (msg.empty() || msg[0] != ':') out += '.';
  out += msg;
  return Status(st.code(), std::move(out));
}

Status NestIndex(std::string_view name, size_t index, const Status& st) {
  std::string segment(name);
  segment += '[';
  segment += std::to_string(index);
  segment += ']';
  return Nest(segment, st);
}

Status Named(std::string_view name, const Status& st) {
  if (st.ok()) return st;
  return Status(st.code(), std::string(name) + ": " + std::string(st.message()));
}

Status ReaderStatus(const Reader& r) {
  if (r.status().ok()) return Status::Ok();
  return Status(r.status().code(), ": " + std::string(r.status().message()));
}

Status TopLevel(const Status& st) {
  std::string_view msg = st.message();
  if (msg.size() >= 2 && msg[0] == ':' && msg[1] == ' ') {
    return Status(st.code(), std::string(msg.substr(2)));
  }
  return st;
}

Status GetString(const Field& f, std::string_view name, std::string* out) {
  std::string_view v;
  RETURN_IF_ERROR(Get(f.Bytes(), name, &v));
  out->assign(v.data(), v.size());
  return Status::Ok();
}

Status GetOptionalDouble(const Field& f, std::string_view name, std::optional<double>* out) {
  double d;
  RETURN_IF_ERROR(Get(f.Double(), name, &d));
  *out = d;
  return Status::Ok();
}

Status GetId(const Field& f, std::string_view name, uint8_t* out, size_t n, bool allow_empty) {
  std::string_view v;
  RETURN_IF_ERROR(Get(f.Bytes(), name, &v));
  if (v.empty() && allow_empty) {
    std::memset(out, 0, n);
    return Status::Ok();
  }
  if (v.size() != n) {
    return Status::InvalidArgument(std::string(name) + ": must be " + std::to_string(n) +
                                   " bytes, got " + std::to_string(v.size()));
  }
  std::memcpy(out, v.data(), n);
  return Status::Ok();
}

Status AppendKeyValue(const Reader& r, const Field& f, std::string_view name,
                      std::vector<KeyValue>* list) {
  RETURN_IF_ERROR(Grow(r, list));
  return Sub(r, f, name, list->size() - 1,
             [&](Reader& c) { return DecodeKeyValue(c, &list->back()); });
}

Status DecodeAnyValue(Reader& r, AnyValue* out) {
  Field f;
  while (r.Next(&f)) {
    // A oneof: the last member on the wire wins, as in protobuf.
    switch (f.number) {
      case 1:
        out->type = AnyValue::Type::kString;
        RETURN_IF_ERROR(GetString(f, "string_value", &out->string_value));
        break;
      case 2:
        out->type = AnyValue::Type::kBool;
        RETURN_IF_ERROR(Get(f.Bool(), "bool_value", &out->bool_value));
        break;
      case 3:
        out->type = AnyValue::Type::kInt;
        RETURN_IF_ERROR(Get(f.Int64(), "int_value", &out->int_value));
        break;
      case 4:
        out->type = AnyValue::Type::kDouble;
        RETURN_IF_ERROR(Get(f.Double(), "double_value", &out->double_value));
        break;
      case 5:
        if (out->type != AnyValue::Type::kArray) out->array_value.clear();
        out->type = AnyValue::Type::kArray;
        RETURN_IF_ERROR(Sub(r, f, "array_value", kNoIndex, [&](Reader& arr) {
          Field g;
          while (arr.Next(&g)) {
            if (g.number != 1) continue;
            RETURN_IF_ERROR(Grow(arr, &out->array_value));
            RETURN_IF_ERROR(Sub(arr, g, "values", out->array_value.size() - 1, [&](Reader& c) {
              return DecodeAnyValue(c, &out->array_value.back());
            }));
          }
          return Status::Ok();
        }));
        break;
      case 6:
        if (out->type != AnyValue::Type::kKvList) out->kvlist_value.clear();
        out->type = AnyValue::Type::kKvList;
        RETURN_IF_ERROR(Sub(r, f, "kvlist_value", kNoIndex, [&](Reader& list) {
          Field g;
          while (list.Next(&g)) {
            if (g.number == 1)
              RETURN_IF_ERROR(AppendKeyValue(list, g, "values", &out->kvlist_value));
          }
          return Status::Ok();
        }));
        break;
      case 7:
        out->type = AnyValue::Type::kBytes;
        RETURN_IF_ERROR(GetString(f, "bytes_value", &out->string_value));
        break;
      default:
        break;  // unknown (e.g. string_value_strindex of profiles): skipped
    }
  }
  return Status::Ok();
}

Status DecodeKeyValue(Reader& r, KeyValue* out) {
  Field f;
  while (r.Next(&f)) {
    if (f.number == 1) {
      RETURN_IF_ERROR(GetString(f, "key", &out->key));
    } else if (f.number == 2) {
      RETURN_IF_ERROR(
          Sub(r, f, "value", kNoIndex, [&](Reader& c) { return DecodeAnyValue(c, &out->value); }));
    }
  }
  return Status::Ok();
}

Status DecodeResource(Reader& r, Resource* out) {
  Field f;
  while (r.Next(&f)) {
    if (f.number == 1) {
      RETURN_IF_ERROR(AppendKeyValue(r, f, "attributes", &out->attributes));
    } else if (f.number == 2) {
      RETURN_IF_ERROR(Get(f.Uint32(), "dropped_attributes_count", &out->dropped_attributes_count));
    }
  }
  return Status::Ok();
}

Status DecodeScope(Reader& r, InstrumentationScope* out) {
  Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case 1:
        RETURN_IF_ERROR(GetString(f, "name", &out->name));
        break;
      case 2:
        RETURN_IF_ERROR(GetString(f, "version", &out->version));
        break;
      case 3:
        RETURN_IF_ERROR(AppendKeyValue(r, f, "attributes", &out->attributes));
        break;
      case 4:
        RETURN_IF_ERROR(
            Get(f.Uint32(), "dropped_attributes_count", &out->dropped_attributes_count));
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

}  // namespace quartet::otlp::internal
