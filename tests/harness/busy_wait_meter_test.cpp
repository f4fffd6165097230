// The busy-wait meter (harness/busy_wait_meter.h) on a made-up /proc: a
// window opens only once the program has taken all its input, and it counts
// each task's runnable time over the window, never the keeper's, never a
// task it did not see at both ends.
#include "harness/busy_wait_meter.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "base/scoped_fd.h"
#include "tests/harness/fake_proc_fs.h"

using namespace ipcgrade;

namespace {

constexpr int kKeeper = 10;

// A run: the keeper, main (100) asleep, and a second task (101).
FakeProc run_tree() {
  FakeProc proc;
  proc.task(kKeeper, kKeeper, 1, "ipcgrade", 'S', "61 0x0");
  proc.task(100, 100, kKeeper, "copy", 'S', "0 0x0");
  proc.task(100, 101, kKeeper, "copy", 'R', "running");
  return proc;
}

void set_runnable(FakeProc& proc, int pid, int tid, std::uint64_t on_cpu_ns,
                  std::uint64_t queued_ns) {
  proc.files[task_dir(pid, tid) + "/schedstat"] =
      std::to_string(on_cpu_ns) + " " + std::to_string(queued_ns) + " 7\n";
}

struct Pipe {
  ScopedFd read_end, write_end;
  Pipe() {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
  }
};

}  // namespace

TEST_CASE("the busiest task's runnable time over a window is measured, the keeper's never",
          "[harness][busy_wait]") {
  FakeProc proc = run_tree();
  set_runnable(proc, kKeeper, kKeeper, 0, 0);
  set_runnable(proc, 100, 100, 1000, 0);
  set_runnable(proc, 100, 101, 5000, 0);
  Pipe stdin_pipe;
  BusyWaitMeter meter(kKeeper, stdin_pipe.write_end.get(), proc);
  REQUIRE(meter.try_open());

  set_runnable(proc, kKeeper, kKeeper, 900000000, 0);  // the keeper is not the run
  set_runnable(proc, 100, 100, 2000, 0);
  set_runnable(proc, 100, 101, 5000 + 60000000, 130000000);  // 60 ms on a CPU, 130 ms queued
  meter.close();

  const BusyWaitMeasure& m = meter.measure();
  CHECK(m.windows == 1);
  CHECK(m.busiest_pid == 100);
  CHECK(m.busiest_tid == 101);
  CHECK(m.busiest_command == "copy");
  CHECK(m.busiest_runnable_seconds == Approx(0.19));
  CHECK(m.busiest_cpu_seconds == Approx(0.06));
}

TEST_CASE("no window opens while the program still has input to take", "[harness][busy_wait]") {
  FakeProc proc = run_tree();
  set_runnable(proc, 100, 101, 0, 0);
  Pipe stdin_pipe;
  REQUIRE(::write(stdin_pipe.write_end.get(), "x", 1) == 1);
  BusyWaitMeter meter(kKeeper, stdin_pipe.write_end.get(), proc);
  CHECK_FALSE(meter.try_open());
  meter.close();  // nothing was open: nothing is counted
  CHECK(meter.measure().windows == 0);
}

TEST_CASE("a task seen at only one end of a window is not counted", "[harness][busy_wait]") {
  FakeProc proc = run_tree();
  set_runnable(proc, 100, 100, 0, 0);
  Pipe stdin_pipe;
  BusyWaitMeter meter(kKeeper, stdin_pipe.write_end.get(), proc);
  REQUIRE(meter.try_open());
  proc.task(200, 200, 100, "child", 'R', "running");  // born during the window
  set_runnable(proc, 200, 200, 500000000, 0);
  meter.close();
  CHECK(meter.measure().windows == 1);
  CHECK(meter.measure().busiest_runnable_seconds == 0);
}

TEST_CASE("without schedstat the meter falls back to CPU ticks from stat",
          "[harness][busy_wait]") {
  FakeProc proc = run_tree();  // no schedstat files at all
  Pipe stdin_pipe;
  BusyWaitMeter meter(kKeeper, stdin_pipe.write_end.get(), proc);
  REQUIRE(meter.try_open());
  // utime and stime are fields 14 and 15 of stat: 7 and 3 ticks in run_tree;
  // make task 101 gain 20 ticks.
  const std::string dir = task_dir(100, 101);
  std::string& stat = proc.files[dir + "/stat"];
  stat.replace(stat.find(" 7 3 "), 5, " 27 3 ");
  meter.close();
  const double tick = 1.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  CHECK(meter.measure().busiest_tid == 101);
  CHECK(meter.measure().busiest_runnable_seconds == Approx(20 * tick));
}
