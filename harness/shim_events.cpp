#include "harness/shim_events.h"

#include <fmt/format.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "base/scoped_fd.h"
#include "harness/runner.h"
#include "sandbox/wait_status.h"

namespace ipcgrade {
namespace fs = std::filesystem;

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// %XX escapes back to bytes; nullopt for a broken escape.
std::optional<std::string> unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) {
      return std::nullopt;
    }
    int hi = hex_digit(s[i + 1]);
    int lo = hex_digit(s[i + 2]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// A decimal or 0x-hex number within [lo, hi].
std::optional<std::int64_t> parse_int(std::string_view s, std::int64_t lo, std::int64_t hi) {
  if (s.empty() || s.size() > 20) {
    return std::nullopt;
  }
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  if (s.empty()) {
    return std::nullopt;
  }
  unsigned base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  unsigned __int128 v = 0;
  for (char c : s) {
    int d = hex_digit(c);
    if (d < 0 || static_cast<unsigned>(d) >= base) {
      return std::nullopt;
    }
    v = v * base + static_cast<unsigned>(d);
    if (v > (static_cast<unsigned __int128>(1) << 64)) {
      return std::nullopt;
    }
  }
  __int128 signed_v = negative ? -static_cast<__int128>(v) : static_cast<__int128>(v);
  if (signed_v < lo || signed_v > hi) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(signed_v);
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    if (s.size() > 18) {
      return std::nullopt;
    }
    std::uint64_t v = 0;
    for (char c : s.substr(2)) {
      int d = hex_digit(c);
      if (d < 0) {
        return std::nullopt;
      }
      v = v * 16 + static_cast<unsigned>(d);
    }
    return v;
  }
  auto v = parse_int(s, 0, INT64_MAX);
  if (!v) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(*v);
}

}  // namespace

std::optional<ShimRecord> parse_shim_record(std::string_view line) {
  if (line.empty() || line.size() > kShimRecordMaxBytes) {
    return std::nullopt;
  }
  ShimRecord rec;
  std::size_t pos = 0;
  bool first = true;
  while (pos < line.size()) {
    std::size_t end = line.find(' ', pos);
    if (end == std::string_view::npos) {
      end = line.size();
    }
    std::string_view token = line.substr(pos, end - pos);
    pos = end + 1;
    if (token.empty()) {
      return std::nullopt;  // the shim never writes two spaces
    }
    std::size_t eq = token.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq > 64) {
      return std::nullopt;
    }
    std::string key(token.substr(0, eq));
    std::optional<std::string> value = unescape(token.substr(eq + 1));
    if (!value) {
      return std::nullopt;
    }
    if (first) {
      if (key != "ev" || value->empty()) {
        return std::nullopt;
      }
      rec.event = *value;
      first = false;
      continue;
    }
    if (key == "t") {
      auto v = parse_int(*value, 0, INT64_MAX);
      if (!v) {
        return std::nullopt;
      }
      rec.monotonic_ns = static_cast<std::uint64_t>(*v);
    } else if (key == "pid" || key == "tid") {
      auto v = parse_int(*value, 1, 1 << 30);
      if (!v) {
        return std::nullopt;
      }
      (key == "pid" ? rec.pid : rec.tid) = static_cast<long>(*v);
    } else if (key == "prog") {
      rec.prog = *value;
    } else if (key == "trunc") {
      rec.truncated = true;
    } else if (rec.fields.count(key) != 0 || rec.fields.size() >= 32) {
      return std::nullopt;
    } else {
      rec.fields.emplace(std::move(key), std::move(*value));
    }
  }
  if (first || rec.pid == 0 || rec.prog.empty()) {
    return std::nullopt;
  }
  return rec;
}

namespace {

const std::string* field(const ShimRecord& r, const char* key) {
  auto it = r.fields.find(key);
  return it == r.fields.end() ? nullptr : &it->second;
}

// A program name the shim could have written: a file name, no path.
bool plausible_prog(const std::string& prog) {
  return !prog.empty() && prog.size() < 64 && prog.find('/') == std::string::npos &&
         prog != "." && prog != "..";
}

Finding make_finding(const ObservationContext& c, FindingKind kind, const std::string& prog,
                     std::string message, std::string evidence) {
  Finding f;
  f.kind = kind;
  f.test = c.test;
  f.program = prog.empty() ? c.program : prog;
  f.message = std::move(message);
  f.evidence = std::move(evidence);
  f.repro = c.repro;
  return f;
}

// The student's executable `prog`, if it really is one in build_dir.
std::optional<fs::path> student_executable(const ObservationContext& c, const std::string& prog) {
  if (!plausible_prog(prog) || c.build_dir.empty()) {
    return std::nullopt;
  }
  fs::path exe = c.build_dir / prog;
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(exe, ec))) {
    return std::nullopt;
  }
  return exe;
}

