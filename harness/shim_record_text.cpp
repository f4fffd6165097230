#include "harness/shim_record_text.h"

#include <fmt/format.h>

#include <charconv>
#include <cstring>

#include "harness/run_judge.h"
#include "sandbox/wait_status.h"

namespace ipcgrade {

namespace {

// A field's value made printable and short; nullopt when absent or empty.
std::optional<std::string> text(const ShimRecord& r, const char* key, std::size_t max = 80) {
  auto it = r.fields.find(key);
  if (it == r.fields.end() || it->second.empty()) {
    return std::nullopt;
  }
  return printable_excerpt(it->second, max);
}

// A decimal field within [lo, hi].
std::optional<long long> number(const ShimRecord& r, const char* key, long long lo = 0,
                                long long hi = INT64_MAX) {
  auto it = r.fields.find(key);
  if (it == r.fields.end()) {
    return std::nullopt;
  }
  const std::string& s = it->second;
  long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi) {
    return std::nullopt;
  }
  return v;
}

std::string bytes(long long n) { return fmt::format("{} byte{}", n, n == 1 ? "" : "s"); }

std::string millis(long long us) {
  return us < 10000 ? fmt::format("{:.1f} ms", static_cast<double>(us) / 1000)
                    : fmt::format("{} ms", us / 1000);
}

std::string plural(long long n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

// "fd 3", "pid 4122", "sem 0x7f..": the object an injected call was given.
std::optional<std::string> call_object(const ShimRecord& r) {
  if (auto fd = number(r, "fd", 0, 1 << 24)) {
    return fmt::format("fd {}", *fd);
  }
  if (auto pid = number(r, "target", INT32_MIN, INT32_MAX)) {
    return *pid > 0 ? fmt::format("pid {}", *pid) : fmt::format("{}", *pid);
  }
  if (auto sem = text(r, "sem", 20)) {
    return "semaphore at " + *sem;
  }
  return std::nullopt;
}

std::optional<std::string> eintr(const ShimRecord& r) {
  auto call = text(r, "call", 32);
  if (!call) {
    return std::nullopt;
  }
  auto object = call_object(r);
  std::string line = fmt::format("{}({}) failed with EINTR (injected", *call, object.value_or(""));
  auto row = number(r, "in_row", 1, 1000);
  auto max = number(r, "max_in_row", 1, 1000);
  if (row && max) {
    line += fmt::format(", {} of at most {} in a row", *row, *max);
  }
  return line + ")";
}

std::optional<std::string> short_io(const ShimRecord& r) {
  auto call = text(r, "call", 32);
  auto fd = number(r, "fd", 0, 1 << 24);
  auto asked = number(r, "asked", 2);
  auto cut = number(r, "cut", 1);
  if (!call || !fd || !asked || !cut) {
    return std::nullopt;
  }
  const bool reading = call->rfind("read", 0) == 0;
  std::string line =
      reading ? fmt::format("{}(fd {}) asked for {}, allowed at most {} (short read injected)",
                            *call, *fd, bytes(*asked), *cut)
              : fmt::format("{}(fd {}) of {} cut short after at most {} (short write injected)",
                            *call, *fd, bytes(*asked), *cut);
  if (auto n = number(r, "n", 1); n && *n > 4) {
    line += fmt::format("; {} short transfers so far in this thread, not all shown", *n);
  }
  return line;
}

std::optional<std::string> stall(const ShimRecord& r) {
  auto call = text(r, "call", 32);
  auto us = number(r, "us", 1);
  if (!call || !us) {
    return std::nullopt;
  }
  auto target = number(r, "target", 0, INT32_MAX);
  if (target && *target > 0) {
    return fmt::format("pauses {} before {}(pid {}) (stall injected: whoever waits for it should "
                       "sleep meanwhile)",
                       millis(*us), *call, *target);
  }
  return fmt::format("pauses {} after {} (stall injected: whoever waits for it should sleep "
                     "meanwhile)",
                     millis(*us), *call);
}

std::optional<std::string> busy_wait(const ShimRecord& r) {
  auto waiter = text(r, "waiter", 32);
  auto pid = number(r, "waiter_pid", 1, INT32_MAX);
  auto runnable = number(r, "runnable_us", 0);
  auto stalled = number(r, "stall_us", 1);
  if (!waiter || !pid || !runnable || !stalled) {
    return std::nullopt;
  }
  return fmt::format("while it paused, {} (pid {}) kept running or ready to run for {} of {} "
                     "(busy-waiting)",
                     *waiter, *pid, millis(*runnable), millis(*stalled));
}

std::optional<std::string> perturb_summary(const ShimRecord& r) {
  auto sleeps = number(r, "sleeps");
  auto aligns = number(r, "aligns");
  auto slept = number(r, "slept_us");
  auto yields = number(r, "yields");
  auto handoffs = number(r, "handoffs");
  auto points = number(r, "points");
  if (!sleeps || !aligns || !slept || !yields || !handoffs || !points) {
    return std::nullopt;
  }
  std::string parts;
  auto add = [&parts](std::string part) { parts += (parts.empty() ? "" : ", ") + part; };
  if (*sleeps > 0) {
    add(plural(*sleeps, "delay", "delays"));
  }
  if (*aligns > 0) {
    add(plural(*aligns, "aligned start", "aligned starts"));
  }
  if (*slept > 0) {
    parts += " (" + millis(*slept) + " in all)";
  }
  if (*yields > 0) {
    add(plural(*yields, "yield", "yields"));
  }
  if (*handoffs > 0) {
    add(plural(*handoffs, "mutex hand-off", "mutex hand-offs"));
  }
  if (parts.empty()) {
    return std::nullopt;  // nothing done yet: not worth a line
  }
  std::string line = fmt::format("schedule perturbed (injected), so far in this thread: {} over {}",
                                 parts, plural(*points, "call", "calls"));
  auto why = text(r, "why", 20);
  if (why && *why == "sleep-budget") {
    line += "; its delay budget is spent: no more delays in this thread";
  } else if (why && *why == "yield-budget") {
    line += "; its yield budget is spent: no more yields in this thread";
  }
  return line;
}

std::optional<std::string> perturb_action(const ShimRecord& r) {
  auto act = text(r, "act", 16);
  auto us = number(r, "us");
  if (!act) {
    return std::nullopt;
  }
  return us && *us > 0 ? fmt::format("perturbation: {} {} (injected)", *act, millis(*us))
                       : fmt::format("perturbation: {} (injected)", *act);
}

std::optional<std::string> signal_unsafe(const ShimRecord& r) {
  auto func = text(r, "func", 32);
  auto sig = number(r, "sig", 1, 64);
  if (!func || !sig) {
    return std::nullopt;
  }
  return fmt::format("called {}() inside its handler for {}: not async-signal-safe", *func,
                     signal_name(static_cast<int>(*sig)));
}

std::optional<std::string> not_pshared(const ShimRecord& r, const RecordWording& w) {
  auto what = text(r, "what", 32);
  auto addr = text(r, "addr", 20);
  if (!what || !addr) {
    return std::nullopt;
  }
  auto map = text(r, "map");
  std::string where = !map || *map == "anonymous" ? std::string("anonymous shared memory")
                      : w.hide_names              ? std::string("a shared mapping")
                                                  : *map;
  return fmt::format("initialised a {} at {} in {} without PTHREAD_PROCESS_SHARED", *what, *addr,
                     where);
}

std::optional<std::string> fd_leak(const ShimRecord& r, const RecordWording& w) {
  auto fd = number(r, "fd", 3, 1 << 24);
  auto exec = text(r, "exec");
  if (!fd || !exec) {
    return std::nullopt;
  }
  auto target = text(r, "target");
  std::string what = target && (!w.hide_names || target->rfind("pipe:", 0) == 0)
                         ? " (" + *target + ")"
                         : std::string();
  return fmt::format("execs {} with fd {}{} still open: it leaks into the new program",
                     w.hide_names ? std::string("a program") : *exec, *fd, what);
}

std::optional<std::string> exec_failed(const ShimRecord& r) {
  auto err = number(r, "errno", 1, 4095);
  if (!err) {
    return std::nullopt;
  }
  return fmt::format("that exec failed ({}): its open descriptors do not count",
                     std::strerror(static_cast<int>(*err)));
}

std::optional<std::string> ipc(const ShimRecord& r, const RecordWording& w) {
  auto kind = text(r, "kind", 16);
  if (!kind) {
    return std::nullopt;
  }
  static const std::pair<const char*, const char*> kNouns[] = {
      {"shm", "POSIX shared memory"},   {"sem", "named semaphore"},
      {"mq", "message queue"},          {"fifo", "FIFO"},
      {"sysv-shm", "System V shared memory segment"},
      {"sysv-sem", "System V semaphore set"},
      {"sysv-msg", "System V message queue"},
  };
  const char* noun = nullptr;
  for (const auto& [k, n] : kNouns) {
    if (*kind == k) {
      noun = n;
    }
  }
  if (noun == nullptr) {
    return std::nullopt;
  }
  std::string name;
  if (auto id = number(r, "id", 0, INT32_MAX)) {
    name = fmt::format(" id {}", *id);
    if (auto key = text(r, "key", 20); key && !w.hide_names) {
      name += " (key " + *key + ")";
    }
  } else if (auto n = text(r, *kind == "fifo" ? "path" : "name", 120); n && !w.hide_names) {
    name = " " + *n;
  }
  return fmt::format("{} {}{}", r.event == "ipc-create" ? "created" : "removed", noun, name);
}

}  // namespace

std::optional<std::string> describe_shim_record(const ShimRecord& r, const RecordWording& w) {
  if (r.event == "eintr") {
    return eintr(r);
  }
  if (r.event == "short-io") {
    return short_io(r);
  }
  if (r.event == "stall") {
    return stall(r);
  }
  if (r.event == "busy-wait") {
    return busy_wait(r);
  }
  if (r.event == "perturb-summary") {
    return perturb_summary(r);
  }
  if (r.event == "perturb") {
    return perturb_action(r);
  }
  if (r.event == "signal-unsafe") {
    return signal_unsafe(r);
  }
  if (r.event == "not-pshared") {
    return not_pshared(r, w);
  }
  if (r.event == "fd-leak") {
    return fd_leak(r, w);
  }
  if (r.event == "exec-failed") {
    return exec_failed(r);
  }
  if (r.event == "ipc-create" || r.event == "ipc-remove") {
    return ipc(r, w);
  }
  return std::nullopt;
}

}  // namespace ipcgrade
