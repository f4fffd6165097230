// fd-list: judges the output of `ls /proc/self/fd` run as a stage of a
// student's program. A correct program hands the exec'd command exactly
// descriptors 0, 1 and 2; ls itself opens one more (the lowest free number,
// the largest listed) to read the directory. Anything else leaked in.
#pragma once

#include "harness/checkers/checker.h"

namespace ipcgrade {

CheckVerdict check_fd_list(const CheckInput& input);

}  // namespace ipcgrade
