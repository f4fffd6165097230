// Test support: finds processes on this machine whose command line contains
// a marker, so tests can prove that nothing they started is still running.
#pragma once

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace ipcgrade::testing {

inline std::vector<int> processes_with_marker(const std::string& marker) {
  std::vector<int> found;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) {
    return found;
  }
  while (dirent* e = ::readdir(d)) {
    int pid = std::atoi(e->d_name);
    if (pid <= 0) {
      continue;
    }
    std::ifstream in("/proc/" + std::string(e->d_name) + "/cmdline", std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    std::string cmd = s.str();
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.find(marker) != std::string::npos) {
      found.push_back(pid);
    }
  }
  ::closedir(d);
  return found;
}

}  // namespace ipcgrade::testing
