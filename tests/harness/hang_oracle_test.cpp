#include "harness/hang_oracle.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <set>

#include "harness/runner.h"
#include "tests/harness/fake_proc_fs.h"
#include "tests/harness/temp_dir.h"
#include "tests/support/proc_scan.h"

using namespace ipcgrade;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

constexpr int kKeeper = 10;
const GraderPipes kGraderPipes{700, 701, 702};  // stdin, stdout, stderr

const char* const kWait4Child101 = "61 0x65 0x7ffd5e0 0x0 0x0 0x0 0x0 0x7ffd5d8 0x7f00";
const char* const kReadFd0 = "0 0x0 0x7ffd000 0x20000 0x0 0x0 0x0 0x7ffd5d8 0x7f00";

// relay (100) waits for cat (101), which reads pipe 500 and holds its write
// end itself on fd 4: relay-child-keeps-write-end.
FakeProc relay_with_self_holding_cat() {
  FakeProc proc;
  proc.task(kKeeper, kKeeper, 1, "ipcgrade", 'S', "61 0x0");
  proc.task(100, 100, kKeeper, "relay", 'S', kWait4Child101);
  proc.task(101, 101, 100, "cat", 'S', kReadFd0);
  proc.fd(100, 0, "pipe:[700]", "00");
  proc.fd(100, 1, "pipe:[701]", "01");
  proc.fd(101, 0, "pipe:[500]", "00");
  proc.fd(101, 1, "pipe:[701]", "01");
  proc.fd(101, 4, "pipe:[500]", "01");
  proc.files["/proc/timer_list"] = "active timers:\n #0: <0000>, hrtimer_wakeup, S:01\n";
  return proc;
}

// Samples `n` times with unchanged counters; the last result.
std::optional<HangDiagnosis> sample_times(HangOracle& oracle, int n, bool stdin_pending = false) {
  std::optional<HangDiagnosis> d;
  for (int i = 0; i < n; ++i) {
    d = oracle.sample(10, 20, stdin_pending);
    if (d && i + 1 < n) {
      FAIL("a verdict after only " << i + 1 << " samples");
    }
  }
  return d;
}

// ---------------------------------------------------------------------------
// Real runs.

const Sandbox& test_sandbox() {
  static Sandbox s = Sandbox::probe(IPCGRADE_BINARY).value();
  return s;
}

// Compiles one C fixture in `dir`; returns its path.
std::string compile(const TempDir& dir, const std::string& name, const std::string& source) {
  dir.write(name + ".c", source);
  const std::string exe = (dir.path() / name).string();
  const std::string cmd = "cc -O0 -pthread -o " + exe + " " + exe + ".c";
  REQUIRE(std::system(cmd.c_str()) == 0);
  return exe;
}

RunResult run(std::vector<std::string> argv, const std::string& input = "",
              std::chrono::milliseconds wall = std::chrono::milliseconds(5000)) {
  RunRequest r;
  r.argv = std::move(argv);
  r.cwd = "/tmp";
  r.env = default_environment("/tmp");
  r.stdin_data = input;
  r.limits.wall = wall;
  Result<RunResult> res = run_sandboxed(test_sandbox(), r);
  REQUIRE(res.ok());
  return res.value();
}

const char* const kSelfHoldingReader = R"(
// Reads its own pipe while it holds the write end: it never sees EOF.
#include <unistd.h>
int main(void) {
  int p[2];
  if (pipe(p) != 0) return 1;
  char c;
  return (int)read(p[0], &c, 1);
}
)";

const char* const kParentKeepsWriteEnd = R"(
// The parent forks cat on the pipe's read end, keeps the write end open and
// waits: cat waits for an EOF that the waiting parent holds back.
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int p[2];
  if (argc < 2 || pipe(p) != 0) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(p[0], 0);
    close(p[0]);
    close(p[1]);
    execlp("cat", argv[1], (char *)0);
    _exit(127);
  }
  close(p[0]);
  printf("%d %d\n", (int)pid, p[1]);
  fflush(stdout);
  waitpid(pid, 0, 0);
  return 0;
}
)";

const char* const kWriterWaitedFor = R"(
// The child fills the pipe; the parent holds the read end, never reads, and
// waits for the child: neither can go on.
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
  int p[2];
  if (pipe(p) != 0) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    static char buf[65536];
    close(p[0]);
    for (;;) {
      if (write(p[1], buf, sizeof buf) < 0) _exit(1);
    }
  }
  close(p[1]);
  waitpid(pid, 0, 0);
  return 0;
}
)";

