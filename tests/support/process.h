#pragma once
// Starts the real ringcast binary as a child process, learns its port from the start-up line on
// stderr, and stops it by PID. Everything it printed on stderr is kept for assertions.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace ringcast::test {

class server_process {
 public:
  explicit server_process(std::vector<std::string> args) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
    std::vector<char*> argv;
    args.insert(args.begin(), RINGCAST_BINARY);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid_, RINGCAST_BINARY, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    err_fd_ = pipe_fds[0];
    if (rc != 0) throw std::runtime_error("posix_spawn failed");
    static const std::regex listening(R"(listening on [0-9.]+:([0-9]+))");
    std::smatch m;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!std::regex_search(stderr_, m, listening)) {
      if (std::chrono::steady_clock::now() > deadline || !read_some(1000))
        throw std::runtime_error("ringcast did not start: " + stderr_);
    }
    port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
  }
  ~server_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (err_fd_ >= 0) ::close(err_fd_);
  }

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Sends sig and waits up to `limit` for the exit; returns the exit status (or nullopt).
  std::optional<int> stop(int sig, std::chrono::seconds limit) {
    ::kill(pid_, sig);
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        while (read_some(100)) {
        }
        return status;
      }
      read_some(50);
    }
    return std::nullopt;
  }

  const std::string& stderr_text() const { return stderr_; }

 private:
  bool read_some(int timeout_ms) {
    pollfd p{err_fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char buf[4096];
    ssize_t n = ::read(err_fd_, buf, sizeof buf);
    if (n <= 0) return false;
    stderr_.append(buf, std::size_t(n));
    return true;
  }

  pid_t pid_ = -1;
  int err_fd_ = -1;
  std::uint16_t port_ = 0;
  std::string stderr_;
};

}  // namespace ringcast::test
