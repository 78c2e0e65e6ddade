#include "tools/quartet/ship/shipper.h"

#include <cstdio>
#include <map>
#include <thread>

#include "base/clock.h"
#include "sdk/export/http_client.h"
#include "sdk/export/sender.h"
#include "tools/quartet/ship/log_line.h"
#include "wire/compress/snappy.h"

namespace quartet::ship {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Retry-After beyond this is treated as this: a shipper must come back.
constexpr milliseconds kMaxRetryAfter{5 * 60 * 1000};

std::string Printable(std::string_view body) {
  std::string out(body.substr(0, 512));
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

Result<milliseconds> ParseDuration(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9) {
    return Status::InvalidArgument("duration '" + std::string(text) +
                                   "' is not a number with an optional ms, s or m suffix");
  }
  int64_t n = std::stoll(std::string(text.substr(0, digits)));
  std::string_view unit = text.substr(digits);
  if (unit.empty() || unit == "ms") return milliseconds(n);
  if (unit == "s") return milliseconds(n * 1000);
  if (unit == "m") return milliseconds(n * 60 * 1000);
  return Status::InvalidArgument("duration '" + std::string(text) +
                                 "' has an unknown unit (use ms, s or m)");
}

Shipper::Shipper(ShipOptions options) : options_(std::move(options)) {
  url_ = options_.server;
  while (!url_.empty() && url_.back() == '/') url_.pop_back();
  url_ += "/loki/api/v1/push";
  for (const std::string& file : options_.files) {
    tailers_.push_back(std::make_unique<FileTailer>(file, options_.max_line_bytes));
  }
}

Shipper::~Shipper() = default;

bool Shipper::SleepFor(milliseconds d) {
  auto until = Clock::now() + d;
  while (!stop_.load()) {
    auto now = Clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<Clock::duration>(until - now, milliseconds(20)));
  }
  return false;
}

std::string Shipper::BuildBody() const {
  loki::PushRequest push;
  std::map<loki::Labels, size_t> stream_of;
  for (const Pending& p : pending_) {
    ShippedLine shipped = ParseLine(p.line.text, p.line.read_time_ns, options_.labels);
    auto [it, inserted] = stream_of.try_emplace(shipped.labels, push.streams.size());
    if (inserted) push.streams.push_back(loki::Stream{std::move(shipped.labels), {}});
    push.streams[it->second].entries.push_back(std::move(shipped.entry));
  }
  if (options_.json) return loki::EncodePushJson(push);
  return compress::SnappyCompress(loki::EncodePushProtobuf(push));
}

Status Shipper::Acknowledge() {
  for (const Pending& p : pending_) positions_[tailers_[p.tailer]->path()] = p.line.end;
  pending_.clear();
  pending_bytes_ = 0;
  if (options_.positions.empty()) return Status::Ok();
  return SavePositions(options_.positions, positions_);
}

Result<bool> Shipper::PushPending(bool final_attempt) {
  const std::string body = BuildBody();
  const std::string_view content_type =
      options_.json ? "application/json" : "application/x-protobuf";
  exporter::HttpClient client(exporter::HttpClient::Options{.user_agent = "quartet-ship/0.1"});
  milliseconds backoff = options_.min_backoff;
  for (int attempt = 0;; ++attempt) {
    exporter::HttpRequest request{.url = url_, .body = body, .content_type = content_type};
    Result<exporter::HttpResponse> response = client.Post(request, options_.request_timeout);
    std::string why;
    milliseconds wait = backoff;
    if (response.ok()) {
      int status = response->status;
      if (status >= 200 && status < 300) {
        stats_.lines_shipped += pending_.size();
        ++stats_.batches_shipped;
        RETURN_IF_ERROR(Acknowledge());
        return true;
      }
      if (status >= 400 && status < 500 && status != 429) {
        std::fprintf(stderr,
                     "quartet ship: server rejected a batch of %zu lines with HTTP %d, skipping "
                     "it: %s\n",
                     pending_.size(), status, Printable(response->body).c_str());
        stats_.lines_skipped += pending_.size();
        ++stats_.batches_skipped;
        RETURN_IF_ERROR(Acknowledge());
        return true;
      }
      why = "HTTP " + std::to_string(status);
      if (!response->retry_after.empty()) {
        std::optional<milliseconds> after =
            exporter::ParseRetryAfter(response->retry_after, UnixNanos());
        if (after.has_value()) wait = std::min(*after, kMaxRetryAfter);
      }
    } else {
      why = response.status().ToString();
    }
    if (final_attempt) {
      std::fprintf(stderr,
                   "quartet ship: last push before exit failed (%s); %zu lines will be "
                   "sent again from the saved positions on restart\n",
                   why.c_str(), pending_.size());
      return false;
    }
    if (attempt == 0 || attempt % 10 == 0) {
      std::fprintf(stderr, "quartet ship: push failed (%s), retrying in %lld ms\n", why.c_str(),
                   static_cast<long long>(wait.count()));
    }
    ++stats_.retries;
    backoff = std::min(backoff * 2, options_.max_backoff);
    if (!SleepFor(wait)) return false;
  }
}

Status Shipper::Run() {
  if (!options_.positions.empty()) {
    ASSIGN_OR_RETURN(positions_, LoadPositions(options_.positions));
    for (auto& tailer : tailers_) {
      auto it = positions_.find(tailer->path());
      if (it != positions_.end()) tailer->Restore(it->second);
    }
  }
  Clock::time_point first_pending;
  std::vector<std::string> last_errors(tailers_.size());
  while (!stop_.load()) {
    size_t before = pending_.size();
    for (size_t i = 0; i < tailers_.size() && pending_bytes_ < options_.batch_bytes; ++i) {
      std::vector<TailedLine> lines;
      Status st = tailers_[i]->Poll(options_.batch_bytes - pending_bytes_, &lines);
      if (!st.ok() && st.ToString() != last_errors[i]) {
        std::fprintf(stderr, "quartet ship: %s\n", st.ToString().c_str());
      }
      last_errors[i] = st.ok() ? "" : st.ToString();
      for (TailedLine& line : lines) {
        pending_bytes_ += line.text.size() + 16;  // + timestamp and framing
        pending_.push_back(Pending{i, std::move(line)});
      }
    }
    if (before == 0 && !pending_.empty()) first_pending = Clock::now();
    bool full = pending_bytes_ >= options_.batch_bytes;
    bool due = !pending_.empty() && Clock::now() - first_pending >= options_.batch_wait;
    if (full || due) {
      ASSIGN_OR_RETURN(bool pushed, PushPending(false));
      if (!pushed) break;
    } else {
      // Every file was read to its end: wait for more (or for the batch to age).
      SleepFor(options_.poll_interval);
    }
  }
  if (!pending_.empty()) {
    Result<bool> pushed = PushPending(true);
    if (!pushed.ok()) return pushed.status();
  }
  return Status::Ok();
}

}  // namespace quartet::ship
