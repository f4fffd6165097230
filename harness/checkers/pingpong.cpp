#include "harness/checkers/pingpong.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/run_judge.h"
#include "sandbox/wait_status.h"

namespace ipcgrade {
namespace {

// Counts larger than this are not numbers the lab could mean.
constexpr std::uint64_t kMaxNumber = 1000000000000ULL;

// The output's lines, without their newlines. A missing newline after the
// last line is accepted: the line is still there.
std::vector<std::string_view> split_lines(std::string_view out) {
  std::vector<std::string_view> lines;
  while (!out.empty()) {
    std::size_t nl = out.find('\n');
    if (nl == std::string_view::npos) {
      lines.push_back(out);
      break;
    }
    lines.push_back(out.substr(0, nl));
    out.remove_prefix(nl + 1);
  }
  return lines;
}

// What `child exited S` says, for S != 0.
std::string explain_child_status(std::uint64_t s) {
  std::string text = "The child's exit status is " + std::to_string(s) + ", not 0: ";
  if (s == 138) {
    return text +
           "138 = 128 + 10, the child was killed by SIGUSR1. A SIGUSR1 reached it before it "
           "was ready (its handler installed, or the signal blocked): the default action of "
           "SIGUSR1 is to terminate. Install the handlers and block the signals in the parent "
           "BEFORE fork (the child inherits both), then wait with sigsuspend.";
  }
  if (s == 143) {
    return text +
           "143 = 128 + 15, the child was killed by SIGTERM. The SIGTERM that ends the game "
           "reached it before its SIGTERM handler was installed or the signal blocked (with "
           "N = 0 the parent sends it right after fork). Install the handler and block SIGTERM "
           "before fork.";
  }
  if (s == 140) {
    return text +
           "140 = 128 + 12, the child was killed by SIGUSR2, a signal only the parent should "
           "receive: check which pid each kill() targets.";
  }
  if (s > 128 && s < 128 + 65) {
    return text + std::to_string(s) + " = 128 + " + std::to_string(s - 128) +
           ", the child was killed by " + signal_name(static_cast<int>(s - 128)) +
           " (the shell's convention: 128+S for a child killed by signal S).";
  }
  return text + "the child must exit 0 after printing its line when SIGTERM arrives (decode the "
                "status with WIFEXITED/WEXITSTATUS and WIFSIGNALED/WTERMSIG).";
}

}  // namespace

CheckVerdict check_pingpong(const CheckInput& input) {
  CheckVerdict v;
  std::optional<std::uint64_t> n;
  if (input.args.size() == 1) {
    n = parse_count(input.args[0], kMaxNumber);
  }
  if (!n) {
    v.ok = false;
    v.message =
        "the lab's test is misconfigured: the pingpong checker needs exactly one argument, "
        "the round count N (tell your instructor)";
    v.evidence = "test arguments: " + std::to_string(input.args.size());
    return v;
  }
  const std::string count = std::to_string(*n);
  const std::string expected = "child: " + count + "\nparent: " + count + "\nchild exited 0\n";
  if (input.output == expected ||
      input.output == std::string_view(expected).substr(0, expected.size() - 1)) {
    return v;
  }

  // Sort every line into one of the three forms; anything else is unexpected.
  struct Seen {
    int lines = 0;
    std::size_t first_index = 0;
    std::optional<std::uint64_t> value;  // of the first such line
  };
  Seen child, parent, exited;
  std::vector<std::string> unexpected;
  std::vector<std::string_view> lines = split_lines(input.output);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    struct Form {
      std::string_view prefix;
      Seen* seen;
    };
    bool matched = false;
    for (Form f : {Form{"child: ", &child}, Form{"parent: ", &parent},
                   Form{"child exited ", &exited}}) {
      if (line.substr(0, f.prefix.size()) == f.prefix) {
        std::optional<std::uint64_t> value = parse_count(line.substr(f.prefix.size()), kMaxNumber);
        if (value) {
          if (f.seen->lines++ == 0) {
            f.seen->first_index = i;
            f.seen->value = value;
          }
          matched = true;
        }
        break;
      }
    }
    if (!matched) {
      unexpected.push_back(printable_excerpt(std::string(line), 60));
    }
  }

  // The most telling problem first: a dead child explains missing lines.
  std::vector<std::string> problems;
  if (exited.value && *exited.value != 0) {
    problems.push_back(explain_child_status(*exited.value));
  }
  if (child.lines == 0) {
    problems.push_back("There is no `child: R` line: when SIGTERM arrives the child must print "
                       "how many SIGUSR1 it received, then exit 0.");
  } else if (*child.value < *n) {
    problems.push_back(
        "The child counted " + std::to_string(*child.value) + " SIGUSR1 of the " + count +
        " sent: a signal was lost. Signals of one kind do not queue: a SIGUSR1 sent while "
        "another is still pending merges with it (the parent must wait for each SIGUSR2 before "
        "the next SIGUSR1), and one that arrives between testing a flag and calling pause() "
        "is never waited for (block the signals, wait with sigsuspend).");
  } else if (*child.value > *n) {
    problems.push_back("The child counted " + std::to_string(*child.value) +
                       " SIGUSR1, more than the " + count +
                       " the parent sends: something is counted twice (count in the handler "
                       "only, once per delivery).");
  }
  if (parent.lines == 0) {
    problems.push_back("There is no `parent: A` line: after reaping the child the parent must "
                       "print how many SIGUSR2 answers it received.");
  } else if (*parent.value < *n) {
    problems.push_back(
        "The parent received " + std::to_string(*parent.value) + " SIGUSR2 answers of " + count +
        ": an answer was lost (the child answered two pings with signals that merged, or the "
        "parent stopped waiting early).");
  } else if (*parent.value > *n) {
    problems.push_back("The parent received " + std::to_string(*parent.value) +
                       " SIGUSR2 answers, more than the " + count + " rounds played.");
  }
  if (exited.lines == 0) {
    problems.push_back("There is no `child exited S` line: the parent must reap the child with "
                       "waitpid and print its exit status.");
  }
  for (const Seen* s : {&child, &parent, &exited}) {
    if (s->lines > 1) {
      problems.push_back("A line appears " + std::to_string(s->lines) +
                         " times; each of the three lines is printed exactly once (output "
                         "printed before fork and still in a stdio buffer is printed twice).");
      break;
    }
  }
  if (!unexpected.empty()) {
    problems.push_back("Unexpected line \"" + unexpected.front() +
                       "\": only the three result lines go to stdout (diagnostics go to "
                       "stderr).");
  }
  if (child.lines > 0 && parent.lines > 0 && exited.lines > 0 &&
      !(child.first_index < parent.first_index && parent.first_index < exited.first_index)) {
    problems.push_back("The lines are out of order: the child prints its line before it exits, "
                       "and the parent prints its two lines only after reaping the child.");
  }
  if (problems.empty()) {
    // Right lines, but the text differs otherwise (extra blank line, spaces...).
    problems.push_back("The output differs from the three exact lines.");
  }

  v.ok = false;
  v.kind = FindingKind::kWrongOutput;
  v.message = "pingpong " + count + " should print exactly `child: " + count + "`, `parent: " +
              count + "` and `child exited 0`, in that order. " + problems.front();
  for (std::size_t i = 1; i < problems.size() && i < 3; ++i) {
    v.message += " " + problems[i];
  }
  v.evidence = "expected \"" + printable_excerpt(expected, 200) + "\", stdout was \"" +
               printable_excerpt(std::string(input.output), 300) + "\"";
  return v;
}

}  // namespace ipcgrade
