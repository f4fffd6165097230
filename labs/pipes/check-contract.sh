#!/usr/bin/env bash
# check-contract.sh: proves, without the grader, that the pipes lab's
# reference solution keeps the contract (shared/lab-contracts.md, `pipes`)
# and that every buggy variant misbehaves the way its variant.yaml says.
#
# Theory of operation. Everything happens in one temporary directory,
# removed on exit. Two small C helpers are built there first:
#
#   run      starts one program the way the grader does (only fds 0-2 open,
#            env PATH/LC_ALL/HOME only, its own process group), as a child
#            subreaper, with a wall limit. When the program ends it lists
#            what it left behind (zombies, orphans, then kills and reaps
#            them); when the limit passes it writes a hang diagnosis (which
#            process is blocked in which call on which pipe, and who holds
#            that pipe's other ends), kills the whole group and reaps it.
#   fault.so an LD_PRELOAD shim for fault runs: FAULT_MODE=short makes
#            read()/write() on pipes move fewer bytes than asked;
#            FAULT_MODE=eintr makes them, and blocking waitpid(), fail with
#            EINTR now and then. It touches direct calls only (not stdio's).
#
# Then the solution and each variant are copied, built with `make`, and run
# on the lab's key scenarios. Every program run is bounded (run's own limit,
# and `timeout -s KILL` around it); nothing is left running.
#
# Usage: labs/pipes/check-contract.sh [VARIANT...]   (no argument: all)
# Exit status 0 when the solution holds every point and every variant shows
# its declared misbehaviour; 1 otherwise.
set -u

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/pipes-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0
hang_ms=2000   # a hanging variant is diagnosed after this long

# ------------------------------------------------------------ the helpers
cat >"$work/run.c" <<'EOF'
// run [-t MS] [-r REPORT] PROG ARG...: see check-contract.sh.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static FILE *report;

struct Proc {
  int pid, ppid, pgrp;
  char state;
  char comm[64];
  long nr;         // syscall it is blocked in, -1 if running/unknown
  long arg0;
};

static int read_file(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, cap - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = 0;
  return (int)n;
}

static int load_proc(int pid, struct Proc *p) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  if (read_file(path, buf, sizeof buf) < 0) return -1;
  char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
  if (!open_paren || !close_paren) return -1;
  size_t len = (size_t)(close_paren - open_paren - 1);
  if (len >= sizeof p->comm) len = sizeof p->comm - 1;
  memcpy(p->comm, open_paren + 1, len);
  p->comm[len] = 0;
  p->pid = pid;
  if (sscanf(close_paren + 2, "%c %d %d", &p->state, &p->ppid, &p->pgrp) != 3) return -1;
  p->nr = -1;
  p->arg0 = -1;
  snprintf(path, sizeof path, "/proc/%d/syscall", pid);
  if (read_file(path, buf, sizeof buf) > 0 && buf[0] >= '0' && buf[0] <= '9') {
    sscanf(buf, "%ld %lx", &p->nr, &p->arg0);
  }
  return 0;
}

static int list_procs(struct Proc *out, int cap) {
  int n = 0;
  DIR *d = opendir("/proc");
  struct dirent *e;
  while (d && (e = readdir(d)) && n < cap) {
    int pid = atoi(e->d_name);
    if (pid > 0 && load_proc(pid, &out[n]) == 0) n++;
  }
  if (d) closedir(d);
  return n;
}

// The pipe inode behind pid's fd, or 0; *write_end tells which end.
static unsigned long pipe_of(int pid, int fd, int *write_end) {
  char path[64], link[128], info[512];
  snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, fd);
  ssize_t n = readlink(path, link, sizeof link - 1);
  if (n <= 0) return 0;
  link[n] = 0;
  unsigned long ino = 0;
  if (sscanf(link, "pipe:[%lu]", &ino) != 1) return 0;
  snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", pid, fd);
  *write_end = 0;
  if (read_file(path, info, sizeof info) > 0) {
    char *f = strstr(info, "flags:");
    if (f) *write_end = (strtol(f + 6, NULL, 8) & 3) == 1;
  }
  return ino;
}