constexpr std::size_t kEvidenceLines = 6;

}  // namespace

ShimLog parse_shim_log(std::string_view bytes) {
  ShimLog log;
  if (bytes.size() > kShimLogMaxBytes) {
    bytes = bytes.substr(0, kShimLogMaxBytes);
    log.capped = true;
  }
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t nl = bytes.find('\n', pos);
    if (nl == std::string_view::npos) {
      ++log.malformed_lines;  // a record without its newline was cut
      break;
    }
    std::string_view line = bytes.substr(pos, nl - pos);
    pos = nl + 1;
    if (log.records.size() >= kShimLogMaxRecords) {
      log.capped = true;
      break;
    }
    std::optional<ShimRecord> rec = parse_shim_record(line);
    if (rec) {
      log.records.push_back(std::move(*rec));
    } else {
      ++log.malformed_lines;
    }
  }
  return log;
}

Result<ShimLog> read_shim_log(const fs::path& path) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd.valid()) {
    return Status::Internal("cannot open the shim's log " + path.string() + ": " +
                            std::strerror(errno));
  }
  std::string bytes;
  char buf[65536];
  while (bytes.size() <= kShimLogMaxBytes) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return Status::Internal("cannot read the shim's log " + path.string() + ": " +
                              std::strerror(errno));
    }
    if (n == 0) {
      break;
    }
    bytes.append(buf, static_cast<std::size_t>(n));
  }
  return parse_shim_log(bytes);
}

ShimEvents classify_shim_events(const ShimLog& log) {
  ShimEvents ev;
  ev.malformed = log.malformed_lines;
  // fd-leak records of exec attempts that failed are withdrawn.
  std::set<std::pair<long, std::int64_t>> failed_attempts;
  for (const ShimRecord& r : log.records) {
    if (r.event == "exec-failed") {
      const std::string* t = field(r, "try");
      auto attempt = t ? parse_int(*t, 1, INT32_MAX) : std::nullopt;
      if (attempt) {
        failed_attempts.insert({r.pid, *attempt});
      }
    }
  }
  for (const ShimRecord& r : log.records) {
    if (!plausible_prog(r.prog)) {
      ++ev.malformed;
      continue;
    }
    ev.pids.insert(r.pid);
    bool bad = false;
    if (r.event == "signal-unsafe") {
      const std::string* func = field(r, "func");
      const std::string* sig = field(r, "sig");
      auto s = sig ? parse_int(*sig, 1, 64) : std::nullopt;
      if (func == nullptr || func->empty() || func->size() > 32 || !s) {
        bad = true;
      } else {
        SignalUnsafeEvent e{r.pid, r.prog, *func, static_cast<int>(*s), std::nullopt};
        if (const std::string* off = field(r, "handler_off")) {
          e.handler_off = parse_u64(*off);
        }
        ev.signal_unsafe.push_back(std::move(e));
      }
    } else if (r.event == "busy-wait") {
      const std::string* call = field(r, "call");
      const std::string* waiter = field(r, "waiter");
      const std::string* wp = field(r, "waiter_pid");
      const std::string* wt = field(r, "waiter_tid");
      const std::string* ru = field(r, "runnable_us");
      const std::string* su = field(r, "stall_us");
      auto waiter_pid = wp ? parse_int(*wp, 1, INT32_MAX) : std::nullopt;
      auto waiter_tid = wt ? parse_int(*wt, 1, INT32_MAX) : std::nullopt;
      auto runnable = ru ? parse_int(*ru, 0, INT32_MAX) : std::nullopt;
      auto stall = su ? parse_int(*su, 1, INT32_MAX) : std::nullopt;
      if (call == nullptr || call->empty() || call->size() > 32 || waiter == nullptr ||
          !waiter_pid || !waiter_tid || !runnable || !stall) {
        bad = true;
      } else {
        ev.busy_waits.push_back(BusyWaitEvent{r.pid, r.prog, *call, *waiter_pid, *waiter_tid,
                                              waiter->substr(0, 32), *runnable, *stall});
      }
    } else if (r.event == "not-pshared") {
      const std::string* what = field(r, "what");
      const std::string* addr = field(r, "addr");
      auto a = addr ? parse_u64(*addr) : std::nullopt;
      if (what == nullptr || what->empty() || what->size() > 32 || !a) {
        bad = true;
      } else {
        const std::string* map = field(r, "map");
        ev.not_pshared.push_back(
            NotPsharedEvent{r.pid, r.prog, *what, *a, map ? map->substr(0, 200) : "?"});
      }
    } else if (r.event == "fd-leak") {
      const std::string* fd = field(r, "fd");
      const std::string* exec = field(r, "exec");
      const std::string* t = field(r, "try");
      auto n = fd ? parse_int(*fd, 3, 1 << 24) : std::nullopt;
      auto attempt = t ? parse_int(*t, 1, INT32_MAX) : std::nullopt;
      if (!n || exec == nullptr || !attempt) {
        bad = true;
      } else if (failed_attempts.count({r.pid, *attempt}) == 0) {
        const std::string* target = field(r, "target");
        ev.fd_leaks.push_back(FdLeakEvent{r.pid, r.prog, static_cast<int>(*n),
                                          target ? target->substr(0, 200) : "?",
                                          exec->substr(0, 200)});
      }
    } else if (r.event == "ipc-create" || r.event == "ipc-remove") {
      IpcEvent e;
      e.create = r.event == "ipc-create";
      e.pid = r.pid;
      e.prog = r.prog;
      const std::string* kind = field(r, "kind");
      static const std::set<std::string> kKinds = {"shm",      "sem",      "mq",      "fifo",
                                                   "sysv-shm", "sysv-sem", "sysv-msg"};
      if (kind == nullptr || kKinds.count(*kind) == 0) {
        bad = true;
      } else {
        e.kind = *kind;
        if (e.kind.rfind("sysv-", 0) == 0) {
          const std::string* id = field(r, "id");
          auto v = id ? parse_int(*id, 0, INT32_MAX) : std::nullopt;
          if (!v) {
            bad = true;
          } else {
            e.id = static_cast<long>(*v);
          }
          if (const std::string* key = field(r, "key")) {
            e.key = parse_u64(*key);
          }
        } else {
          const std::string* name = field(r, e.kind == "fifo" ? "path" : "name");
          if (name == nullptr || name->empty() || name->size() > 4096) {
            bad = true;
          } else {
            e.name = *name;
          }
          if (const std::string* ino = field(r, "ino")) {
            e.ino = parse_u64(*ino);
          }
        }
        if (!bad) {
          ev.ipc.push_back(std::move(e));
        }
      }
    } else if (r.event == "eintr") {
      const std::string* call = field(r, "call");
      if (call == nullptr || call->empty() || call->size() > 32) {
        bad = true;
      } else {
        std::string target;
        for (const auto& [k, v] : r.fields) {
          // The call's object; in_row/max_in_row count injections.
          if (k != "call" && k != "in_row" && k != "max_in_row") {
            target += (target.empty() ? "" : " ") + k + "=" + v.substr(0, 40);
          }
        }
        ev.eintr.push_back(EintrEvent{r.pid, r.prog, *call, target});
      }
    }
    if (bad) {
      ++ev.malformed;
    }
  }
  return ev;
}