const char* const kLockOrder = R"(
// Two threads take two mutexes in opposite orders, and main joins them.
#include <pthread.h>
static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;
static void *ab(void *x) {
  pthread_mutex_lock(&a);
  pthread_barrier_wait(&both_hold_one);
  pthread_mutex_lock(&b);
  return x;
}
static void *ba(void *x) {
  pthread_mutex_lock(&b);
  pthread_barrier_wait(&both_hold_one);
  pthread_mutex_lock(&a);
  return x;
}
int main(void) {
  pthread_t t1, t2;
  pthread_barrier_init(&both_hold_one, 0, 2);
  pthread_create(&t1, 0, ab, 0);
  pthread_create(&t2, 0, ba, 0);
  pthread_join(t1, 0);
  pthread_join(t2, 0);
  return 0;
}
)";

const char* const kAlarmThenPause = R"(
// Waits in pause() for its own alarm: ends by itself after a second.
#include <signal.h>
#include <unistd.h>
static void on_alarm(int sig) { (void)sig; }
int main(void) {
  signal(SIGALRM, on_alarm);
  alarm(1);
  pause();
  return write(1, "woke\n", 5) == 5 ? 0 : 1;
}
)";

const char* const kPollsAPipe = R"(
// Waits with poll, select or epoll, no timeout, on a pipe whose write end
// it holds itself, and with "timer" also on a timerfd that fires in 1 s.
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/timerfd.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int p[2];
  if (argc < 3 || pipe(p) != 0) return 1;
  int fds[2] = {p[0], -1}, n = 1;
  if (strcmp(argv[2], "timer") == 0) {
    struct itimerspec in_a_second = {{0, 0}, {1, 0}};
    fds[1] = timerfd_create(CLOCK_MONOTONIC, 0);
    timerfd_settime(fds[1], 0, &in_a_second, 0);
    n = 2;
  }
  if (strcmp(argv[1], "poll") == 0) {
    struct pollfd set[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
    return poll(set, n, -1) == 1 ? 0 : 1;
  }
  if (strcmp(argv[1], "select") == 0) {
    fd_set set;
    FD_ZERO(&set);
    for (int i = 0; i < n; i++) FD_SET(fds[i], &set);
    return select(fds[n - 1] + 1, &set, 0, 0, 0) == 1 ? 0 : 1;
  }
  int ep = epoll_create1(0);
  for (int i = 0; i < n; i++) {
    struct epoll_event ev = {EPOLLIN, {.fd = fds[i]}};
    epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
  }
  struct epoll_event got;
  return epoll_wait(ep, &got, 1, -1) == 1 ? 0 : 1;
}
)";

const BlockedTask* task_calling(const HangDiagnosis& d, const std::string& prefix) {
  for (const BlockedTask& t : d.tasks) {
    if (t.blocking_call.compare(0, prefix.size(), prefix) == 0) {
      return &t;
    }
  }
  return nullptr;
}

}  // namespace

// ---------------------------------------------------------------------------
// Rules, on a made-up /proc.

TEST_CASE("only waits that nothing but the run can end are indefinite", "[harness][hang]") {
  using W = HangOracle::WaitKind;
  auto [nr, a1, a2, a3, a4, expected] =
      GENERATE(table<long, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, W>({
          {0, 0, 0, 0, 0, W::kPipeRead},                // read
          {1, 0, 0, 0, 0, W::kPipeWrite},               // write
          {61, 0, 0, 0, 0, W::kChildWait},              // wait4
          {61, 0, 1, 0, 0, W::kNotIndefinite},          // wait4 WNOHANG
          {34, 0, 0, 0, 0, W::kSignalWait},             // pause
          {130, 0, 0, 0, 0, W::kSignalWait},            // rt_sigsuspend
          {128, 0, 0, 0, 0, W::kSignalWait},            // sigwaitinfo
          {128, 0, 0x7ffd, 0, 0, W::kNotIndefinite},    // sigtimedwait with a timeout
          {202, 128, 0, 0, 0, W::kFutex},               // FUTEX_WAIT_PRIVATE, no timeout
          {202, 128 + 9, 0, 0, 0, W::kFutex},           // FUTEX_WAIT_BITSET_PRIVATE
          {202, 128, 0, 0x7ffd, 0, W::kNotIndefinite},  // FUTEX_WAIT with a timeout
          {202, 128 + 1, 0, 0, 0, W::kNotIndefinite},   // FUTEX_WAKE
          {65, 0, 0, 0, 0, W::kSemaphore},              // semop
          {220, 0, 0, 0x7ffd, 0, W::kNotIndefinite},    // semtimedop with a timeout
          {7, 0, 0xffffffff, 0, 0, W::kPoll},           // poll(..., -1)
          {7, 0, 1000, 0, 0, W::kNotIndefinite},        // poll(..., 1000)
          {23, 0, 0, 0, 0, W::kPoll},                   // select, no timeout
          {23, 0, 0, 0, 0x7ffd, W::kNotIndefinite},     // select with a timeout
          {232, 0, 0, 0xffffffff, 0, W::kPoll},         // epoll_wait(-1)
          {232, 0, 0, 0, 0, W::kNotIndefinite},         // epoll_wait(0)
          {35, 0, 0, 0, 0, W::kNotIndefinite},          // nanosleep
          {230, 0, 0, 0, 0, W::kNotIndefinite},         // clock_nanosleep
          {0x40000000, 0, 0, 0, 0, W::kNotIndefinite},  // x32 read
          {45, 0, 0, 0, 0, W::kNotIndefinite},          // recvfrom (a socket)
      }));
  CAPTURE(nr, a1, a2, a3, a4);
  // The columns are args[1], args[2], args[3], args[4]; args[0] is 0.
  const std::uint64_t args[6] = {0, a1, a2, a3, a4, 0};
  CHECK(classify_syscall(nr, args) == expected);
}

