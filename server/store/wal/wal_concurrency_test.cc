// Concurrent appenders under group commit, and the kill -9 guarantee: every
// record acknowledged by Append before the process dies is replayed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <set>
#include <thread>

#include "server/store/wal/wal.h"

namespace quartet::store {
namespace {

namespace fs = std::filesystem;

fs::path TestDir(const char* name) {
  fs::path dir =
      fs::path(::testing::TempDir()) / ("wal_conc_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(dir);
  return dir;
}

// "t<thread>-<seq>:" then filler; sizes vary so some records span blocks.
std::string MakeRecord(int thread, int seq) {
  std::string key = "t" + std::to_string(thread) + "-" + std::to_string(seq) + ":";
  size_t filler = (seq % 17 == 0) ? 40000 : static_cast<size_t>(seq * 37 % 900);
  return key + std::string(filler, static_cast<char>('a' + thread % 26));
}

std::string KeyOf(std::string_view record) {
  return std::string(record.substr(0, record.find(':')));
}

TEST(WalConcurrency, EveryAcknowledgedRecordIsReplayedOnce) {
  fs::path dir = TestDir("threads");
  constexpr int kThreads = 8, kPerThread = 150;
  {
    auto wal = Wal::Open({.dir = dir.string(), .segment_bytes = 1 << 20});
    ASSERT_TRUE(wal.ok());
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          if (!(*wal)->Append(MakeRecord(t, i)).ok()) failures++;
          if (i == kPerThread / 2 && t == 0 && !(*wal)->Rotate().ok()) failures++;
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
    WalStats stats = (*wal)->stats();
    EXPECT_EQ(stats.records, uint64_t{kThreads * kPerThread});
    EXPECT_LE(stats.groups, stats.records);
    // One sync per group, plus one per rotation (explicit or by size).
    EXPECT_GE(stats.syncs, stats.groups + 1);
    EXPECT_LT(stats.groups, stats.records);  // 8 appenders: some groups were shared
  }
  auto wal = Wal::Open({.dir = dir.string()});
  std::set<std::string> seen;
  std::vector<int> last_seq(kThreads, -1);
  WalReplayReport report;
  Status s = (*wal)->Replay(
      [&](std::string_view rec, WalPosition) {
        std::string key = KeyOf(rec);
        EXPECT_TRUE(seen.insert(key).second) << "duplicate " << key;
        int t = std::stoi(key.substr(1));
        int seq = std::stoi(key.substr(key.find('-') + 1));
        EXPECT_EQ(rec, MakeRecord(t, seq));
        EXPECT_GT(seq, last_seq[t]) << "per-thread order";
        last_seq[t] = seq;
        return Status::Ok();
      },
      &report);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(seen.size(), size_t{kThreads * kPerThread});
  fs::remove_all(dir);
}

// A child process appends from several threads and reports each acknowledged
// record's key through a pipe; the parent kills it with SIGKILL mid-stream and
// replays. Every key the child acknowledged must be in the WAL.
// Every policy survives a process kill (kInterval and kNever only lose data
// on power loss); kAlways additionally survives power loss, not testable here.
class WalKillTest : public ::testing::TestWithParam<SyncPolicy> {};

TEST_P(WalKillTest, KillMinus9LosesNothingAcknowledged) {
  fs::path dir = TestDir(("kill9_" + std::to_string(static_cast<int>(GetParam()))).c_str());
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto wal = Wal::Open({.dir = dir.string(), .segment_bytes = 256 << 10, .sync = GetParam()});
    if (!wal.ok()) ::_exit(2);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0;; ++i) {
          std::string rec = MakeRecord(t, i);
          if (!(*wal)->Append(rec).ok()) ::_exit(3);
          std::string ack = KeyOf(rec) + "\n";  // < PIPE_BUF: atomic
          if (::write(fds[1], ack.data(), ack.size()) < 0) ::_exit(4);
        }
      });
    }
    for (auto& th : threads) th.join();
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string acks;
  char buf[4096];
  bool killed = false;
  while (true) {
    ssize_t n = ::read(fds[0], buf, sizeof(buf));
    if (n <= 0) break;
    acks.append(buf, static_cast<size_t>(n));
    if (!killed && std::count(acks.begin(), acks.end(), '\n') >= 600) {
      ::kill(pid, SIGKILL);
      killed = true;  // keep reading: acks written before death are in the pipe
    }
  }
  ::close(fds[0]);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  ASSERT_TRUE(killed) << "child exited early with status " << wstatus;
  ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL);

  std::set<std::string> acknowledged;
  for (size_t pos = 0, nl; (nl = acks.find('\n', pos)) != std::string::npos; pos = nl + 1) {
    acknowledged.insert(acks.substr(pos, nl - pos));
  }
  auto wal = Wal::Open({.dir = dir.string()});
  ASSERT_TRUE(wal.ok());
  std::set<std::string> replayed;
  WalReplayReport report;
  ASSERT_TRUE((*wal)
                  ->Replay(
                      [&](std::string_view rec, WalPosition) {
                        replayed.insert(KeyOf(rec));
                        return Status::Ok();
                      },
                      &report)
                  .ok());
  size_t missing = 0;
  for (const auto& key : acknowledged) missing += replayed.count(key) == 0;
  EXPECT_EQ(missing, 0u) << "of " << acknowledged.size() << " acknowledged";
  EXPECT_GE(replayed.size(), acknowledged.size());
  // A kill can only tear the very end: nothing in the middle is damaged.
  for (const auto& c : report.corruptions) EXPECT_TRUE(c.tail) << c.reason << " @" << c.offset;
  // And appending after recovery works.
  EXPECT_TRUE((*wal)->Append("after crash").ok());
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Policies, WalKillTest,
                         ::testing::Values(SyncPolicy::kAlways, SyncPolicy::kInterval,
                                           SyncPolicy::kNever));

}  // namespace
}  // namespace quartet::store
