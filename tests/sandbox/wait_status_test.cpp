#include "sandbox/wait_status.h"

#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

using namespace ipcgrade;

TEST_CASE("a wait status follows the shell's convention of 128 plus the signal", "[sandbox]") {
  CHECK(WaitStatus::Exited(3).shell_status() == 3);
  CHECK(WaitStatus::Signaled(SIGPIPE).shell_status() == 141);
  CHECK(WaitStatus::Signaled(SIGPIPE).ToString() == "killed by SIGPIPE (signal 13)");
  CHECK(WaitStatus::Exited(0).ToString() == "exited 0");
  CHECK(signal_name(SIGSEGV) == "SIGSEGV");
}

TEST_CASE("a raw waitpid status decodes into exited or killed", "[sandbox]") {
  pid_t pid = fork();
  if (pid == 0) {
    _exit(7);
  }
  int raw;
  REQUIRE(waitpid(pid, &raw, 0) == pid);
  CHECK(WaitStatus::FromRaw(raw) == WaitStatus::Exited(7));
  pid = fork();
  if (pid == 0) {
    signal(SIGTERM, SIG_DFL);  // Catch2 handles it in this copy of the test
    raise(SIGTERM);
    _exit(0);
  }
  REQUIRE(waitpid(pid, &raw, 0) == pid);
  CHECK(WaitStatus::FromRaw(raw) == WaitStatus::Signaled(SIGTERM));
}