TEST_CASE("a reader holding its own write end is an eof-hang after four unchanged samples",
          "[harness][hang]") {
  FakeProc proc = relay_with_self_holding_cat();
  HangOracle oracle(kKeeper, kGraderPipes, proc);
  std::optional<HangDiagnosis> d = sample_times(oracle, HangOracle::kStableSamples);
  REQUIRE(d);
  CHECK(d->kind == FindingKind::kEofHang);
  REQUIRE(d->holders.size() == 1);
  CHECK(d->holders[0].pid == 101);
  CHECK(d->holders[0].fd == 4);
  CHECK(d->holders[0].is_reader_itself);
  CHECK(d->holders[0].pipe_inode == 500);
  CHECK(d->summary == "cat (pid 101) itself, on fd 4");
  CHECK_THAT(d->evidence, Contains("pid 101 (cat) blocked in read(fd 0 → pipe:[500]); write end "
                                   "held by: pid 101 (cat) fd 4 [the reader itself]"));
  CHECK_THAT(d->evidence, Contains("pid 100 (relay) wait4(101) for child 101"));
  REQUIRE(d->tasks.size() == 2);
  CHECK(d->tasks[1].wchan == "anon_pipe_read");
}

TEST_CASE("a parent that waits while holding the write end is named as the holder",
          "[harness][hang]") {
  FakeProc proc = relay_with_self_holding_cat();
  proc.links.erase("/proc/101/fd/4");
  proc.fd(100, 5, "pipe:[500]", "0100001");  // O_WRONLY | O_LARGEFILE
  HangOracle oracle(kKeeper, kGraderPipes, proc);
  std::optional<HangDiagnosis> d = sample_times(oracle, HangOracle::kStableSamples);
  REQUIRE(d);
  CHECK(d->kind == FindingKind::kEofHang);
  REQUIRE(d->holders.size() == 1);
  CHECK(d->holders[0].pid == 100);
  CHECK(d->holders[0].fd == 5);
  CHECK_FALSE(d->holders[0].is_reader_itself);
  CHECK(d->summary == "relay (pid 100), on fd 5");
}

TEST_CASE("without children files the tree is found by parent pid", "[harness][hang]") {
  FakeProc proc = relay_with_self_holding_cat();
  for (auto it = proc.files.begin(); it != proc.files.end();) {
    bool children =
        it->first.size() > 9 && it->first.compare(it->first.size() - 9, 9, "/children") == 0;
    it = children ? proc.files.erase(it) : std::next(it);
  }
  HangOracle oracle(kKeeper, kGraderPipes, proc);
  CHECK_FALSE(oracle.sample(10, 20, false));
  CHECK_THAT(oracle.last_reason(), Contains("children"));
  std::optional<HangDiagnosis> d = sample_times(oracle, HangOracle::kStableSamples);
  REQUIRE(d);
  CHECK(d->kind == FindingKind::kEofHang);
  CHECK(d->tasks.size() == 2);
}

TEST_CASE("a context switch or grader progress between samples starts the count again",
          "[harness][hang]") {
  FakeProc proc = relay_with_self_holding_cat();
  HangOracle oracle(kKeeper, kGraderPipes, proc);
  CHECK_FALSE(sample_times(oracle, HangOracle::kStableSamples - 1));
  std::uint64_t stdin_written = 10, output_received = 20;
  SECTION("the reader woke up and slept again") { proc.set_switches(101, 101, 6); }
  SECTION("output arrived") { output_received = 21; }
  SECTION("stdin was taken") { stdin_written = 11; }
  for (int i = 1; i < HangOracle::kStableSamples; ++i) {
    CHECK_FALSE(oracle.sample(stdin_written, output_received, false));
  }
  CHECK(oracle.sample(stdin_written, output_received, false));
}

