#include "wire/http/chunked.h"

#include <algorithm>

namespace quartet::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void ChunkedDecoder::Reset() {
  state_ = State::kSizeLine;
  line_.clear();
  chunk_left_ = 0;
  body_bytes_ = 0;
  trailer_bytes_ = 0;
}

Status ChunkedDecoder::Fail(Status s) {
  state_ = State::kFailed;
  return s;
}

// line_ holds "1a3f;ext=v" without CRLF. Extensions are allowed and ignored
// (RFC 9112 7.1.1); whitespace before them is tolerated as many servers do.
Status ChunkedDecoder::ParseSizeLine() {
  std::string_view line = line_;
  size_t digits = 0;
  uint64_t size = 0;
  while (digits < line.size() && HexValue(line[digits]) >= 0) {
    // 15 hex digits is already far beyond any limit; more can only overflow.
    if (digits == 15) return Fail(Status::InvalidArgument("chunk size too long"));
    size = size * 16 + HexValue(line[digits]);
    ++digits;
  }
  if (digits == 0) return Fail(Status::InvalidArgument("chunk size is not hexadecimal"));
  std::string_view rest = line.substr(digits);
  size_t ext = rest.find_first_not_of(" \t");
  if (ext != std::string_view::npos && rest[ext] != ';') {
    return Fail(Status::InvalidArgument("garbage after chunk size"));
  }
  if (size > limits_.max_body_bytes - std::min<uint64_t>(body_bytes_, limits_.max_body_bytes)) {
    return Fail(Status::ResourceExhausted("chunked body exceeds the limit of " +
                                          std::to_string(limits_.max_body_bytes) + " bytes"));
  }
  line_.clear();
  chunk_left_ = size;
  state_ = size == 0 ? State::kTrailerLine : State::kData;
  return Status::Ok();
}

Result<size_t> ChunkedDecoder::Feed(std::string_view in, std::string* body) {
  if (state_ == State::kFailed) return Status::InvalidArgument("chunked decoder already failed");
  size_t pos = 0;
  while (pos < in.size() && state_ != State::kDone) {
    switch (state_) {
      case State::kSizeLine:
      case State::kTrailerLine: {
        size_t lf = in.find('\n', pos);
        size_t end = lf == std::string_view::npos ? in.size() : lf;
        size_t limit =
            state_ == State::kSizeLine ? limits_.max_line_bytes : limits_.max_trailer_bytes;
        size_t used = state_ == State::kSizeLine ? line_.size() : trailer_bytes_ + line_.size();
        if (used + (end - pos) > limit + 1) {  // +1: the CR before LF
          return Fail(Status::InvalidArgument(state_ == State::kSizeLine
                                                  ? "chunk-size line too long"
                                                  : "chunked trailer section too large"));
        }
        line_.append(in.substr(pos, end - pos));
        if (lf == std::string_view::npos) {
          pos = in.size();
          break;
        }
        pos = lf + 1;
        if (line_.empty() || line_.back() != '\r') {
          return Fail(Status::InvalidArgument("chunked line not terminated by CRLF"));
        }
        line_.pop_back();
        if (state_ == State::kSizeLine) {
          RETURN_IF_ERROR(ParseSizeLine());
        } else if (line_.empty()) {
          state_ = State::kDone;
        } else {
          if (line_.find(':') == std::string::npos) {
            return Fail(Status::InvalidArgument("malformed chunked trailer field"));
          }
          trailer_bytes_ += line_.size() + 2;
          line_.clear();
        }
        break;
      }
      case State::kData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(chunk_left_, in.size() - pos));
        body->append(in.data() + pos, n);
        pos += n;
        chunk_left_ -= n;
        body_bytes_ += n;
        if (chunk_left_ == 0) state_ = State::kDataCr;
        break;
      }
      case State::kDataCr:
        if (in[pos++] != '\r')
          return Fail(Status::InvalidArgument("chunk data not followed by CRLF"));
        state_ = State::kDataLf;
        break;
      case State::kDataLf:
        if (in[pos++] != '\n')
          return Fail(Status::InvalidArgument("chunk data not followed by CRLF"));
        state_ = State::kSizeLine;
        break;
      case State::kDone:
      case State::kFailed:
        break;
    }
  }
  return pos;
}

int HttpStatusForBodyError(const Status& error) {
  switch (error.code()) {
    case StatusCode::kResourceExhausted:
      return 413;
    case StatusCode::kFailedPrecondition:
      return 415;
    default:
      return 400;
  }
}

}  // namespace quartet::http
