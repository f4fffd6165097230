#include "harness/checkers/prodcons.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace ipcgrade {
namespace {

// The largest P*N and C the checker takes from a test's arguments: far
// beyond what a lab test asks for (a few hundred thousand items), and small
// enough that the per-item tables stay a few hundred MiB at worst.
constexpr long long kMaxTotal = 1LL << 26;
constexpr long long kMaxConsumers = 1LL << 20;

// What one field of a line holds.
enum class Number { kOk, kNotANumber, kTooLarge };

// Decimal digits only (and, if `sign`, one leading '-'). Values beyond
// `limit` (in magnitude) saturate to limit+1 and give kTooLarge.
Number parse_number(std::string_view s, bool sign, long long limit, long long& out) {
  bool negative = false;
  if (sign && !s.empty() && s[0] == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  if (s.empty()) {
    return Number::kNotANumber;
  }
  long long v = 0;
  bool too_large = false;
  for (char ch : s) {
    if (ch < '0' || ch > '9') {
      return Number::kNotANumber;
    }
    if (!too_large) {
      v = v * 10 + (ch - '0');
      if (v > limit) {
        too_large = true;
        v = limit + 1;
      }
    }
  }
  out = negative ? -v : v;
  return too_large ? Number::kTooLarge : Number::kOk;
}

bool is_blank(char ch) { return ch == ' ' || ch == '\t' || ch == '\r'; }

// Splits a line into at most 3 blank-separated fields; returns how many
// there are (3 means "3 or more").
int split_fields(std::string_view line, std::string_view fields[3]) {
  int n = 0;
  std::size_t i = 0;
  while (i < line.size() && n < 3) {
    while (i < line.size() && is_blank(line[i])) {
      ++i;
    }
    if (i == line.size()) {
      break;
    }
    std::size_t start = i;
    while (i < line.size() && !is_blank(line[i])) {
      ++i;
    }
    fields[n++] = line.substr(start, i - start);
  }
  return n;
}

std::string line_ref(std::size_t number, std::string_view text) {
  return "line " + std::to_string(number) + ": " + quoted(text, 60);
}

std::string item_line_text(long long consumer, long long item) {
  return std::to_string(consumer) + " " + std::to_string(item);
}

std::string times(long long n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// One kind of problem found in the output: a sentence saying what came
// instead of what was expected, what to change, and the lines that show it.
struct Problem {
  std::string what;
  std::string advice;
  std::vector<std::string> evidence;
};

const char* const kItemsAdvice =
    "Every item must be taken exactly once. An item lost or taken twice means that two "
    "threads changed the buffer (its slots, indices or count) at the same time, that a "
    "consumer took from a buffer that was empty when it woke up, or that consumers stopped "
    "before all P*N items were taken. Hold the mutex around every access to shared state, "
    "re-test the condition in a `while` loop around pthread_cond_wait (a wakeup may be "
    "spurious, or another consumer may have taken the item first), and let a consumer "
    "return only once every item has been taken.";

}  // namespace

CheckVerdict check_prodcons(const CheckInput& input) {
  CheckVerdict v;
  // ------------------------------------------------------------ the test
  long long p = 0, c = 0, n = 0, cap = 0;
  const std::vector<std::string>& a = input.args;
  if (a.size() != 4 || parse_number(a[0], false, kMaxTotal, p) != Number::kOk || p < 1 ||
      parse_number(a[1], false, kMaxConsumers, c) != Number::kOk || c < 1 ||
      parse_number(a[2], false, kMaxTotal, n) != Number::kOk ||
      parse_number(a[3], false, kMaxTotal, cap) != Number::kOk || cap < 1 ||
      p * n > kMaxTotal) {
    std::string given;
    for (const std::string& arg : a) {
      given += (given.empty() ? "" : " ") + arg;
    }
    v.ok = false;
    v.message =
        "this test cannot be judged: the prodcons checker needs the arguments P C N CAP "
        "(P, C, CAP >= 1, N >= 0, P*N at most " + std::to_string(kMaxTotal) +
        "), but the test gives \"" + given +
        "\". This is a fault in the lab's lab.yaml, not in your program: tell your instructor.";
    v.evidence = "args: " + given;
    return v;
  }
  const long long total = p * n;
  const std::string expected_done = "done " + std::to_string(total);

  // --------------------------------------------- one pass over the lines
  // first_line[x]: the line that first printed item x (0: not yet);
  // taker[x]: the consumer on that line.
  std::vector<std::uint32_t> first_line(static_cast<std::size_t>(total), 0);
  std::vector<std::int32_t> taker(static_cast<std::size_t>(total), 0);

  struct FirstSeen {
    long long count = 0;
    std::size_t line = 0;
    std::string_view text;
    void note(std::size_t number, std::string_view t) {
      if (count++ == 0) {
        line = number;
        text = t;
      }
    }
  };
  FirstSeen malformed, bad_consumer, out_of_range;
  // Consumers may be numbered 0..C-1 (as the handout says) or 1..C (the
  // contract does not say): index C is fine unless index 0 is seen too.
  FirstSeen consumer_c;
  bool consumer_zero = false;
  long long duplicates = 0;
  std::size_t duplicate_line = 0, duplicate_original = 0;
  long long duplicate_item = 0, duplicate_consumer = 0, duplicate_original_consumer = 0;
  long long bad_consumer_index = 0, out_of_range_item = 0;
  long long item_lines = 0;
  long long done_count = 0;
  std::size_t done_first = 0, done_last = 0;
  std::string_view done_first_text;
  std::size_t done_wrong_line = 0;
  std::string_view done_wrong_text;

  std::string_view out = input.output;
  std::size_t pos = 0;
  std::size_t lines = 0;
  while (pos < out.size()) {
    std::size_t nl = out.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? out.size() : nl;
    std::string_view line = out.substr(pos, end - pos);
    pos = end + 1;
    ++lines;
    std::string_view f[3];
    int fields = split_fields(line, f);
    long long value = 0;
    if (fields == 2 && f[0] == "done") {
      if (parse_number(f[1], false, kMaxTotal, value) == Number::kNotANumber) {
        malformed.note(lines, line);
        continue;
      }
      if (done_count++ == 0) {
        done_first = lines;
        done_first_text = line;
      }
      done_last = lines;
      if (value != total && done_wrong_line == 0) {
        done_wrong_line = lines;
        done_wrong_text = line;
      }
      continue;
    }
    long long j = 0;
    Number jn = fields == 2 ? parse_number(f[0], false, kMaxConsumers, j) : Number::kNotANumber;
    Number xn = fields == 2 ? parse_number(f[1], true, kMaxTotal, value) : Number::kNotANumber;
    if (jn == Number::kNotANumber || xn == Number::kNotANumber) {
      malformed.note(lines, line);
      continue;
    }
    ++item_lines;
    if (jn == Number::kTooLarge || j > c) {
      if (bad_consumer.count == 0) {
        bad_consumer_index = j;
      }
      bad_consumer.note(lines, line);
      j = -1;  // the item still counts as taken; the consumer is unknown
    } else if (j == c) {
      consumer_c.note(lines, line);
    } else if (j == 0) {
      consumer_zero = true;
    }
    if (xn == Number::kTooLarge || value < 0 || value >= total) {
      if (out_of_range.count == 0) {
        out_of_range_item = value;
      }
      out_of_range.note(lines, line);
      continue;
    }
    std::size_t x = static_cast<std::size_t>(value);
    if (first_line[x] != 0) {
      if (duplicates++ == 0) {
        duplicate_line = lines;
        duplicate_item = value;
        duplicate_consumer = j;
        duplicate_original = first_line[x];
        duplicate_original_consumer = taker[x];
      }
      continue;
    }
    first_line[x] = static_cast<std::uint32_t>(lines);
    taker[x] = static_cast<std::int32_t>(j);
  }

  // ------------------------------------------- one pass over the items
  long long missing = 0, first_missing = 0;
  for (long long x = 0; x < total; ++x) {
    if (first_line[static_cast<std::size_t>(x)] == 0 && missing++ == 0) {
      first_missing = x;
    }
  }
  // For each producer, its items in increasing order must come on
  // increasing lines within each consumer. stamp[j] says which producer
  // consumer j's last_* entries belong to, so nothing is reset per producer.
  long long inversions = 0;
  std::size_t inv_early_line = 0, inv_late_line = 0;
  long long inv_consumer = 0, inv_small = 0, inv_large = 0;
  {
    // Indexed by consumer, 0..C (either numbering).
    std::vector<long long> stamp(static_cast<std::size_t>(c) + 1, -1);
    std::vector<std::uint32_t> last_line(static_cast<std::size_t>(c) + 1, 0);
    std::vector<long long> last_item(static_cast<std::size_t>(c) + 1, 0);
    for (long long i = 0; i < p; ++i) {
      for (long long x = i * n; x < (i + 1) * n; ++x) {
        std::uint32_t line = first_line[static_cast<std::size_t>(x)];
        if (line == 0) {
          continue;
        }
        if (taker[static_cast<std::size_t>(x)] < 0) {
          continue;  // reported as a bad consumer index
        }
        std::size_t j = static_cast<std::size_t>(taker[static_cast<std::size_t>(x)]);
        if (stamp[j] == i && last_line[j] > line) {
          // x came out before the smaller last_item of the same producer.
          if (inversions++ == 0 || line < inv_early_line) {
            inv_early_line = line;
            inv_late_line = last_line[j];
            inv_consumer = static_cast<long long>(j);
            inv_small = last_item[j];
            inv_large = x;
          }
        }
        stamp[j] = i;
        last_line[j] = line;
        last_item[j] = x;
      }
    }
  }

  // Both numberings at once: C+1 consumers. The lines naming C are the
  // ones out of the handout's 0..C-1.
  if (consumer_zero && consumer_c.count > 0) {
    if (bad_consumer.count == 0) {
      bad_consumer_index = c;
      bad_consumer.line = consumer_c.line;
      bad_consumer.text = consumer_c.text;
    }
    bad_consumer.count += consumer_c.count;
  }

  // ------------------------------------------------------------ verdict
  std::vector<Problem> problems;
  if (malformed.count > 0) {
    problems.push_back(
        {line_ref(malformed.line, malformed.text) +
             " is neither an item line `j x` (a consumer index, a space, an item) nor the "
             "final `" + expected_done + "`" +
             (malformed.count > 1 ? " (" + times(malformed.count, "such line", "such lines") + ")"
                                  : ""),
         "Print each line whole with one stdio call (printf(\"%d %d\\n\", j, x)): a line "
         "printed in pieces lets other threads' output land in the middle of it. Print "
         "nothing else on stdout; messages go to stderr.",
         {line_ref(malformed.line, malformed.text)}});
  }
  if (bad_consumer.count > 0) {
    problems.push_back(
        {line_ref(bad_consumer.line, bad_consumer.text) + " names consumer " +
             (bad_consumer_index > kMaxConsumers ? "a huge index"
                                                 : std::to_string(bad_consumer_index)) +
             ", but with C = " + std::to_string(c) + " the consumers are 0.." +
             std::to_string(c - 1) + " (or 1.." + std::to_string(c) + ", all numbered from 1)" +
             (bad_consumer.count > 1
                  ? " (" + times(bad_consumer.count, "such line", "such lines") + ")"
                  : ""),
         "Number the consumers 0 to C-1 and have each print its own index.",
         {line_ref(bad_consumer.line, bad_consumer.text)}});
  }
  if (out_of_range.count > 0) {
    std::string range = total == 0 ? "with N = 0 there are no items at all"
                                   : "the items are 0.." + std::to_string(total - 1) +
                                         " (P*N = " + std::to_string(total) + ")";
    problems.push_back(
        {line_ref(out_of_range.line, out_of_range.text) + " has item " +
             (out_of_range_item > kMaxTotal ? std::string("a huge number")
                                            : std::to_string(out_of_range_item)) +
             ", but " + range +
             (out_of_range.count > 1
                  ? " (" + times(out_of_range.count, "such line", "such lines") + ")"
                  : ""),
         kItemsAdvice,
         {line_ref(out_of_range.line, out_of_range.text)}});
  }
  if (duplicates > 0) {
    problems.push_back(
        {times(duplicates, "item line repeats", "item lines repeat") +
             " an item already printed: the first repeated item is " +
             std::to_string(duplicate_item) + ", taken on line " +
             std::to_string(duplicate_original) + " and again on line " +
             std::to_string(duplicate_line),
         kItemsAdvice,
         {line_ref(duplicate_original, item_line_text(duplicate_original_consumer,
                                                      duplicate_item)),
          line_ref(duplicate_line, item_line_text(duplicate_consumer, duplicate_item))}});
  }
  if (missing > 0) {
    problems.push_back(
        {std::to_string(missing) + " of the " + std::to_string(total) +
             " items never came: the first missing is item " + std::to_string(first_missing) +
             " (producer " + std::to_string(first_missing / n) + "'s item number " +
             std::to_string(first_missing % n) + ")",
         kItemsAdvice,
         {"missing: " + times(missing, "item", "items") + ", the smallest " +
          std::to_string(first_missing)}});
  }
  if (inversions > 0) {
    problems.push_back(
        {"consumer " + std::to_string(inv_consumer) + " printed item " +
             std::to_string(inv_large) + " (line " + std::to_string(inv_early_line) +
             ") before item " + std::to_string(inv_small) + " (line " +
             std::to_string(inv_late_line) + "), though producer " +
             std::to_string(inv_small / n) + " puts " + std::to_string(inv_small) +
             " first (" + times(inversions, "such pair", "such pairs") + ")",
         "The buffer must be FIFO: it hands out each producer's items in the order they were "
         "put. Put at the tail and take from the head (the oldest item) of a ring; a buffer "
         "that takes from the end it puts at is a stack (LIFO) and reverses them.",
         {line_ref(inv_early_line, item_line_text(inv_consumer, inv_large)),
          line_ref(inv_late_line, item_line_text(inv_consumer, inv_small))}});
  }
  const std::string join_advice =
      "main prints `done T` once, after joining every producer and consumer, so it is the "
      "last line.";
  if (done_count == 0) {
    std::string last_seen = "stdout is empty";
    if (lines > 0) {
      std::string_view rest = out;
      if (rest.back() == '\n') {
        rest.remove_suffix(1);
      }
      std::size_t start = rest.rfind('\n');
      last_seen = "last " + line_ref(lines, rest.substr(start == std::string_view::npos
                                                            ? 0
                                                            : start + 1));
    }
    problems.push_back({"there is no `" + expected_done + "` line (T = P*N = " +
                            std::to_string(p) + "*" + std::to_string(n) + ")",
                        join_advice,
                        {last_seen}});
  } else {
    if (done_wrong_line != 0) {
      problems.push_back({line_ref(done_wrong_line, done_wrong_text) + " should be `" +
                              expected_done + "`: T = P*N = " + std::to_string(p) + "*" +
                              std::to_string(n) + " = " + std::to_string(total) +
                              ", the number of items taken",
                          join_advice,
                          {line_ref(done_wrong_line, done_wrong_text)}});
    }
    if (done_count > 1) {
      problems.push_back({"`done` is printed " + std::to_string(done_count) +
                              " times (first on line " + std::to_string(done_first) +
                              ", last on line " + std::to_string(done_last) + ")",
                          join_advice,
                          {line_ref(done_first, done_first_text)}});
    } else if (done_last != lines) {
      problems.push_back({line_ref(done_first, done_first_text) + " is followed by " +
                              times(static_cast<long long>(lines - done_last), "more line",
                                    "more lines") +
                              "; it must be the last line",
                          join_advice,
                          {line_ref(done_first, done_first_text)}});
    }
  }
  if (problems.empty()) {
    return v;
  }

  v.ok = false;
  v.message = "stdout is not a correct run of prodcons " + std::to_string(p) + " " +
              std::to_string(c) + " " + std::to_string(n) + " " + std::to_string(cap) + ": " +
              problems[0].what + ". " + problems[0].advice;
  for (std::size_t k = 1; k < problems.size(); ++k) {
    v.message += (k == 1 ? " Also: " : "; ") + problems[k].what;
  }
  if (problems.size() > 1) {
    v.message += ".";
  }
  v.evidence = "expected " +
               (total == 0 ? std::string("no item line")
                           : times(total, "item line", "item lines") + " (items 0.." +
                                 std::to_string(total - 1) + ", each once)") +
               " and then `" + expected_done + "`; received " +
               times(static_cast<long long>(lines), "line", "lines") + " (" +
               std::to_string(item_lines) + " item, " + std::to_string(done_count) + " done, " +
               std::to_string(malformed.count) + " other)";
  for (const Problem& problem : problems) {
    for (const std::string& e : problem.evidence) {
      v.evidence += "\n" + e;
    }
  }
  return v;
}

}  // namespace ipcgrade