TEST_CASE("a task that is running, in D or stopped is never a hang", "[harness][hang]") {
  char state = GENERATE('R', 'D', 'T', 't');
  CAPTURE(state);
  FakeProc proc = relay_with_self_holding_cat();
  proc.task(100, 100, kKeeper, "relay", state, kWait4Child101);
  proc.files["/proc/" + std::to_string(kKeeper) + "/task/10/children"] = "100 ";
  HangOracle oracle(kKeeper, kGraderPipes, proc);
  CHECK_FALSE(sample_times(oracle, 3 * HangOracle::kStableSamples));
}

TEST_CASE("timed waits, sleeps and waits on anything but a pipe are never a hang",
          "[harness][hang]") {
  std::string call = GENERATE(as<std::string>(),
                              "35 0x7ffd 0x0 0x0 0x0 0x0 0x0 0x7ffd 0x7f",       // nanosleep
                              "202 0x7f00 0x80 0x0 0x7ffd 0x0 0x0 0x7ffd 0x7f",  // futex, timeout
                              "0 0x3 0x7ffd 0x1 0x0 0x0 0x0 0x7ffd 0x7f",        // read fd 3
                              "running", "-1 0x7ffd 0x7f");
  CAPTURE(call);
  FakeProc proc = relay_with_self_holding_cat();
  proc.files["/proc/101/task/101/syscall"] = call;
  proc.fd(101, 3, "socket:[900]", "02");
  HangOracle oracle(kKeeper, kGraderPipes, proc);
  CHECK_FALSE(sample_times(oracle, 3 * HangOracle::kStableSamples));
}

TEST_CASE("a write the grader will read is never a hang", "[harness][hang]") {
  FakeProc proc = relay_with_self_holding_cat();
  proc.files["/proc/101/task/101/syscall"] = "1 0x1 0x7ffd 0x10000 0x0 0x0 0x0 0x7ffd 0x7f";
  HangOracle oracle(kKeeper, kGraderPipes, proc);
  CHECK_FALSE(sample_times(oracle, 3 * HangOracle::kStableSamples));
  CHECK_THAT(oracle.last_reason(), Contains("writes to the grader"));
}

TEST_CASE("a read of stdin is a hang only once the grader has closed its end", "[harness][hang]") {
  FakeProc proc = relay_with_self_holding_cat();
  proc.fd(101, 0, "pipe:[700]", "00");  // cat reads the run's stdin...
  proc.fd(101, 4, "pipe:[700]", "01");  // ...and holds a write end of it
  HangOracle oracle(kKeeper, kGraderPipes, proc);
  CHECK_FALSE(sample_times(oracle, 3 * HangOracle::kStableSamples, /*stdin_pending=*/true));
  CHECK_THAT(oracle.last_reason(), Contains("the grader is still writing"));
  std::optional<HangDiagnosis> d = sample_times(oracle, HangOracle::kStableSamples, false);
  REQUIRE(d);
  CHECK(d->kind == FindingKind::kEofHang);
}

TEST_CASE("an alarm armed anywhere on the machine vetoes the verdict", "[harness][hang]") {
  FakeProc proc = relay_with_self_holding_cat();
  SECTION("an alarm() or interval timer") {
    proc.files["/proc/timer_list"] += " #1: <0001>, it_real_fn, S:01\n";
  }
  SECTION("a POSIX timer of the run") {
    proc.files["/proc/timer_list"] += " #1: <0001>, posix_timer_fn, S:01\n";
    proc.files["/proc/100/timers"] = "ID: 0\nsignal: 14/0000000000000000\nClockID: 1\n";
  }
  SECTION("no way to tell") { proc.files.erase("/proc/timer_list"); }
  HangOracle oracle(kKeeper, kGraderPipes, proc);
  CHECK_FALSE(sample_times(oracle, 3 * HangOracle::kStableSamples));
  CHECK_THAT(oracle.last_reason(), Contains("not confirmed"));
}

