#include "harness/checkers/shmcount.h"

#include <cstdint>
#include <optional>
#include <string>

#include "harness/run_judge.h"

namespace ipcgrade {
namespace {

// Values above this are not counts a test can ask for; refusing them keeps
// K*N far from overflow.
constexpr std::uint64_t kMaxValue = 1000000000000000000ULL;  // 10^18

// A canonical decimal: digits only, no sign, no leading zero (except "0").
std::optional<std::uint64_t> parse_decimal(std::string_view s) {
  if (s.size() > 1 && s[0] == '0') {
    return std::nullopt;
  }
  return parse_count(s, kMaxValue);
}

// The value of a `counter V` line (without its newline), if it is one.
std::optional<std::uint64_t> counter_value(std::string_view line) {
  constexpr std::string_view kPrefix = "counter ";
  if (line.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  return parse_decimal(line.substr(kPrefix.size()));
}

CheckVerdict fail(FindingKind kind, std::string message, std::string evidence) {
  CheckVerdict v;
  v.ok = false;
  v.kind = kind;
  v.message = std::move(message);
  v.evidence = std::move(evidence);
  return v;
}

}  // namespace

CheckVerdict check_shmcount(const CheckInput& input) {
  std::optional<std::uint64_t> workers, additions;
  if (input.args.size() == 2) {
    workers = parse_decimal(input.args[0]);
    additions = parse_decimal(input.args[1]);
  }
  if (!workers || !additions || *workers > 1000000 || *additions > kMaxValue / 1000000) {
    // A lab error, not the student's: the shipped lab's tests are checked
    // for this by tests/harness/checkers/shmcount_test.cpp.
    return fail(FindingKind::kWrongOutput,
                "the shmcount checker cannot judge this test: the lab must run shmcount with "
                "exactly two whole-number arguments K N (this is a mistake in the lab, not in "
                "your program; tell your instructor)",
                "test args: " + std::to_string(input.args.size()) + " given");
  }
  const std::uint64_t expected = *workers * *additions;
  const std::string want = "counter " + std::to_string(expected);
  const std::string_view out = input.output;

  if (out.empty()) {
    return fail(FindingKind::kWrongOutput,
                "stdout is empty, but the parent must print the line `" + want +
                    "` (K*N = " + std::to_string(*workers) + "*" + std::to_string(*additions) +
                    ") after waiting for every worker.",
                "stdout was empty");
  }
  // Exactly one line. Its final newline may be missing: the contract names
  // the line, not its terminator, and the other labs' checkers accept that
  // too.
  std::size_t newline = out.find('\n');
  std::string_view line = out.substr(0, newline);
  if (newline != std::string_view::npos && newline + 1 != out.size()) {
    // Several lines. Several `counter` lines mean more than one process
    // printed: a worker went on past its loop into the parent's code.
    std::size_t counter_lines = 0, lines = 0;
    std::size_t from = 0;
    while (from < out.size()) {
      std::size_t end = out.find('\n', from);
      std::string_view l = out.substr(from, end == std::string_view::npos ? end : end - from);
      ++lines;
      if (counter_value(l)) {
        ++counter_lines;
      }
      from = end == std::string_view::npos ? out.size() : end + 1;
    }
    std::string message = "stdout must hold exactly one line, `" + want + "`, but it holds " +
                          std::to_string(lines) + " lines.";
    if (counter_lines > 1) {
      message += " " + std::to_string(counter_lines) +
                 " of them are `counter` lines: more than one process printed. A worker must "
                 "end with _exit() after its additions, never fall through into the parent's "
                 "code (which forks more workers and prints).";
    } else {
      message += " Diagnostics and debugging output go to stderr, not stdout.";
    }
    return fail(FindingKind::kWrongOutput, message, "stdout was: " + quoted(out, 200));
  }

  std::optional<std::uint64_t> value = counter_value(line);
  if (!value) {
    return fail(FindingKind::kWrongOutput,
                "stdout must be the line `" + want +
                    "`: the word `counter`, one space, and the value in decimal.",
                "stdout was: " + quoted(out, 200));
  }
  const std::string got = "printed `counter " + std::to_string(*value) + "`, expected `" + want +
                          "` (K = " + std::to_string(*workers) +
                          " workers, N = " + std::to_string(*additions) + " additions each)";
  if (*value == expected) {
    return CheckVerdict{};
  }
  if (*value == 0) {
    return fail(
        FindingKind::kWrongOutput,
        "the parent's counter is still 0: none of the workers' additions reached it. After "
        "fork() each child has its own copy of ordinary memory (globals, the stack, malloc, "
        "MAP_PRIVATE mappings); only a MAP_SHARED mapping (shm_open+mmap, an anonymous "
        "MAP_SHARED mmap, or shmget+shmat) is the same memory in every process. Put the "
        "counter and its mutex there, before forking.",
        got);
  }
  if (*value < expected) {
    const std::uint64_t lost = expected - *value;
    return fail(
        FindingKind::kRace,
        std::to_string(lost) + " of " + std::to_string(expected) +
            " additions were lost (lost updates). `counter += 1` is a load, an add and a store: "
            "two workers that load the same value both store value+1, and one addition "
            "vanishes. Every addition must happen while holding a mutex that lives in the "
            "shared region and was initialised with PTHREAD_PROCESS_SHARED (without that "
            "attribute glibc's mutex does not work between processes). The parent must also "
            "wait for every worker before reading the counter.",
        got);
  }
  return fail(FindingKind::kWrongOutput,
              "the counter is " + std::to_string(*value - expected) +
                  " higher than K*N: more additions happened than were asked for. Does each "
                  "worker add exactly N times, are exactly K workers forked, and does every "
                  "worker _exit() after its loop instead of returning into the fork loop?",
              got);
}

}  // namespace ipcgrade
