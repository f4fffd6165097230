#include "harness/checkers/checker.h"

#include "harness/checkers/fd_list.h"

namespace ipcgrade {

const std::vector<Checker>& all_checkers() {
  static const std::vector<Checker> checkers = {
      {"fd-list",
       "`ls /proc/self/fd` output: only 0, 1, 2 and ls's own directory "
       "descriptor; any other number is a leaked descriptor (fd-leak)",
       &check_fd_list},
  };
  return checkers;
}

const Checker* find_checker(std::string_view name) {
  for (const Checker& c : all_checkers()) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

}  // namespace ipcgrade
