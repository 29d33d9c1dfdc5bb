// The real binary under load: SIGTERM stops accepting, closes every connection, exits 0, and (in
// the sanitizer build) reports no leak or error.
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/tcp.h"

namespace ringcast::test {
namespace {

// Runs a shell command; returns its exit status and what it printed on stdout.
std::pair<int, std::string> run_command(const std::string& cmd) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {-1, {}};
  std::string out;
  char buf[1024];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  return {::pclose(p), out};
}

TEST(binary, help_lists_every_flag) {
  auto [status, out] = run_command(std::string(RINGCAST_BINARY) + " --help");
  EXPECT_EQ(status, 0);
  for (const char* flag : {"--port", "--shards", "--address", "--profile", "--send-queue-limit", "--mailbox-overflow-limit",
                           "RINGCAST_MAILBOX_OVERFLOW_LIMIT", "--close-linger", "RINGCAST_CLOSE_LINGER", "--help"})
    EXPECT_NE(out.find(flag), std::string::npos) << flag;
}

TEST(binary, bad_flag_is_refused_with_a_reason) {
  auto [status, out] = run_command(std::string(RINGCAST_BINARY) + " --port banana 2>&1");
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(out.find("invalid value for --port: banana"), std::string::npos) << out;
}

TEST(binary, mailbox_overflow_limit_and_close_linger_are_checked_as_flags_and_env) {
  auto [s1, o1] = run_command(std::string(RINGCAST_BINARY) + " --mailbox-overflow-limit 0 2>&1");
  EXPECT_EQ(WEXITSTATUS(s1), 2);
  EXPECT_NE(o1.find("invalid value for --mailbox-overflow-limit: 0"), std::string::npos) << o1;
  auto [s2, o2] = run_command("RINGCAST_CLOSE_LINGER=soon " + std::string(RINGCAST_BINARY) + " 2>&1");
  EXPECT_EQ(WEXITSTATUS(s2), 2);
  EXPECT_NE(o2.find("invalid value for RINGCAST_CLOSE_LINGER: soon"), std::string::npos) << o2;
}

TEST(binary, sigterm_under_load_exits_zero_cleanly) {
  server_process srv({"--profile", "tcp-echo", "--address", "127.0.0.1", "--port", "0", "--shards", "2"});
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> round_trips{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      std::vector<int> fds;
      for (int i = 0; i < 50; ++i) fds.push_back(connect_tcp(srv.port()));
      for (int fd : fds) set_recv_timeout(fd, 5000);
      char buf[512] = {};
      // Keep every connection busy until the server goes away.
      while (!stop.load()) {
        bool alive = false;
        for (int fd : fds) {
          if (write_all(fd, buf, sizeof buf) && read_exact(fd, buf, sizeof buf)) {
            alive = true;
            round_trips.fetch_add(1);
          }
        }
        if (!alive) break;
      }
      for (int fd : fds) ::close(fd);
    });
  }
  while (round_trips.load() < 2000) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto status = srv.stop(SIGTERM, std::chrono::seconds(20));
  stop = true;
  for (auto& c : clients) c.join();
  ASSERT_TRUE(status.has_value()) << "ringcast did not exit after SIGTERM";
  EXPECT_TRUE(WIFEXITED(*status)) << srv.stderr_text();
  EXPECT_EQ(WEXITSTATUS(*status), 0) << srv.stderr_text();
  const std::string& err = srv.stderr_text();
  EXPECT_EQ(err.find("AddressSanitizer"), std::string::npos) << err;
  EXPECT_EQ(err.find("LeakSanitizer"), std::string::npos) << err;
  EXPECT_EQ(err.find("runtime error"), std::string::npos) << err;
  EXPECT_NE(err.find("SIGTERM received"), std::string::npos) << err;
}

}  // namespace
}  // namespace ringcast::test