TEST_CASE("what the samples cannot explain vetoes the verdict", "[harness][hang]") {
  FakeProc proc = relay_with_self_holding_cat();
  SECTION("a 32-bit program") { proc.files["/proc/101/exe"][4] = 1; }
  SECTION("a reader whose pipe has no write end in the run") { proc.links.erase("/proc/101/fd/4"); }
  SECTION("a process the children files do not show") {
    proc.files["/proc/102/stat"] =
        "102 (hidden) R 100 1 1 0 -1 4194304 100 0 0 0 7 3 0 0 20 0 1 0 12345 2990080 421";
  }
  HangOracle oracle(kKeeper, kGraderPipes, proc);
  CHECK_FALSE(sample_times(oracle, 3 * HangOracle::kStableSamples));
  CHECK_THAT(oracle.last_reason(), Contains("not confirmed"));
}

TEST_CASE("a writer on a full pipe whose only reader waits for it is a deadlock",
          "[harness][hang]") {
  FakeProc proc = relay_with_self_holding_cat();
  proc.files["/proc/101/task/101/syscall"] = "1 0x1 0x7ffd 0x10000 0x0 0x0 0x0 0x7ffd 0x7f";
  proc.fd(101, 1, "pipe:[501]", "01");
  proc.fd(100, 3, "pipe:[501]", "00");
  HangOracle oracle(kKeeper, kGraderPipes, proc);
  std::optional<HangDiagnosis> d = sample_times(oracle, HangOracle::kStableSamples);
  REQUIRE(d);
  CHECK(d->kind == FindingKind::kDeadlock);
  CHECK(d->holders.empty());
  CHECK_THAT(d->summary, StartsWith("cat (pid 101) waits to write into a full pipe (pipe:[501]) "
                                    "whose read end is open only in relay (pid 100)"));
  CHECK_THAT(d->evidence, Contains("pid 101 (cat) write(fd 1 → pipe:[501]) on a full pipe"));
}

// ---------------------------------------------------------------------------
// Real runs under the sandbox.

TEST_CASE("a reader that holds its own write end is reported as an eof-hang naming itself",
          "[harness][hang]") {
  TempDir dir;
  RunResult r = run({compile(dir, "selfhold", kSelfHoldingReader), "hang-marker-4250"});
  REQUIRE(r.ending == RunResult::Ending::kHang);
  REQUIRE(r.hang);
  CHECK(r.hang->kind == FindingKind::kEofHang);
  REQUIRE(r.hang->holders.size() == 1);
  CHECK(r.hang->holders[0].pid == r.keeper.main_pid);
  CHECK(r.hang->holders[0].fd == 4);
  CHECK(r.hang->holders[0].is_reader_itself);
  CHECK(r.hang->holders[0].command == "selfhold");
  REQUIRE(r.hang->tasks.size() == 1);
  CHECK(r.hang->tasks[0].state == 'S');
  CHECK(r.hang->tasks[0].syscall_nr == 0);
  CHECK_THAT(r.hang->tasks[0].blocking_call, StartsWith("read(fd 3 → pipe:["));
  CHECK(r.keeper.stopped_on_request);
  CHECK(testing::processes_with_marker("hang-marker-4250").empty());
}

TEST_CASE("the hang verdict arrives well within a second of the hang forming", "[harness][hang]") {
  TempDir dir;
  RunResult r = run({compile(dir, "selfhold", kSelfHoldingReader), "hang-marker-4256"});
  CHECK(r.ending == RunResult::Ending::kHang);
  CHECK(r.wall_seconds < 1.5);  // a loose bound, not a benchmark
  CHECK(testing::processes_with_marker("hang-marker-4256").empty());
}

TEST_CASE("a parent that keeps the write end while its child cat waits is named with its fd",
          "[harness][hang]") {
  TempDir dir;
  RunResult r = run({compile(dir, "parent_keeps", kParentKeepsWriteEnd), "cat-hang-marker-4251"});
  REQUIRE(r.ending == RunResult::Ending::kHang);
  REQUIRE(r.hang);
  CHECK(r.hang->kind == FindingKind::kEofHang);
  int cat_pid = 0, write_fd = 0;
  REQUIRE(std::sscanf(r.stdout_data.c_str(), "%d %d", &cat_pid, &write_fd) == 2);
  REQUIRE(r.hang->holders.size() == 1);
  CHECK(r.hang->holders[0].pid == r.keeper.main_pid);
  CHECK(r.hang->holders[0].fd == write_fd);
  CHECK(r.hang->holders[0].command == "parent_keeps");
  CHECK_FALSE(r.hang->holders[0].is_reader_itself);
  const BlockedTask* reader = task_calling(*r.hang, "read(fd 0 → pipe:[");
  REQUIRE(reader != nullptr);
  CHECK(reader->pid == cat_pid);
  CHECK(reader->command == "cat");
  const BlockedTask* parent = task_calling(*r.hang, "wait4(");
  REQUIRE(parent != nullptr);
  CHECK(parent->pid == r.keeper.main_pid);
  CHECK_THAT(r.hang->evidence,
             Contains("write end held by: pid " + std::to_string(r.keeper.main_pid) +
                      " (parent_keeps) fd " + std::to_string(write_fd)));
  CHECK(testing::processes_with_marker("cat-hang-marker-4251").empty());
}