static const char *call_name(long nr) {
  if (nr == SYS_read) return "read";
  if (nr == SYS_write) return "write";
  if (nr == SYS_wait4) return "wait4";
  if (nr == -1) return "(running)";
  return "another call";
}

// Lists, for pipe `ino`, the group's processes that hold the given end.
// Returns how many of them are blocked in `busy_nr` on that pipe.
static int holders(struct Proc *ps, int n, int pgid, unsigned long ino, int want_write,
                   long busy_nr, char *out, size_t cap) {
  int busy = 0;
  out[0] = 0;
  for (int i = 0; i < n; i++) {
    if (ps[i].pgrp != pgid) continue;
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/fd", ps[i].pid);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (e->d_name[0] == '.') continue;
      int fd = atoi(e->d_name), w = 0;
      if (pipe_of(ps[i].pid, fd, &w) != ino || w != want_write) continue;
      int on_it = ps[i].nr == busy_nr && ps[i].arg0 == fd;
      busy += on_it;
      size_t len = strlen(out);
      snprintf(out + len, cap - len, "%s%d (%s) fd %d, blocked in %s", len ? "; " : "",
               ps[i].pid, ps[i].comm, fd, call_name(ps[i].nr));
    }
    if (d) closedir(d);
  }
  return busy;
}

// The hang oracle in miniature: who waits for what, and why it never comes.
static void diagnose(int pgid) {
  static struct Proc ps[4096];
  int n = list_procs(ps, 4096);
  const char *verdict = "hang";
  for (int i = 0; i < n; i++) {
    struct Proc *p = &ps[i];
    if (p->pgrp != pgid) continue;
    fprintf(report, "task %d (%s) state %c in %s", p->pid, p->comm, p->state, call_name(p->nr));
    int w = 0;
    unsigned long ino = (p->nr == SYS_read || p->nr == SYS_write) ? pipe_of(p->pid, (int)p->arg0, &w) : 0;
    if (ino == 0) {
      fprintf(report, "\n");
      continue;
    }
    char others[2048];
    if (p->nr == SYS_read) {
      int writing = holders(ps, n, pgid, ino, 1, SYS_write, others, sizeof others);
      fprintf(report, " on pipe:[%lu] (fd %ld); write end held by: %s\n", ino, p->arg0,
              others[0] ? others : "nobody in the group");
      if (others[0] && writing == 0) verdict = "eof-hang";
    } else {
      int reading = holders(ps, n, pgid, ino, 0, SYS_read, others, sizeof others);
      fprintf(report, " on full pipe:[%lu] (fd %ld); read end held by: %s\n", ino, p->arg0,
              others[0] ? others : "nobody in the group");
      if (others[0] && reading == 0 && strcmp(verdict, "eof-hang") != 0) verdict = "deadlock";
    }
  }
  fprintf(report, "verdict %s\n", verdict);
}

// What the program left behind: our children now (we are the subreaper).
static void sweep(int kill_them) {
  static struct Proc ps[4096];
  int n = list_procs(ps, 4096);
  for (int i = 0; i < n; i++) {
    if (ps[i].ppid != getpid()) continue;
    if (!kill_them) {
      fprintf(report, "%s %d (%s)\n", ps[i].state == 'Z' ? "zombie" : "orphan", ps[i].pid,
              ps[i].comm);
    }
    kill(ps[i].pid, SIGKILL);
  }
  while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
  }
}

int main(int argc, char **argv) {
  long limit_ms = 5000;
  const char *report_path = "/dev/null";
  int opt;
  while ((opt = getopt(argc, argv, "+t:r:")) != -1) {
    if (opt == 't') limit_ms = atol(optarg);
    else if (opt == 'r') report_path = optarg;
    else return 2;
  }
  if (optind >= argc) return 2;
  // Only 0, 1 and 2 go to the program, as the grader does it.
  for (int fd = 3; fd < 1024; fd++) close(fd);
  report = fopen(report_path, "we");
  if (!report) return 2;
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  pid_t pid = fork();
  if (pid < 0) {  // never go on with pid -1: kill(-pid) would mean kill(1)
    fprintf(report, "error fork: %s\n", strerror(errno));
    fclose(report);
    return 0;
  }
  if (pid == 0) {
    setpgid(0, 0);
    sigprocmask(SIG_UNBLOCK, &chld, NULL);
    execvp(argv[optind], argv + optind);
    _exit(127);
  }
  setpgid(pid, pid);
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  int st;
  for (;;) {
    pid_t got = waitpid(pid, &st, WNOHANG);
    if (got == pid) break;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long used = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (used >= limit_ms) {
      diagnose(pid);
      kill(-pid, SIGKILL);
      sweep(1);
      fprintf(report, "timeout %ld ms\n", limit_ms);
      fclose(report);
      return 0;
    }
    struct timespec wait = {0, 20 * 1000000};
    sigtimedwait(&chld, NULL, &wait);
  }
  int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  fprintf(report, "status %d\n", status);
  struct timespec settle = {0, 100 * 1000000};  // let reparenting finish
  nanosleep(&settle, NULL);
  sweep(0);
  kill(-pid, SIGKILL);
  fclose(report);
  return 0;
}
EOF

