// Dependencies point one way (DESIGN.md): persistence -> reactor, never protocol or broker. The
// persistence sources include nothing of those layers and its library links only the reactor
// (and libpq), so a forbidden include fails here before it can creep into the build.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(layering, persistence_includes_nothing_from_protocol_broker_or_server) {
  const std::filesystem::path dir = std::filesystem::path(RINGCAST_SOURCE_DIR) / "persistence";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto ext = entry.path().extension();
    if (ext != ".h" && ext != ".cc") continue;
    ++files;
    std::istringstream text(read_all(entry.path()));
    std::string line;
    for (int n = 1; std::getline(text, line); ++n) {
      if (line.rfind("#include", 0) != 0) continue;
      for (const char* layer : {"\"protocol/", "\"broker/", "\"server/"})
        EXPECT_EQ(line.find(layer), std::string::npos) << entry.path().filename().string() << ":" << n << ": " << line;
    }
  }
  EXPECT_GT(files, 5);
}

TEST(layering, the_persistence_library_links_only_the_reactor_and_libpq) {
  const std::string cmake = read_all(std::filesystem::path(RINGCAST_SOURCE_DIR) / "persistence" / "CMakeLists.txt");
  const auto at = cmake.find("ringcast_layer(ringcast_persistence");
  ASSERT_NE(at, std::string::npos);
  const std::string call = cmake.substr(at, cmake.find(')', at) - at);
  EXPECT_NE(call.find("ringcast_reactor"), std::string::npos) << call;
  EXPECT_NE(call.find("PostgreSQL::PostgreSQL"), std::string::npos) << call;
  for (const char* layer : {"ringcast_protocol", "ringcast_broker", "ringcast_server"})
    EXPECT_EQ(call.find(layer), std::string::npos) << call;
}

}  // namespace
