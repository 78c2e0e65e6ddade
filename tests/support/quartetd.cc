#include "tests/support/quartetd.h"

#include <string_view>

namespace quartet::testing {

Quartetd::Quartetd(std::vector<std::string> extra_args) : extra_args_(std::move(extra_args)) {
  data_dir_ = TempDir("quartetd") + "/data";
  Start();
}

bool Quartetd::Start() {
  port_ = 0;
  // Ports picked by the kernel, so tests (and a quartetd already running on
  // the default ports) never collide.
  std::vector<std::string> argv = {BinaryPath("quartetd"), "--data-dir",  data_dir_,
                                   "--http-listen",        "127.0.0.1:0", "--grpc-listen",
                                   "127.0.0.1:0"};
  for (const std::string& a : extra_args_) argv.push_back(a);
  process_ = std::make_unique<Process>(Process::Options{.argv = argv});
  constexpr std::string_view kReady = "quartetd listening on http port ";
  Process::WaitFor(
      [&] {
        const std::string out = process_->ReadStdout();
        const size_t at = out.find(kReady);
        if (at != std::string::npos && out.find('\n', at) != std::string::npos) {
          // "quartetd listening on http port N grpc port M"
          const std::string rest = out.substr(at + kReady.size());
          port_ = std::stoi(rest);
          const size_t grpc = rest.find("grpc port ");
          if (grpc != std::string::npos) grpc_port_ = std::stoi(rest.substr(grpc + 10));
          return true;
        }
        return !process_->running();
      },
      std::chrono::seconds(60));
  return port_ != 0;
}

bool Quartetd::Restart(bool kill9) {
  if (kill9) {
    process_->Kill9();
  } else {
    process_->Stop();
  }
  return Start();
}

namespace {

Quartetd::Response Convert(const httplib::Result& r) {
  Quartetd::Response out;
  if (!r) return out;
  out.status = r->status;
  out.body = r->body;
  for (const auto& [k, v] : r->headers) out.headers.emplace(k, v);
  return out;
}

httplib::Client MakeClient(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(60, 0);
  client.set_write_timeout(60, 0);
  return client;
}

}  // namespace

Quartetd::Response Quartetd::Get(const std::string& path_and_query) const {
  httplib::Client client = MakeClient(port_);
  return Convert(client.Get(path_and_query));
}

Quartetd::Response Quartetd::Query(
    const std::string& path, const std::vector<std::pair<std::string, std::string>>& params) const {
  httplib::Params p;
  for (const auto& [k, v] : params) p.emplace(k, v);
  httplib::Client client = MakeClient(port_);
  return Convert(client.Get(path, p, httplib::Headers{}));
}

Quartetd::Response Quartetd::Post(const std::string& path, const std::string& body,
                                  const std::string& content_type,
                                  const httplib::Headers& headers) const {
  httplib::Client client = MakeClient(port_);
  return Convert(client.Post(path, headers, body, content_type));
}

}  // namespace quartet::testing