cat >"$work/fault.c" <<'EOF'
// fault.so: short I/O and EINTR on pipes, for check-contract.sh only.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int mode;  // 1 short, 2 eintr
static unsigned long long state = 88172645463325252ull;

__attribute__((constructor)) static void init(void) {
  const char *m = getenv("FAULT_MODE");
  mode = m && !strcmp(m, "short") ? 1 : m && !strcmp(m, "eintr") ? 2 : 0;
  const char *s = getenv("FAULT_SEED");
  state ^= (s ? strtoull(s, NULL, 10) : 1) * 2654435761ull + (unsigned long long)getpid();
}

static unsigned long long next(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

static int is_pipe(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

ssize_t read(int fd, void *buf, size_t n) {
  static ssize_t (*real)(int, void *, size_t);
  if (!real) real = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
  if (mode && n > 0 && is_pipe(fd)) {
    if (mode == 1 && n > 1) n = 1 + next() % n;
    if (mode == 2 && next() % 4 == 0) { errno = EINTR; return -1; }
  }
  return real(fd, buf, n);
}

ssize_t write(int fd, const void *buf, size_t n) {
  static ssize_t (*real)(int, const void *, size_t);
  if (!real) real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
  if (mode && n > 0 && is_pipe(fd)) {
    if (mode == 1 && n > 1) n = 1 + next() % n;
    if (mode == 2 && next() % 4 == 0) { errno = EINTR; return -1; }
  }
  return real(fd, buf, n);
}

pid_t waitpid(pid_t pid, int *status, int options) {
  static pid_t (*real)(pid_t, int *, int);
  if (!real) real = (pid_t(*)(pid_t, int *, int))dlsym(RTLD_NEXT, "waitpid");
  if (mode == 2 && !(options & WNOHANG) && next() % 2 == 0) { errno = EINTR; return -1; }
  return real(pid, status, options);
}
EOF

gcc -std=gnu11 -O2 -Wall -o "$work/run" "$work/run.c" || exit 1
gcc -std=gnu11 -O2 -Wall -shared -fPIC -o "$work/fault.so" "$work/fault.c" -ldl || exit 1

# ------------------------------------------------------------- the inputs
in="$work/in"
mkdir -p "$in"
: >"$in/empty"
printf x >"$in/1byte"
printf 'hello\n' >"$in/hello"
head -c 65536 /dev/urandom >"$in/64k"
head -c 65537 /dev/urandom >"$in/65537"
head -c 1048576 /dev/urandom >"$in/1m"
head -c 2097152 /dev/urandom >"$in/2m"
head -c 3145728 /dev/urandom >"$in/3m"
head -c 4194304 /dev/urandom >"$in/4m"
head -c 8388608 /dev/urandom >"$in/8m"
yes 'the quick brown fox jumps over the lazy dog and every ipc lab ends with eof' \
  | head -c 8388608 >"$in/8m.txt"
head -c 2097152 "$in/8m.txt" >"$in/2m.txt"
head -c 4194304 "$in/8m.txt" >"$in/4m.txt"
head -c 1000000 "$in/8m.txt" >"$in/1000000.txt"

# ------------------------------------------------------- running programs
# runp DIR INPUT FEED FAULT PROG ARG...
#   FEED: cat (a pipe, the grader's way) or chunk (1000 bytes per write)
#   FAULT: none, short or eintr
# Sets OUT, ERR (files), STATUS (exit status or "timeout"), REPORT (file).
runp() {
  local dir=$1 input=$2 feed=$3 fault=$4
  shift 4
  local tag="$work/last"
  OUT="$tag.out" ERR="$tag.err" REPORT="$tag.report"
  local envv=(env -i PATH=/usr/local/bin:/usr/bin:/bin LC_ALL=C HOME="$dir")
  if [ "$fault" != none ]; then
    envv+=(LD_PRELOAD="$work/fault.so" FAULT_MODE="$fault" FAULT_SEED=7)
  fi
  : >"$REPORT"  # never read a previous run's report
  local feeder=(cat "$input")
  [ "$feed" = chunk ] && feeder=(dd if="$input" bs=1000 status=none)
  (cd "$dir" && "${feeder[@]}" 2>/dev/null \
    | timeout -s KILL 10 "${envv[@]}" "$work/run" -t "$hang_ms" -r "$REPORT" "$@" \
      >"$OUT" 2>"$ERR")
  if grep -q '^timeout' "$REPORT"; then
    STATUS=timeout
  else
    STATUS=$(sed -n 's/^status //p' "$REPORT")
    # No status: run could not start the program (the machine out of
    # processes?) or was itself killed by the outer timeout.
    [ -n "$STATUS" ] || STATUS="error: $(sed -n 's/^error //p' "$REPORT")"
  fi
}

left_behind() { grep -E '^(zombie|orphan)' "$REPORT" | tr '\n' ' '; }
stderr_lines() { grep -c -- "$1" "$ERR"; }
short() { head -c 200 "$1" | tr '\n' '|'; }

# fd_list_ok: stdout of `ls /proc/self/fd` is 0 1 2 and ls's own (largest).
fd_list_ok() {
  local fds
  fds=$(sort -n "$OUT" | tr '\n' ' ')
  [ "$(wc -l <"$OUT")" -eq 4 ] && [[ "$fds" == "0 1 2 "* ]]
}

say_ok() { printf '  ok    %s\n' "$1"; }
say_fail() { printf '  FAIL  %s\n' "$1"; failures=$((failures + 1)); }

# check LABEL CONDITION...: one contract point for the solution.
check() {
  local label=$1
  shift
  if "$@"; then say_ok "$label"; else say_fail "$label (status $STATUS, stderr: $(short "$ERR"), $(left_behind))"; fi
}

clean_exit() { [ "$STATUS" = "$1" ] && [ -z "$(left_behind)" ]; }
same_as() { cmp -s "$OUT" "$1"; }
same_as_cmd() { local c=$1 i=$2; cmp -s "$OUT" <(sh -c "$c" <"$i" 2>/dev/null); }
out_is() { [ "$(cat "$OUT"; echo .)" = "$1." ]; }

build() {
  local src=$1 dst=$2
  rm -rf "$dst"
  mkdir -p "$dst"
  cp "$src"/Makefile "$src"/*.c "$dst"/
  if ! make -s -C "$dst" >"$dst/build.log" 2>&1; then
    echo "  build failed:"
    sed 's/^/    /' "$dst/build.log"
    return 1
  fi
  if grep -q warning "$dst/build.log"; then
    sed 's/^/    /' "$dst/build.log"
  fi
}

# -------------------------------------------------------- the solution
check_solution() {
  local d="$work/solution"
  echo "== solution"
  build "$here/solution" "$d" || { failures=$((failures + 1)); return; }
  [ -s "$d/build.log" ] && say_fail "solution builds without warnings"

  runp "$d" "$in/empty" cat none ./relay
  check "relay usage: exit 2, usage on stderr, empty stdout" \
    eval 'clean_exit 2 && [ -s "$ERR" ] && out_is ""'
  for f in empty 1byte 64k 65537 8m; do
    runp "$d" "$in/$f" cat none ./relay cat
    check "relay cat, input $f: byte-exact, exit 0, nothing left" eval 'clean_exit 0 && same_as "$in/$f"'
  done
  runp "$d" "$in/1000000.txt" cat none ./relay wc -c
  check "relay wc -c on 1000000 bytes prints 1000000" eval 'clean_exit 0 && out_is "1000000
"'
  runp "$d" "$in/8m.txt" cat none ./relay tr a-z A-Z
  check "relay tr a-z A-Z on 8 MiB of text" eval 'clean_exit 0 && same_as_cmd "tr a-z A-Z" "$in/8m.txt"'
  for i in 1 2 3; do
    runp "$d" "$in/1m" cat none ./relay head -c 10
    check "relay head -c 10 fed 1 MiB (run $i): first 10 bytes, exit 0, one 'Broken pipe' line" \
      eval 'clean_exit 0 && same_as_cmd "head -c 10" "$in/1m" && [ "$(stderr_lines "Broken pipe")" = 1 ]'
  done
  runp "$d" "$in/8m.txt" cat none ./relay head -n 1
  check "relay head -n 1 fed 8 MiB: first line, exit 0, one 'Broken pipe' line" \
    eval 'clean_exit 0 && same_as_cmd "head -n 1" "$in/8m.txt" && [ "$(stderr_lines "Broken pipe")" = 1 ]'
  runp "$d" "$in/1m" cat none ./relay sh -c 'head -c 5; exit 4'
  check "relay sh -c 'head -c 5; exit 4' fed 1 MiB: exit 4 after EPIPE" \
    eval 'clean_exit 4 && same_as_cmd "head -c 5" "$in/1m" && [ "$(stderr_lines "Broken pipe")" = 1 ]'
  runp "$d" "$in/empty" cat none ./relay /nonexistent/prog
  check "relay /nonexistent/prog: exit 127 and the exact message" \
    eval 'clean_exit 127 && grep -qx "relay: cannot run /nonexistent/prog: No such file or directory" "$ERR"'
  runp "$d" "$in/empty" cat none ./relay no-such-command-ipcgrade -v
  check "relay no-such-command-ipcgrade: exit 127, message names the word" \
    eval 'clean_exit 127 && grep -q "relay: cannot run no-such-command-ipcgrade: No such file or directory" "$ERR"'
  runp "$d" "$in/empty" cat none ./relay sh -c 'exit 3'
  check "relay sh -c 'exit 3' exits 3" clean_exit 3
  runp "$d" "$in/empty" cat none ./relay sh -c 'kill -TERM $$'
  check "relay with a CMD killed by SIGTERM exits 143" clean_exit 143
  runp "$d" "$in/empty" cat none ./relay ls /proc/self/fd
  check "relay ls /proc/self/fd lists only 0 1 2 (+ ls's own): $(tr '\n' ' ' <"$OUT")" \
    eval 'clean_exit 0 && fd_list_ok'
  runp "$d" "$in/4m" cat short ./relay cat
  check "relay cat, 4 MiB under short reads/writes: byte-exact" eval 'clean_exit 0 && same_as "$in/4m"'
  runp "$d" "$in/2m.txt" cat short ./relay wc -c
  check "relay wc -c, 2 MiB under short reads/writes: 2097152" eval 'clean_exit 0 && out_is "2097152
"'
  runp "$d" "$in/2m" chunk none ./relay cat
  check "relay cat, 2 MiB fed 1000 bytes per write: byte-exact" eval 'clean_exit 0 && same_as "$in/2m"'
  runp "$d" "$in/8m" cat eintr ./relay cat
  check "relay cat, 8 MiB under EINTR on read/write/waitpid: byte-exact" eval 'clean_exit 0 && same_as "$in/8m"'

  runp "$d" "$in/empty" cat none ./pipeline
  check "pipeline usage: exit 2, usage on stderr" eval 'clean_exit 2 && [ -s "$ERR" ] && out_is ""'
  runp "$d" "$in/empty" cat none ./pipeline cat '   '
  check "pipeline cat '   ': an empty command is a usage error (2)" eval 'clean_exit 2 && out_is ""'
  runp "$d" "$in/empty" cat none ./pipeline ''
  check "pipeline '': usage error (2)" clean_exit 2
  runp "$d" "$in/1m" cat none ./pipeline cat
  check "pipeline cat: one stage, 1 MiB" eval 'clean_exit 0 && same_as "$in/1m"'
  runp "$d" "$in/2m.txt" cat none ./pipeline cat 'tr a-z A-Z'
  check "pipeline cat 'tr a-z A-Z', 2 MiB" eval 'clean_exit 0 && same_as_cmd "tr a-z A-Z" "$in/2m.txt"'
  runp "$d" "$in/2m.txt" cat none ./pipeline cat "tr $(printf '\t') a-z   A-Z"
  check "pipeline splits on runs of spaces and tabs" eval 'clean_exit 0 && same_as_cmd "tr a-z A-Z" "$in/2m.txt"'
  runp "$d" "$in/8m.txt" cat none ./pipeline cat 'tr a-z A-Z' cat 'tr -d E' cat
  check "pipeline, five stages, 8 MiB" eval 'clean_exit 0 && same_as_cmd "tr a-z A-Z | tr -d E" "$in/8m.txt"'
  local cats=() i
  for i in $(seq 20); do cats+=(cat); done
  local t0 t1
  t0=$(date +%s%N)
  runp "$d" "$in/1m" cat none ./pipeline "${cats[@]}"
  t1=$(date +%s%N)
  check "pipeline, twenty cats, 1 MiB ($(((t1 - t0) / 1000000)) ms incl. 100 ms settle)" \
    eval 'clean_exit 0 && same_as "$in/1m"'
  t0=$(date +%s%N)
  runp "$d" "$in/8m.txt" cat none ./pipeline cat 'tr a-z A-Z' "${cats[@]:0:16}" 'tr A-Z a-z' cat
  t1=$(date +%s%N)
  check "pipeline, twenty stages, 8 MiB ($(((t1 - t0) / 1000000)) ms incl. 100 ms settle)" \
    eval 'clean_exit 0 && same_as "$in/8m.txt"'
  runp "$d" "$in/empty" cat none ./pipeline cat cat cat
  check "pipeline cat cat cat, empty input" eval 'clean_exit 0 && out_is ""'
  runp "$d" "$in/empty" cat none ./pipeline cat 'wc -c'
  check "pipeline cat 'wc -c', empty input: 0" eval 'clean_exit 0 && out_is "0
"'
  runp "$d" "$in/3m" cat none ./pipeline cat 'wc -c'
  check "pipeline cat 'wc -c', 3 MiB: 3145728" eval 'clean_exit 0 && out_is "3145728
"'
  local stages
  for stages in 'ls /proc/self/fd|cat' 'cat|ls /proc/self/fd|cat' 'cat|cat|ls /proc/self/fd' \
      'cat|cat|ls /proc/self/fd|cat|cat'; do
    local args=()
    IFS='|' read -r -a args <<<"$stages"
    runp "$d" "$in/empty" cat none ./pipeline "${args[@]}"
    check "pipeline ${stages//|/ | }: ls sees $(tr '\n' ' ' <"$OUT")" eval 'clean_exit 0 && fd_list_ok'
  done
  runp "$d" "$in/1m" cat none ./pipeline cat 'head -c 10'
  check "pipeline cat 'head -c 10' fed 1 MiB: no hang, exit 0" \
    eval 'clean_exit 0 && same_as_cmd "head -c 10" "$in/1m"'
  runp "$d" "$in/empty" cat none ./pipeline /nonexistent/cmd 'wc -c'
  check "pipeline /nonexistent/cmd 'wc -c': message, wc prints 0, exit 0" \
    eval 'clean_exit 0 && out_is "0
" && grep -qx "pipeline: cannot run /nonexistent/cmd: No such file or directory" "$ERR"'
  runp "$d" "$in/empty" cat none ./pipeline cat /nonexistent/cmd
  check "pipeline cat /nonexistent/cmd exits 127" \
    eval 'clean_exit 127 && grep -q "pipeline: cannot run /nonexistent/cmd" "$ERR"'
  runp "$d" "$in/hello" cat none ./pipeline cat 'no-such-command-ipcgrade -v' 'wc -c'
  check "pipeline with a failing middle stage: others run, exit 0" \
    eval 'clean_exit 0 && out_is "0
" && grep -q "pipeline: cannot run no-such-command-ipcgrade: No such file or directory" "$ERR"'
  runp "$d" "$in/empty" cat none ./pipeline cat false
  check "pipeline cat false exits 1" clean_exit 1
  runp "$d" "$in/empty" cat none ./pipeline false cat
  check "pipeline false cat exits 0" clean_exit 0
  runp "$d" "$in/empty" cat none ./pipeline cat 'perl -e kill(15,$$)'
  check "pipeline with a last stage killed by SIGTERM exits 143" clean_exit 143
  runp "$d" "$in/4m.txt" cat short ./pipeline cat 'tr a-z A-Z' cat
  check "pipeline, three stages, 4 MiB under short reads/writes" \
    eval 'clean_exit 0 && same_as_cmd "tr a-z A-Z" "$in/4m.txt"'
  runp "$d" "$in/4m" cat eintr ./pipeline cat 'wc -c'
  check "pipeline cat 'wc -c', 4 MiB under EINTR: 4194304" eval 'clean_exit 0 && out_is "4194304
"'
}

# ----------------------------------------------------------- the variants
# shows VARIANT WHAT CONDITION...: the variant's declared misbehaviour.
shows() {
  local label=$1
  shift
  if "$@"; then
    printf '  shows %s\n' "$label"
  else
    printf '  MISSING %s (status %s, stderr: %s, %s)\n' "$label" "$STATUS" "$(short "$ERR")" \
      "$(left_behind)"
    failures=$((failures + 1))
  fi
}
hang_verdict() { sed -n 's/^verdict //p' "$REPORT"; }
hang_detail() { grep -E 'pipe:\[' "$REPORT" | head -3 | sed 's/^/          /'; }
hung_with() { [ "$STATUS" = timeout ] && [ "$(hang_verdict)" = "$1" ]; }

check_variant() {
  local v=$1 d="$work/$1"
  echo "== $v: $(sed -n 's/^description: *"\(.*\)"$/\1/p' "$here/buggy/$v/variant.yaml")"
  echo "   declared: $(sed -n 's/^finding: *//p' "$here/buggy/$v/variant.yaml")" \
    "$(sed -n 's/^interim_finding: *\(.*\)/(today: \1)/p' "$here/buggy/$v/variant.yaml")"
  build "$here/buggy/$v" "$d" || { failures=$((failures + 1)); return; }
  case $v in
    relay-child-keeps-write-end | relay-waits-before-close)
      runp "$d" "$in/1byte" cat none ./relay cat
      shows "eof-hang on relay cat with 1 byte (hang oracle: $(hang_verdict))" hung_with eof-hang
      hang_detail
      runp "$d" "$in/empty" cat none ./relay cat
      shows "a hang on relay cat with empty input too ($STATUS)" [ "$STATUS" = timeout ]
      ;;
    relay-no-sigpipe-handling)
      runp "$d" "$in/1m" cat none ./relay head -c 10
      shows "sigpipe: relay head -c 10 fed 1 MiB exits $STATUS, 'Broken pipe' lines: $(stderr_lines 'Broken pipe')" \
        eval '[ "$STATUS" = 141 ] && [ "$(stderr_lines "Broken pipe")" = 0 ]'
      ;;
    relay-epipe-keeps-writing)
      runp "$d" "$in/1m" cat none ./relay head -c 10
      shows "sigpipe (EPIPE mishandled): $(stderr_lines 'Broken pipe') 'Broken pipe' lines instead of 1, exit $STATUS" \
        eval '[ "$(stderr_lines "Broken pipe")" -gt 1 ]'
      ;;
    relay-ignores-short-writes)
      runp "$d" "$in/4m" cat none ./relay cat
      shows "no fault: relay cat, 4 MiB still byte-exact" eval 'clean_exit 0 && same_as "$in/4m"'
      runp "$d" "$in/4m" cat short ./relay cat
      shows "short-io: under short writes stdout has $(wc -c <"$OUT") of 4194304 bytes" \
        eval '! same_as "$in/4m"'
      ;;
    relay-short-read-is-eof)
      runp "$d" "$in/2m" chunk none ./relay cat
      shows "short-io: fed 1000 bytes per write, stdout has $(wc -c <"$OUT") of 2097152 bytes" \
        eval '! same_as "$in/2m"'
      runp "$d" "$in/4m" cat short ./relay cat
      shows "short-io: under short reads stdout has $(wc -c <"$OUT") of 4194304 bytes" \
        eval '! same_as "$in/4m"'
      ;;
    relay-no-eintr-retry)
      runp "$d" "$in/8m" cat none ./relay cat
      shows "no fault: relay cat, 8 MiB byte-exact" eval 'clean_exit 0 && same_as "$in/8m"'
      runp "$d" "$in/8m" cat eintr ./relay cat
      shows "eintr: under EINTR stdout has $(wc -c <"$OUT") of 8388608 bytes, stderr: $(short "$ERR")" \
        eval '! same_as "$in/8m"'
      ;;
    relay-wrong-exit-status)
      runp "$d" "$in/empty" cat none ./relay sh -c 'exit 3'
      shows "wrong-output: relay sh -c 'exit 3' exits $STATUS" eval '[ "$STATUS" != 3 ]'
      runp "$d" "$in/empty" cat none ./relay sh -c 'kill -TERM $$'
      shows "wrong-output: a CMD killed by SIGTERM gives $STATUS, not 143" eval '[ "$STATUS" != 143 ]'
      ;;
    relay-exec-fail-silent)
      runp "$d" "$in/empty" cat none ./relay /nonexistent/prog
      shows "wrong-output: relay /nonexistent/prog exits $STATUS with stderr '$(short "$ERR")'" \
        eval '[ "$STATUS" != 127 ] && ! grep -q "cannot run" "$ERR"'
      ;;
    pipeline-parent-keeps-write-ends | pipeline-child-keeps-pipe-ends)
      runp "$d" "$in/empty" cat none ./pipeline cat 'wc -c'
      shows "eof-hang on pipeline cat 'wc -c' with empty input (hang oracle: $(hang_verdict))" \
        hung_with eof-hang
      hang_detail
      ;;
    pipeline-sequential)
      runp "$d" "$in/hello" cat none ./pipeline cat 'tr a-z A-Z'
      shows "passes on tiny input (6 bytes): status $STATUS" eval 'clean_exit 0 && out_is "HELLO
