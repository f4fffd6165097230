#include "harness/checkers/shmcopy.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "base/sha256.h"
#include "harness/run_judge.h"

namespace ipcgrade {
namespace {

constexpr std::size_t kDefaultChunk = 4096;
// Above this size the evidence carries both streams' SHA-256.
constexpr std::size_t kHashAbove = 64 * 1024;
// Bytes of output, from the first difference on, searched for in the input
// to tell a gap from a repeat. Long enough that generated data (binary or
// text) does not match by accident.
constexpr std::size_t kProbe = 48;
constexpr std::size_t kMinProbe = 16;

std::string bytes(std::size_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

// CHUNK from the test's args when it is a plain number, else the default.
std::size_t chunk_of(const std::vector<std::string>& args) {
  std::optional<std::uint64_t> v =
      args.size() == 1 ? parse_count(args[0], 999999999) : std::nullopt;
  return v && *v > 0 ? static_cast<std::size_t>(*v) : kDefaultChunk;
}

std::string excerpt(std::string_view s, std::size_t from, std::size_t n) {
  if (from >= s.size()) {
    return "\"\" (end of stream)";
  }
  return "\"" + printable_excerpt(std::string(s.substr(from, n)), 2 * n) + "\"";
}

}  // namespace

CheckVerdict check_shmcopy(const CheckInput& input) {
  const std::string_view in = input.stdin_data;
  const std::string_view out = input.output;
  if (in == out) {
    return CheckVerdict{};
  }
  const std::size_t chunk = chunk_of(input.args);
  const std::size_t common = std::min(in.size(), out.size());
  const std::size_t at =
      static_cast<std::size_t>(std::mismatch(in.begin(), in.begin() + common, out.begin()).first -
                               in.begin());

  CheckVerdict v;
  v.ok = false;
  v.kind = FindingKind::kWrongOutput;
  std::string evidence = "input " + bytes(in.size()) + ", output " + bytes(out.size()) +
                         "; first difference at byte " + std::to_string(at) + " (CHUNK " +
                         std::to_string(chunk) + ")";
  std::string shape;

  if (at == out.size()) {
    // The output is a prefix of the input: the copy stopped early.
    const std::size_t missing = in.size() - out.size();
    shape = "stdout stops early: the first " + bytes(out.size()) + " of " + bytes(in.size()) +
            " are right, then the last " + bytes(missing) +
            (missing == 1 ? " is missing." : " are missing.");
    if (missing < chunk && out.size() % chunk == 0) {
      shape +=
          " That is exactly the last, partial chunk: a read that returns fewer than CHUNK "
          "bytes is still data to hand over; only a read that returns 0 is the end of input, "
          "and the end must be signalled after the last bytes, not instead of them.";
    } else {
      shape +=
          " The end of data was signalled too soon (a short read taken for the end of input?), "
          "or the child stopped writing, or the parent exited before the child had written "
          "everything.";
    }
  } else if (in.empty()) {
    shape = "the input was empty, so stdout must be empty too, but it holds " + bytes(out.size()) +
            ". With no data, the only hand-over is the end of data, and the child must write "
            "nothing for it.";
  } else if (at == in.size()) {
    // The input is a prefix of the output: something more came after it.
    const std::size_t extra = out.size() - in.size();
    shape = "stdout holds the whole input, then " + bytes(extra) + " more.";
    std::string_view tail = out.substr(in.size());
    if (!in.empty() && in.find(tail.substr(0, std::min(tail.size(), kProbe))) != std::string_view::npos) {
      shape +=
          " The extra bytes repeat earlier input: a chunk was written twice (a hand-over "
          "taken again, or a stale length used after the end of data).";
    } else {
      shape += " The child writes past the end of the data (a wrong length, or the whole buffer).";
    }
  } else {
    // A difference inside both streams: find where the output goes on.
    const std::size_t probe_len = std::min(kProbe, out.size() - at);
    const std::string_view probe = out.substr(at, probe_len);
    std::size_t later = std::string_view::npos;
    std::size_t earlier = std::string_view::npos;
    if (probe_len >= kMinProbe) {
      later = in.find(probe, at + 1);
      std::size_t back = in.rfind(probe, at == 0 ? 0 : at - 1);
      if (back != std::string_view::npos && back < at) {
        earlier = back;
      }
    }
    if (later != std::string_view::npos) {
      shape = "stdout has a gap: " +
              (at == 0 ? std::string("from its first byte, ")
                       : "up to byte " + std::to_string(at) + " it is right, then ") +
              bytes(later - at) + " of the input are skipped and the copy goes on from input byte " +
              std::to_string(later) +
              ". A chunk was lost: the parent refilled the buffer before the child had written "
              "out the previous hand-over, or a short read or write dropped its remainder.";
    } else if (earlier != std::string_view::npos) {
      shape = "stdout repeats data: at byte " + std::to_string(at) +
              " it goes on with input bytes from offset " + std::to_string(earlier) +
              " again. A chunk was written twice: the child took a hand-over that was not new "
              "(the buffer was not refilled, or a wake-up was counted twice).";
    } else {
      shape = "stdout differs from the input from byte " + std::to_string(at) +
              " on. Bytes changed while they were being copied: the parent overwrote the "
              "buffer before the child had written it out (the child must write first, and "
              "only then hand the buffer back).";
    }
  }

  evidence += "\nexpected: " + excerpt(in, at, 32) + "\nreceived: " + excerpt(out, at, 32);
  if (in.size() > kHashAbove || out.size() > kHashAbove) {
    evidence += "\nsha256 input " + sha256_hex(in) + "\nsha256 output " + sha256_hex(out);
  }
  v.message = "stdout must be exactly the bytes of stdin. " + shape;
  v.evidence = std::move(evidence);
  return v;
}

}  // namespace ipcgrade