TEST_CASE("a writer on a full pipe and a parent waiting for it are reported as a deadlock",
          "[harness][hang]") {
  TempDir dir;
  RunResult r = run({compile(dir, "writer", kWriterWaitedFor), "hang-marker-4252"});
  REQUIRE(r.ending == RunResult::Ending::kHang);
  REQUIRE(r.hang);
  CHECK(r.hang->kind == FindingKind::kDeadlock);
  const BlockedTask* writer = task_calling(*r.hang, "write(fd 4 → pipe:[");
  REQUIRE(writer != nullptr);
  CHECK_THAT(writer->blocking_call, Contains("on a full pipe"));
  CHECK(task_calling(*r.hang, "wait4(" + std::to_string(writer->pid) + ")") != nullptr);
  CHECK_THAT(r.hang->summary, Contains("waits to write into a full pipe"));
  CHECK(testing::processes_with_marker("hang-marker-4252").empty());
}

TEST_CASE("two threads taking two mutexes in opposite orders are reported as a deadlock",
          "[harness][hang]") {
  TempDir dir;
  RunResult r = run({compile(dir, "lockorder", kLockOrder), "hang-marker-4257"});
  REQUIRE(r.ending == RunResult::Ending::kHang);
  REQUIRE(r.hang);
  CHECK(r.hang->kind == FindingKind::kDeadlock);
  REQUIRE(r.hang->tasks.size() == 3);
  for (const BlockedTask& t : r.hang->tasks) {
    CHECK(t.pid == r.keeper.main_pid);
    CHECK_THAT(t.blocking_call, StartsWith("futex"));
  }
  CHECK(testing::processes_with_marker("hang-marker-4257").empty());
}

TEST_CASE("poll, select and epoll without timeout are a hang only over pipes", "[harness][hang]") {
  std::string how = GENERATE(as<std::string>(), "poll", "select", "epoll");
  CAPTURE(how);
  TempDir dir;
  const std::string exe = compile(dir, "polls", kPollsAPipe);
  SECTION("a pipe only the waiting process could write: a deadlock") {
    RunResult r = run({exe, how, "pipe-hang-marker-4259"});
    REQUIRE(r.ending == RunResult::Ending::kHang);
    REQUIRE(r.hang);
    CHECK(r.hang->kind == FindingKind::kDeadlock);
    REQUIRE(r.hang->tasks.size() == 1);
    CHECK_THAT(r.hang->tasks[0].blocking_call, Contains("fds 3 → pipe:["));
    CHECK_THAT(r.hang->tasks[0].blocking_call, Contains("no timeout"));
  }
  SECTION("a timerfd among the descriptors: not a hang") {
    RunResult r = run({exe, how, "timer"});
    CHECK(r.ending == RunResult::Ending::kExited);
    CHECK_FALSE(r.hang);
    REQUIRE(r.keeper.status.has_value());
    CHECK(*r.keeper.status == WaitStatus::Exited(0));
  }
  CHECK(testing::processes_with_marker("pipe-hang-marker-4259").empty());
}

TEST_CASE("a timed sleep is not a hang", "[harness][hang]") {
  RunResult r = run({"/bin/sleep", "2.000004253"});
  CHECK(r.ending == RunResult::Ending::kExited);
  CHECK_FALSE(r.hang);
  REQUIRE(r.keeper.status.has_value());
  CHECK(*r.keeper.status == WaitStatus::Exited(0));
  CHECK(r.wall_seconds >= 2.0);
}

TEST_CASE("a program waiting in pause() for its own alarm is not a hang", "[harness][hang]") {
  TempDir dir;
  RunResult r = run({compile(dir, "alarm", kAlarmThenPause), "hang-marker-4258"});
  CHECK(r.ending == RunResult::Ending::kExited);
  CHECK_FALSE(r.hang);
  CHECK(r.stdout_data == "woke\n");
}