Symbolizer addr2line_symbolizer(const Sandbox& sandbox) {
  return [&sandbox](const fs::path& exe, std::uint64_t offset) -> std::optional<std::string> {
    static const char* const kCandidates[] = {"/usr/bin/addr2line", "/bin/addr2line"};
    std::string tool;
    for (const char* c : kCandidates) {
      if (::access(c, X_OK) == 0) {
        tool = c;
        break;
      }
    }
    if (tool.empty()) {
      return std::nullopt;
    }
    RunRequest req;
    req.argv = {tool, "-f", "-e", exe.string(), fmt::format("{:#x}", offset)};
    req.cwd = exe.parent_path();
    req.env = default_environment(exe.parent_path());
    req.limits.wall = std::chrono::seconds(10);
    req.limits.output_bytes = 64 * 1024;
    req.detect_hangs = false;
    Result<RunResult> r = run_sandboxed(sandbox, req);
    if (!r.ok() || r->ending != RunResult::Ending::kExited) {
      return std::nullopt;
    }
    std::istringstream out(r->stdout_data);
    std::string function, where;
    std::getline(out, function);
    std::getline(out, where);
    if (function.empty() || function == "??") {
      return std::nullopt;
    }
    std::string name = function.substr(0, 80);
    if (!where.empty() && where.rfind("??", 0) != 0) {
      std::string file = where.substr(where.find_last_of('/') == std::string::npos
                                          ? 0
                                          : where.find_last_of('/') + 1);
      std::size_t space = file.find(' ');
      if (space != std::string::npos) {
        file = file.substr(0, space);  // " (discriminator N)"
      }
      if (file.size() > 1 && file.rfind("?", 0) != 0 && file.find(":0") == std::string::npos) {
        name += " (" + file.substr(0, 80) + ")";
      }
    }
    return name;
  };
}

