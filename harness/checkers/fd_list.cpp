#include "harness/checkers/fd_list.h"

#include <algorithm>
#include <set>
#include <sstream>

namespace ipcgrade {

CheckVerdict check_fd_list(const CheckInput& input) {
  CheckVerdict v;
  std::set<long> fds;
  std::istringstream in{std::string(input.output)};
  std::string word;
  while (in >> word) {
    if (word.empty() || !std::all_of(word.begin(), word.end(), ::isdigit) || word.size() > 9) {
      v.ok = false;
      v.message =
          "expected the listing of /proc/self/fd (one descriptor number per line), "
          "but the output holds '" + word.substr(0, 40) + "'";
      v.evidence = std::string(input.output.substr(0, 200));
      return v;
    }
    fds.insert(std::stol(word));
  }
  std::string listed;
  for (long fd : fds) {
    listed += (listed.empty() ? "" : " ") + std::to_string(fd);
  }
  for (long want : {0L, 1L, 2L}) {
    if (fds.count(want) == 0) {
      v.ok = false;
      v.message = "the exec'd command did not have descriptor " + std::to_string(want) +
                  " open; stdin, stdout and stderr must all be open in every stage";
      v.evidence = "ls /proc/self/fd listed: " + listed;
      return v;
    }
  }
  if (fds.size() <= 4) {
    return v;  // 0, 1, 2 and ls's own directory descriptor
  }
  // The largest number is ls's own directory; every other one above 2 leaked.
  std::string leaked;
  long own = *fds.rbegin();
  for (long fd : fds) {
    if (fd > 2 && fd != own) {
      leaked += (leaked.empty() ? "" : ", ") + std::to_string(fd);
    }
  }
  v.ok = false;
  v.kind = FindingKind::kFdLeak;
  v.message =
      "the exec'd command inherited descriptor(s) " + leaked +
      " besides 0, 1 and 2. Every pipe end a stage does not use must be closed before "
      "exec (in the child after dup2, and in the parent once the children are started); "
      "a leaked write end can also keep a reader from ever seeing EOF.";
  v.evidence = "ls /proc/self/fd listed: " + listed + " (" + std::to_string(own) +
               " is ls's own directory descriptor)";
  return v;
}

}  // namespace ipcgrade