TEST_CASE("readers waiting while the grader feeds stdin slowly in chunks are not a hang",
          "[harness][hang]") {
  // Each pause is longer than a verdict takes: only the stdin rule stops one.
  RunRequest req;
  req.argv = {"/bin/sh", "-c", "cat | cat # hang-marker-4254"};
  req.cwd = "/tmp";
  req.env = default_environment("/tmp");
  req.stdin_data = "slow input, eight bytes at a time";
  req.stdin_chunk = 8;
  req.stdin_pause = std::chrono::milliseconds(700);
  req.limits.wall = std::chrono::milliseconds(8000);
  Result<RunResult> r = run_sandboxed(test_sandbox(), req);
  REQUIRE(r.ok());
  CHECK(r->ending == RunResult::Ending::kExited);
  CHECK_FALSE(r->hang);
  CHECK(r->stdout_data == req.stdin_data);
  CHECK(r->wall_seconds >= 2.0);
  CHECK(testing::processes_with_marker("hang-marker-4254").empty());
}

TEST_CASE("a busy loop is not a hang", "[harness][hang]") {
  RunResult r = run({"/bin/sh", "-c", "while :; do :; done # hang-marker-4255"}, "",
                    std::chrono::milliseconds(1000));
  CHECK(r.ending == RunResult::Ending::kTimedOut);
  CHECK_FALSE(r.hang);
  CHECK(testing::processes_with_marker("hang-marker-4255").empty());
}

// ---------------------------------------------------------------------------
// Pids in the run's own PID namespace (the full isolation tier), on a
// made-up /proc whose status files carry two ids per NSpid line.

namespace {

// relay_with_self_holding_cat() as the full tier runs it: the keeper is pid
// 1 of the run, relay 2 and cat 3, and relay waits for child 3.
FakeProc namespaced_relay_with_self_holding_cat() {
  FakeProc proc;
  proc.inner_pids = {{kKeeper, 1}, {100, 2}, {101, 3}};
  proc.task(kKeeper, kKeeper, 1, "ipcgrade", 'S', "61 0x0");
  proc.task(100, 100, kKeeper, "relay", 'S', "61 0x3 0x7ffd5e0 0x0 0x0 0x0 0x0 0x7ffd5d8 0x7f00");
  proc.task(101, 101, 100, "cat", 'S', kReadFd0);
  proc.fd(100, 0, "pipe:[700]", "00");
  proc.fd(100, 1, "pipe:[701]", "01");
  proc.fd(101, 0, "pipe:[500]", "00");
  proc.fd(101, 1, "pipe:[701]", "01");
  proc.fd(101, 4, "pipe:[500]", "01");
  proc.files["/proc/timer_list"] = "active timers:\n #0: <0000>, hrtimer_wakeup, S:01\n";
  return proc;
}

}  // namespace

TEST_CASE("an NSpid line gives one id per PID namespace, outermost first", "[harness][hang]") {
  CHECK(namespace_ids("Name:\tcat\nNSpid:\t4711\t3\nNSpgid:\t4700\t1\n", "NSpid") ==
        std::vector<int>{4711, 3});
  CHECK(namespace_ids("NStgid:\t4711\nNSpid:\t4712\n", "NStgid") == std::vector<int>{4711});
  CHECK(namespace_ids("Name:\tcat\nNSpid:\t4711\t3\n", "NStgid").empty());
  CHECK(namespace_ids("Name:\tcat\nNSpid:\t47x11\n", "NSpid").empty());
}

TEST_CASE("in a PID namespace the diagnosis names tasks and holders by the run's own pids",
          "[harness][hang]") {
  FakeProc proc = namespaced_relay_with_self_holding_cat();
  HangOracle oracle(kKeeper, kGraderPipes, proc);
  std::optional<HangDiagnosis> d = sample_times(oracle, HangOracle::kStableSamples);
  REQUIRE(d);
  CHECK(d->kind == FindingKind::kEofHang);
  REQUIRE(d->holders.size() == 1);
  CHECK(d->holders[0].pid == 3);
  CHECK(d->holders[0].fd == 4);
  CHECK(d->holders[0].is_reader_itself);
  CHECK(d->summary == "cat (pid 3) itself, on fd 4");
  REQUIRE(d->tasks.size() == 2);
  CHECK(d->tasks[0].pid == 2);
  CHECK(d->tasks[0].tid == 2);
  CHECK(d->tasks[1].pid == 3);
  CHECK(d->tasks[1].tid == 3);
  CHECK_THAT(d->evidence, Contains("pid 3 (cat) blocked in read(fd 0 → pipe:[500]); write end "
                                   "held by: pid 3 (cat) fd 4 [the reader itself]"));
  CHECK_THAT(d->evidence, Contains("pid 2 (relay) wait4(3) for child 3 (cat)"));
  CHECK_THAT(d->evidence, !Contains("pid 100") && !Contains("pid 101"));
}

