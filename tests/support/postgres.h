#pragma once
// A throw-away PostgreSQL cluster for tests: a fresh data directory under /tmp with database
// `ringcast`, postgres on a free loopback port, everything removed afterwards.
//
// initdb plus CREATE DATABASE cost over a second, and ctest runs every test in its own process, so
// the first fixture on the machine builds a template data directory once
// (/tmp/ringcast-pg-template-<major>-<uid>, renamed into place only when complete) and every
// cluster starts from a copy of it (~0.1 s).
//
// The postmaster is a direct child of the test process (fork, drop to the `postgres` user when run
// as root since initdb and postgres refuse root, exec), so stop() can signal and reap it by PID,
// and it gets SIGQUIT from the kernel if the test process dies, even by kill -9: no orphaned
// servers. Linux delivers that signal when the *thread* that forked exits, so call the
// constructor and start() from a thread that lives as long as the cluster (the test's own thread).
// Directories left by crashed test processes are removed by the next fixture.
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ringcast::test {

class postgres_cluster {
 public:
  postgres_cluster() {
    bin_dir_ = find_bin_dir();
    resolve_owner();
    remove_stale_directories();
    dir_ = make_directory();
    try {
      std::string tmpl = ensure_template();
      run_to_completion({"/bin/cp", "-a", tmpl, data_dir()}, dir_ + "/copy.log");
      start_on_a_free_port();
    } catch (...) {
      stop();
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      throw;
    }
  }

  ~postgres_cluster() {
    // Immediate shutdown: the data is about to be deleted, so skip the shutdown checkpoint's fsyncs.
    signal_and_reap({SIGQUIT, SIGKILL});
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  postgres_cluster(const postgres_cluster&) = delete;
  postgres_cluster& operator=(const postgres_cluster&) = delete;

  // One cluster per test process, started on first use and stopped at exit.
  static postgres_cluster& shared() {
    static postgres_cluster cluster;
    return cluster;
  }

  std::string url(std::string_view database = "ringcast") const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + std::string(database);
  }
  std::uint16_t port() const { return port_; }
  const std::string& directory() const { return dir_; }
  std::string data_dir() const { return dir_ + "/data"; }
  bool running() const { return pid_ > 0; }

  // Starts the postmaster (again, after stop(): same port, same data) and waits until it accepts
  // connections.
  void start() {
    if (pid_ > 0) return;
    std::string log = dir_ + "/server.log";
    pid_ = spawn({bin_dir_ + "/postgres", "-D", data_dir(), "-p", std::to_string(port_), "-k", dir_,
                  "-c", "listen_addresses=127.0.0.1", "-c", "fsync=on", "-c", "max_connections=200"},
                 log, true);
    std::string conninfo = "host=127.0.0.1 port=" + std::to_string(port_) +
                           " user=postgres dbname=postgres connect_timeout=2";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (PQping(conninfo.c_str()) != PQPING_OK) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("postgres exited during start-up:\n" + read_file(log));
      }
      if (std::chrono::steady_clock::now() > deadline) {
        stop();
        throw std::runtime_error("postgres did not accept connections:\n" + read_file(log));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // Fast shutdown (SIGINT): clients are disconnected, the shutdown checkpoint is written, and the
  // call returns once the postmaster has exited.
  void stop() { signal_and_reap({SIGINT, SIGQUIT, SIGKILL}); }

  // A new empty database in this cluster, for tests that need one to themselves; returns its URL.
  // `name` must be a plain lower-case identifier.
  std::string create_database(std::string_view name) {
    for (char c : name)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
        throw std::invalid_argument("create_database: not a plain identifier");
    exec_admin("CREATE DATABASE " + std::string(name));
    return url(name);
  }

  std::string server_log() const { return read_file(dir_ + "/server.log"); }

 private:
  // Each signal in turn, giving the postmaster 30 s to exit after each.
  void signal_and_reap(std::initializer_list<int> signals) {
    if (pid_ <= 0) return;
    for (int sig : signals) {
      ::kill(pid_, sig);
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (std::chrono::steady_clock::now() < deadline) {
        if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
          pid_ = -1;
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // /tmp/ringcast-pg-<our pid>-XXXXXX, owned by the server's user. /tmp rather than $TMPDIR: every
  // parent must be traversable by `postgres`.
  std::string make_directory() const {
    std::string pattern = "/tmp/ringcast-pg-" + std::to_string(::getpid()) + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    if (as_owner_ && ::chown(pattern.c_str(), uid_, gid_) != 0) {
      ::rmdir(pattern.c_str());
      throw std::runtime_error("chown " + pattern + " failed");
    }
    return pattern;
  }

  // A port taken between our probe and the server's bind shows up as an early exit: try another.
  void start_on_a_free_port() {
    for (int attempt = 0;; ++attempt) {
      port_ = free_loopback_port();
      try {
        start();
        return;
      } catch (const std::exception&) {
        if (attempt == 2) throw;
      }
    }
  }

  // The template data directory: initdb, database `ringcast`, clean shutdown. Built in our own
  // directory and renamed into place, so a concurrent fixture or a crash never leaves half of one.
  std::string ensure_template() {
    std::string major = std::filesystem::path(bin_dir_).parent_path().filename().string();
    std::string tmpl = "/tmp/ringcast-pg-template-" + major + "-" + std::to_string(::geteuid());
    if (std::filesystem::exists(tmpl + "/PG_VERSION")) return tmpl;
    run_to_completion({bin_dir_ + "/initdb", "-D", data_dir(), "-U", "postgres", "-A", "trust",
                       "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"},
                      dir_ + "/initdb.log");
    start_on_a_free_port();
    exec_admin("CREATE DATABASE ringcast");
    stop();
    if (::rename(data_dir().c_str(), tmpl.c_str()) != 0 && !std::filesystem::exists(tmpl))
      throw std::runtime_error("cannot create " + tmpl);
    std::error_code ec;
    std::filesystem::remove_all(data_dir(), ec);  // when another fixture's template won the race
    return tmpl;
  }

  static std::string find_bin_dir() {
    if (const char* env = std::getenv("RINGCAST_PG_BINDIR")) return env;
    std::string best;
    int best_version = -1;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
      auto name = e.path().filename().string();
      int version = std::atoi(name.c_str());
      if (version > best_version && std::filesystem::exists(e.path() / "bin" / "postgres")) {
        best_version = version;
        best = (e.path() / "bin").string();
      }
    }
    if (best.empty()) throw std::runtime_error("no PostgreSQL server under /usr/lib/postgresql");
    return best;
  }

  void resolve_owner() {
    as_owner_ = ::geteuid() == 0;
    if (!as_owner_) return;
    passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr) throw std::runtime_error("running as root and there is no `postgres` user");
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
  }

  // ringcast-pg-<pid>-*: the creating process is gone, so its cluster is garbage.
  static void remove_stale_directories() {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/tmp", ec)) {
      auto name = e.path().filename().string();
      constexpr std::string_view prefix = "ringcast-pg-";
      if (name.rfind(prefix, 0) != 0 || name.find("template") != std::string::npos) continue;
      pid_t owner = static_cast<pid_t>(std::atol(name.c_str() + prefix.size()));
      if (owner <= 0 || ::kill(owner, 0) == 0 || errno != ESRCH) continue;
      std::ifstream pidfile(e.path() / "data" / "postmaster.pid");
      pid_t postmaster = 0;
      if (pidfile >> postmaster && postmaster > 0 && is_postgres(postmaster))
        ::kill(postmaster, SIGQUIT);
      std::filesystem::remove_all(e.path(), ec);
    }
  }

  static bool is_postgres(pid_t pid) {
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    return std::getline(comm, name) && name == "postgres";
  }

  static std::uint16_t free_loopback_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
      ::close(fd);
      throw std::runtime_error("could not find a free port");
    }
    ::close(fd);
    return ntohs(sa.sin_port);
  }

  static std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // fork + exec with stdout and stderr appended to `log`; as the `postgres` user when we are root.
  pid_t spawn(const std::vector<std::string>& args, const std::string& log, bool die_with_us) {
    int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::runtime_error("cannot open " + log);
    if (as_owner_ && ::fchown(log_fd, uid_, gid_) != 0) {
      ::close(log_fd);
      throw std::runtime_error("chown " + log + " failed");
    }
    // Everything the child needs is prepared here: between fork and exec only system calls.
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
      ::close_range(3, ~0U, 0);  // no test socket or ring leaks into the server
      if (as_owner_ && (::setgroups(0, nullptr) != 0 || ::setgid(gid_) != 0 || ::setuid(uid_) != 0))
        ::_exit(126);
      // After setuid: a credential change clears the parent-death signal.
      if (die_with_us && (::prctl(PR_SET_PDEATHSIG, SIGQUIT) != 0 || ::getppid() != parent))
        ::_exit(125);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(log_fd);
    if (pid < 0) throw std::runtime_error("fork failed");
    return pid;
  }

  void run_to_completion(const std::vector<std::string>& args, const std::string& log) {
    pid_t pid = spawn(args, log, false);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw std::runtime_error(args[0] + " failed:\n" + read_file(log));
  }

  void exec_admin(const std::string& sql) {
    std::string conninfo =
        "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres";
    PGconn* conn = PQconnectdb(conninfo.c_str());
    std::string error;
    if (PQstatus(conn) != CONNECTION_OK) {
      error = PQerrorMessage(conn);
    } else {
      PGresult* res = PQexec(conn, sql.c_str());
      if (PQresultStatus(res) != PGRES_COMMAND_OK) error = PQresultErrorMessage(res);
      PQclear(res);
    }
    PQfinish(conn);
    if (!error.empty()) throw std::runtime_error(sql + ": " + error);
  }

  std::string bin_dir_;
  std::string dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool as_owner_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

}  // namespace ringcast::test
