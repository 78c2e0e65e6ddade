// The collector hangs (accepts nothing, answers nothing) while the service
// takes a burst of 10x its span queue: memory stays bounded, drops are
// counted, request latency stays where it was, and SIGTERM still returns
// within the shutdown deadline.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "tests/support/checkout.h"
#include "tests/support/otlp_receiver.h"

namespace quartet::testing {
namespace {

using namespace std::chrono_literals;

// A listening socket that never accepts: connections stall in the backlog.
class BlackHole {
 public:
  BlackHole() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 1);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~BlackHole() { close(fd_); }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Median request latency of n sequential requests, in microseconds.
double MedianMicros(const CheckoutService& service, int n) {
  httplib::Client client("http://" + service.address());
  std::vector<double> micros;
  for (int i = 0; i < n; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto res = client.Get(("/orders/" + std::to_string(1 + i)).c_str());
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
    EXPECT_TRUE(res && res->status == 200);
  }
  std::nth_element(micros.begin(), micros.begin() + n / 2, micros.end());
  return micros[n / 2];
}

double Sample(const std::string& exposition, const std::string& name) {
  size_t at = exposition.find("\n" + name + " ");
  return at == std::string::npos ? -1
                                 : std::strtod(exposition.c_str() + at + name.size() + 2, nullptr);
}

TEST(OverloadTest, HungCollectorBurstIsBoundedCountedAndDoesNotSlowRequests) {
  const std::map<std::string, std::string> env = {{"OTEL_BSP_MAX_QUEUE_SIZE", "64"},
                                                  {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "16"},
                                                  {"OTEL_BSP_SCHEDULE_DELAY", "10"}};
  double baseline;
  {
    OtlpReceiver healthy;
    CheckoutService service(healthy.endpoint(), env);
    ASSERT_TRUE(service.ready());
    MedianMicros(service, 50);  // warm up connections and the page cache
    baseline = MedianMicros(service, 300);
  }

  BlackHole collector;
  CheckoutService service(collector.endpoint(), env);
  ASSERT_TRUE(service.ready());
  MedianMicros(service, 50);
  size_t rss_before = service.process().RssBytes();
  // Each request makes two spans (server + query): 640 requests = 20x the queue.
  double during = MedianMicros(service, 640);
  size_t rss_after = service.process().RssBytes();

  httplib::Client admin("http://" + service.admin());
  auto metrics = admin.Get("/metrics");
  ASSERT_TRUE(metrics);
  double dropped = Sample(metrics->body, "quartet_sdk_spans_dropped_total");
  EXPECT_GE(dropped, 2 * 640 - 64 - 2 * 16) << metrics->body;

  EXPECT_LT(rss_after, rss_before + (16u << 20))
      << "RSS grew from " << rss_before << " to " << rss_after;
  // Request latency does not depend on the collector: within noise of the
  // healthy run (generous bound: this machine is shared and small).
  EXPECT_LT(during, baseline * 2 + 2000)
      << "baseline " << baseline << "us, during outage " << during << "us";

  EXPECT_EQ(service.process().Stop(20s), 1);              // exit code 1: not everything was flushed
  EXPECT_LT(service.process().last_stop_duration(), 7s);  // shutdown deadline is 5 s
}

}  // namespace
}  // namespace quartet::testing
