#include "harness/checkers/reaper.h"

#include <optional>
#include <string>

#include "harness/run_judge.h"

namespace ipcgrade {
namespace {

// The largest number the checker reads (13 digits).
constexpr std::uint64_t kMaxNumber = 9999999999999ULL;

// "reaped C sum S" → (C, S), or nullopt for any other line.
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_result(std::string_view line) {
  constexpr std::string_view kReaped = "reaped ";
  constexpr std::string_view kSum = " sum ";
  if (line.substr(0, kReaped.size()) != kReaped) {
    return std::nullopt;
  }
  line.remove_prefix(kReaped.size());
  std::size_t at = line.find(kSum);
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  std::optional<std::uint64_t> count = parse_count(line.substr(0, at), kMaxNumber);
  std::optional<std::uint64_t> sum = parse_count(line.substr(at + kSum.size()), kMaxNumber);
  if (!count || !sum) {
    return std::nullopt;
  }
  return std::make_pair(*count, *sum);
}

}  // namespace

std::uint64_t reaper_expected_sum(std::uint64_t k) {
  // Full cycles of 0..255 contribute 255*256/2 each, then the partial cycle.
  std::uint64_t cycles = k / 256;
  std::uint64_t rest = k % 256;
  return cycles * (255 * 256 / 2) + (rest == 0 ? 0 : rest * (rest - 1) / 2);
}

CheckVerdict check_reaper(const CheckInput& input) {
  CheckVerdict v;
  std::optional<std::uint64_t> k;
  if (input.args.size() == 1) {
    k = parse_count(input.args[0], kMaxNumber);
  }
  if (!k) {
    v.ok = false;
    v.message =
        "the lab's test is misconfigured: the reaper checker needs exactly one argument, the "
        "child count K (tell your instructor)";
    v.evidence = "test arguments: " + std::to_string(input.args.size());
    return v;
  }
  const std::uint64_t want_sum = reaper_expected_sum(*k);
  const std::string expected =
      "reaped " + std::to_string(*k) + " sum " + std::to_string(want_sum) + "\n";
  std::string_view out = input.output;
  if (out == expected || out == std::string_view(expected).substr(0, expected.size() - 1)) {
    return v;
  }

  v.ok = false;
  v.kind = FindingKind::kWrongOutput;
  v.evidence = "expected \"" + printable_excerpt(expected, 100) + "\", stdout was \"" +
               printable_excerpt(std::string(out), 300) + "\"";
  std::string head = "reaper " + std::to_string(*k) + " should print exactly one line, `" +
                     expected.substr(0, expected.size() - 1) + "` (child i exits i % 256). ";

  std::string_view line = out;
  if (!line.empty() && line.back() == '\n') {
    line.remove_suffix(1);
  }
  std::optional<std::pair<std::uint64_t, std::uint64_t>> got;
  if (line.find('\n') == std::string_view::npos) {
    got = parse_result(line);
  }
  if (!got) {
    v.message = head + (out.empty()
                            ? std::string("Nothing was printed.")
                            : std::string("The output is not that one line (diagnostics go to "
                                          "stderr; output printed before fork and still in a "
                                          "stdio buffer is printed by every child too)."));
    return v;
  }
  auto [count, sum] = *got;
  if (count < *k) {
    v.message = head + "Only " + std::to_string(count) + " of " + std::to_string(*k) +
                " children were reaped. SIGCHLD signals coalesce: while one is pending, more "
                "children may exit and the handler runs once for all of them. Reap in a loop, "
                "`while (waitpid(-1, &st, WNOHANG) > 0)`, never one waitpid per signal, and "
                "wait (sigsuspend) until the count reaches K before printing.";
  } else if (count > *k) {
    v.message = head + std::to_string(count) + " children reaped, more than the " +
                std::to_string(*k) + " started: something is counted twice.";
  } else if (want_sum != 0 && sum == want_sum * 256) {
    v.message = head + "The sum is 256 times too large: it adds waitpid's raw status word "
                       "instead of the exit status; decode it with WEXITSTATUS(st).";
  } else {
    v.message = head + "The count is right but the sum of exit statuses is " +
                std::to_string(sum) + " instead of " + std::to_string(want_sum) +
                ": add WEXITSTATUS(st) of every reaped child exactly once (child i must exit "
                "with i % 256).";
  }
  return v;
}

}  // namespace ipcgrade