"'
      runp "$d" "$in/2m.txt" cat none ./pipeline cat 'tr a-z A-Z'
      shows "deadlock on 2 MiB (hang oracle: $(hang_verdict))" hung_with deadlock
      hang_detail
      ;;
    pipeline-leaks-read-ends)
      runp "$d" "$in/empty" cat none ./pipeline cat 'ls /proc/self/fd' cat
      shows "fd-leak: ls as a middle stage lists $(tr '\n' ' ' <"$OUT")" eval '! fd_list_ok'
      runp "$d" "$in/3m" cat none ./pipeline cat 'wc -c'
      shows "no hang on ordinary data: status $STATUS" eval 'clean_exit 0 && out_is "3145728
"'
      ;;
    pipeline-reaps-only-last)
      runp "$d" "$in/3m" cat none ./pipeline cat cat 'wc -c'
      shows "zombie: output right (status $STATUS) but left behind: $(left_behind)" \
        eval 'out_is "3145728
" && grep -q "^zombie" "$REPORT"'
      ;;
    pipeline-signal-status-wrong)
      runp "$d" "$in/empty" cat none ./pipeline cat 'perl -e kill(15,$$)'
      shows "wrong-output: last stage killed by SIGTERM gives $STATUS, not 143" \
        eval '[ "$STATUS" != 143 ]'
      ;;
    pipeline-exec-fail-falls-through)
      runp "$d" "$in/empty" cat none ./pipeline cat /nonexistent/cmd
      shows "wrong-output: pipeline cat /nonexistent/cmd exits $STATUS, not 127" \
        eval '[ "$STATUS" != 127 ]'
      echo "          its stderr: $(short "$ERR")"
      ;;
    *)
      echo "  MISSING: no scenario for this variant in check-contract.sh"
      failures=$((failures + 1))
      ;;
  esac
}

started=$(date +%s)
if [ $# -eq 0 ]; then
  check_solution
  for v in "$here"/buggy/*/; do
    check_variant "$(basename "$v")"
  done
else
  for v in "$@"; do
    if [ "$v" = solution ]; then check_solution; else check_variant "$v"; fi
  done
fi
echo "== done in $(($(date +%s) - started)) s: $failures failure(s)"
[ "$failures" -eq 0 ]