TEST_CASE("a wait for a child is matched by the run's pid even where a host pid is the same",
          "[harness][hang]") {
  // relay is host 100 and cat host 101, but in the run cat is 100: relay's
  // wait4(100) waits for cat, not for relay's own host number.
  FakeProc proc;
  proc.inner_pids = {{kKeeper, 1}, {100, 2}, {101, 100}};
  proc.task(kKeeper, kKeeper, 1, "ipcgrade", 'S', "61 0x0");
  proc.task(100, 100, kKeeper, "relay", 'S', "61 0x64 0x7ffd5e0 0x0 0x0 0x0 0x0 0x7ffd5d8 0x7f00");
  proc.task(101, 101, 100, "cat", 'S', kReadFd0);
  proc.fd(100, 5, "pipe:[500]", "01");
  proc.fd(101, 0, "pipe:[500]", "00");
  proc.files["/proc/timer_list"] = "active timers:\n";
  HangOracle oracle(kKeeper, kGraderPipes, proc);
  std::optional<HangDiagnosis> d = sample_times(oracle, HangOracle::kStableSamples);
  REQUIRE(d);
  CHECK(d->kind == FindingKind::kEofHang);
  CHECK(d->summary == "relay (pid 2), on fd 5");
  const BlockedTask* relay = task_calling(*d, "wait4(");
  REQUIRE(relay != nullptr);
  CHECK(relay->pid == 2);
  CHECK(relay->blocking_call == "wait4(100) for child 100 (cat)");
}

TEST_CASE("threads in a PID namespace are named by their tids in the run's namespace",
          "[harness][hang]") {
  // lockorder (host 101, run 3) has a second thread (host 105, run 4); both
  // wait on futexes with no timeout.
  const char* const kFutexWait = "202 0x7f0010 0x80 0x2 0x0 0x0 0x0 0x7ffd5d8 0x7f00";
  FakeProc proc;
  proc.inner_pids = {{kKeeper, 1}, {101, 3}, {105, 4}};
  proc.task(kKeeper, kKeeper, 1, "ipcgrade", 'S', "61 0x0");
  proc.task(101, 101, kKeeper, "lockorder", 'S', kFutexWait);
  proc.task(101, 105, kKeeper, "lockorder", 'S', kFutexWait);
  std::string& stat = proc.files["/proc/101/task/101/stat"];
  stat.replace(stat.find(" 20 0 1 0 "), 10, " 20 0 2 0 ");  // num_threads
  proc.files["/proc/101/stat"] = stat;
  proc.fd(101, 1, "pipe:[701]", "01");
  proc.files["/proc/timer_list"] = "active timers:\n";
  HangOracle oracle(kKeeper, kGraderPipes, proc);
  std::optional<HangDiagnosis> d = sample_times(oracle, HangOracle::kStableSamples);
  INFO(oracle.last_reason());
  REQUIRE(d);
  CHECK(d->kind == FindingKind::kDeadlock);
  REQUIRE(d->tasks.size() == 2);
  CHECK(d->tasks[0].pid == 3);
  CHECK(d->tasks[0].tid == 3);
  CHECK(d->tasks[1].pid == 3);
  CHECK(d->tasks[1].tid == 4);
  CHECK_THAT(d->summary, Contains("(lockorder (pid 3): futex wait at 0x7f0010"));
  CHECK_THAT(d->evidence, Contains("pid 3 tid 4 (lockorder) futex wait at 0x7f0010"));
}

TEST_CASE("a task of a namespaced run whose pid there cannot be read vetoes the verdict",
          "[harness][hang]") {
  FakeProc proc = namespaced_relay_with_self_holding_cat();
  std::string& status = proc.files["/proc/101/task/101/status"];
  status.replace(status.find("NSpid:\t101\t3"), 12, "NSpid:\t101");
  HangOracle oracle(kKeeper, kGraderPipes, proc);
  CHECK_FALSE(sample_times(oracle, 3 * HangOracle::kStableSamples));
  CHECK_THAT(oracle.last_reason(), Contains("in the run's namespace"));
}

TEST_CASE("without a PID namespace the diagnosis keeps the pids of /proc", "[harness][hang]") {
  FakeProc proc = relay_with_self_holding_cat();
  REQUIRE_THAT(proc.files["/proc/101/task/101/status"], Contains("NSpid:\t101\n"));
  HangOracle oracle(kKeeper, kGraderPipes, proc);
  std::optional<HangDiagnosis> d = sample_times(oracle, HangOracle::kStableSamples);
  REQUIRE(d);
  REQUIRE(d->tasks.size() == 2);
  CHECK(d->tasks[0].pid == 100);
  CHECK(d->tasks[1].pid == 101);
  CHECK_THAT(d->evidence, Contains("pid 100 (relay) wait4(101) for child 101 (cat)"));
}