std::vector<Finding> observation_findings(const ShimEvents& events,
                                          const ObservationContext& c) {
  std::vector<Finding> out;

  // signal-unsafe: one finding per (program, signal, handler).
  struct HandlerKey {
    std::string prog;
    int sig;
    std::optional<std::uint64_t> off;
    bool operator<(const HandlerKey& o) const {
      return std::tie(prog, sig, off) < std::tie(o.prog, o.sig, o.off);
    }
  };
  std::map<HandlerKey, std::vector<std::string>> calls;
  std::map<HandlerKey, long> first_pid;
  std::vector<HandlerKey> order;
  for (const SignalUnsafeEvent& e : events.signal_unsafe) {
    if (!student_executable(c, e.prog)) {
      continue;
    }
    HandlerKey k{e.prog, e.sig, e.handler_off};
    if (calls.count(k) == 0) {
      order.push_back(k);
      first_pid[k] = e.pid;
    }
    std::vector<std::string>& f = calls[k];
    if (std::find(f.begin(), f.end(), e.func) == f.end() && f.size() < 12) {
      f.push_back(e.func);
    }
  }
  for (const HandlerKey& k : order) {
    std::string handler = "its handler";
    std::string where;
    if (k.off) {
      std::optional<fs::path> exe = student_executable(c, k.prog);
      std::optional<std::string> name;
      if (exe && c.symbolize) {
        name = c.symbolize(*exe, *k.off);
      }
      handler = name ? "its handler " + *name : "its handler (at " + fmt::format("{:#x}", *k.off) + " in ./" +
                                                    k.prog + ")";
      where = "; `addr2line -f -e " + k.prog + " " + fmt::format("{:#x}", *k.off) + "` names it";
    }
    std::string funcs;
    for (const std::string& f : calls[k]) {
      funcs += (funcs.empty() ? "" : ", ") + f;
    }
    std::string sig = signal_name(k.sig);
    out.push_back(make_finding(
        c, FindingKind::kSignalUnsafe, k.prog,
        "./" + k.prog + " calls " + funcs + " (directly, or one through another) inside " +
            handler + " for " + sig + ". These functions are not async-signal-safe: if the signal arrives while the "
            "program is itself inside stdio or malloc, the handler can deadlock on their "
            "internal lock or corrupt their state. In a handler only set a volatile "
            "sig_atomic_t flag, or call async-signal-safe functions such as write() or kill(); "
            "print and allocate in the main program.",
        "while handling " + sig + ", pid " + std::to_string(first_pid[k]) + " called " + funcs +
            where));
  }

  // busy-wait (the stall fault): one finding per waiting program. The
  // record is written by the stalling program; the waiter must be a
  // student program too.
  std::set<std::string> busy_reported;
  for (const BusyWaitEvent& e : events.busy_waits) {
    if (!student_executable(c, e.prog) || !student_executable(c, e.waiter) ||
        2 * e.runnable_us < e.stall_us || !busy_reported.insert(e.waiter).second) {
      continue;
    }
    out.push_back(make_finding(
        c, FindingKind::kBusyWait, e.waiter,
        "./" + e.waiter + " kept a CPU busy while it had nothing to do but wait: the grader "
        "paused ./" + e.prog + " just before it would wake the waiter (" + e.call +
            "), and instead of sleeping the waiter kept running. Wait by blocking: "
            "pthread_cond_wait() in a while loop, sem_wait(), sigsuspend() with the signal "
            "blocked beforehand, or a blocking read(); never a loop that re-checks a flag, a "
            "counter or a trylock.",
        "while " + e.prog + " (pid " + std::to_string(e.pid) + ") paused " +
            std::to_string(e.stall_us / 1000) + " ms before " + e.call + ", " + e.waiter +
            " (pid " + std::to_string(e.waiter_pid) + ", thread " + std::to_string(e.waiter_tid) +
            ") was running or ready to run for " + std::to_string(e.runnable_us / 1000) +
            " ms of it"));
  }

  // not-pshared: one race finding per (program, kind of object).
  std::map<std::pair<std::string, std::string>, std::vector<const NotPsharedEvent*>> objects;
  std::vector<std::pair<std::string, std::string>> object_order;
  for (const NotPsharedEvent& e : events.not_pshared) {
    if (!student_executable(c, e.prog)) {
      continue;
    }
    auto k = std::make_pair(e.prog, e.what);
    if (objects.count(k) == 0) {
      object_order.push_back(k);
    }
    objects[k].push_back(&e);
  }
  for (const auto& k : object_order) {
    const std::string& what = k.second;
    std::string fix;
    std::string noun = what;
    if (what == "semaphore") {
      fix = "sem_init(&sem, 1, value): a pshared argument of 1";
      noun = "unnamed semaphore";
    } else if (what == "cond") {
      fix = "pthread_condattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) before "
            "pthread_cond_init(&cond, &attr)";
      noun = "condition variable";
    } else {
      fix = "pthread_" + what + "attr_setpshared(&attr, PTHREAD_PROCESS_SHARED) before pthread_" +
            what + "_init(&" + what + ", &attr)";
    }
    std::string evidence;
    std::size_t n = 0;
    for (const NotPsharedEvent* e : objects[k]) {
      if (n++ == kEvidenceLines) {
        evidence += "\n...";
        break;
      }
      evidence += (evidence.empty() ? "" : "\n") + noun + " at " + fmt::format("{:#x}", e->addr) + " in " +
                  (e->map == "anonymous" ? std::string("an anonymous MAP_SHARED mapping")
                                         : e->map) +
                  ", initialised without PTHREAD_PROCESS_SHARED (pid " + std::to_string(e->pid) +
                  ")";
    }
    out.push_back(make_finding(
        c, FindingKind::kRace, k.first,
        "./" + k.first + " initialises " + (noun[0] == 'u' ? "an " : "a ") + noun +
            " in memory shared between processes without PTHREAD_PROCESS_SHARED. glibc then "
            "uses process-private futexes: a waiter in one process can miss the wakeup from "
            "another, and the lock may not exclude across processes, so the result depends on "
            "scheduling even when this run looked right. Use " + fix + ".",
        evidence));
  }

  // fd-leak: one finding per program, listing what each exec inherited.
  std::map<std::string, std::vector<const FdLeakEvent*>> leaks;
  std::vector<std::string> leak_order;
  for (const FdLeakEvent& e : events.fd_leaks) {
    if (!student_executable(c, e.prog)) {
      continue;
    }
    if (leaks.count(e.prog) == 0) {
      leak_order.push_back(e.prog);
    }
    leaks[e.prog].push_back(&e);
  }
  for (const std::string& prog : leak_order) {
    // Group by (pid, exec) so each exec is one evidence line.
    std::vector<std::string> lines;
    std::map<std::pair<long, std::string>, std::size_t> line_of;
    std::set<std::string> targets;
    for (const FdLeakEvent* e : leaks[prog]) {
      auto key = std::make_pair(e->pid, e->exec);
      std::string item = "fd " + std::to_string(e->fd) + " (" + e->target + ")";
      targets.insert(e->exec);
      auto it = line_of.find(key);
      if (it == line_of.end()) {
        line_of[key] = lines.size();
        lines.push_back("pid " + std::to_string(e->pid) + " exec'd " + e->exec + " with " + item);
      } else if (lines[it->second].size() < 400) {
        lines[it->second] += ", " + item;
      }
    }
    std::string evidence;
    for (std::size_t i = 0; i < lines.size() && i < kEvidenceLines; ++i) {
      evidence += (i == 0 ? "" : "\n") + lines[i];
    }
    if (lines.size() > kEvidenceLines) {
      evidence += "\n... and " + std::to_string(lines.size() - kEvidenceLines) + " more exec(s)";
    }
    std::string programs;
    for (const std::string& t : targets) {
      if (programs.size() < 200) {
        programs += (programs.empty() ? "" : ", ") + t;
      }
    }
    out.push_back(make_finding(
        c, FindingKind::kFdLeak, prog,
        "./" + prog + " runs " + programs +
            " with descriptors other than 0, 1 and 2 still open, so the exec'd program "
            "inherits them. A pipe end leaked this way keeps the pipe open: its reader may "
            "never see EOF, or its writer never gets EPIPE. Close every descriptor a child "
            "does not use before exec (after dup2, close the originals), or open it with "
            "O_CLOEXEC.",
        evidence));
  }
  return out;
}

std::string describe_eintr_injections(const ShimEvents& events, std::size_t max) {
  std::string out;
  std::size_t n = 0;
  for (const EintrEvent& e : events.eintr) {
    if (n == max) {
      break;
    }
    out += (out.empty() ? "" : "; ") + std::string("EINTR injected into ") + e.call +
           (e.target.empty() ? "" : " (" + e.target + ")") + " in " + e.prog + " (pid " +
           std::to_string(e.pid) + ")";
    ++n;
  }
  if (events.eintr.size() > n) {
    out += "; and " + std::to_string(events.eintr.size() - n) + " more";
  }
  return out;
}

}  // namespace ipcgrade
