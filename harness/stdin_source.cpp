#include "harness/stdin_source.h"

#include <fstream>
#include <sstream>

namespace ipcgrade {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

std::string generate_bytes(std::uint64_t bytes, std::uint64_t seed, StdinSpec::Alphabet alphabet) {
  std::string out;
  out.resize(bytes);
  std::uint64_t state = seed;
  if (alphabet == StdinSpec::Alphabet::kBinary) {
    std::uint64_t i = 0;
    for (; i + 8 <= bytes; i += 8) {
      std::uint64_t r = splitmix64(state);
      for (int b = 0; b < 8; ++b) {
        out[i + b] = static_cast<char>(r >> (8 * b));
      }
    }
    std::uint64_t r = splitmix64(state);
    for (int b = 0; i < bytes; ++i, ++b) {
      out[i] = static_cast<char>(r >> (8 * b));
    }
    return out;
  }
  // Text: lowercase words of 1-8 letters, lines of up to ~60 characters,
  // every line ends with '\n' (the last byte is '\n' when bytes > 0).
  std::uint64_t line = 0;
  for (std::uint64_t i = 0; i < bytes; ++i) {
    if (i + 1 == bytes || line >= 60) {
      out[i] = '\n';
      line = 0;
      continue;
    }
    std::uint64_t r = splitmix64(state);
    out[i] = (r % 7 == 0 && line > 0 && out[i - 1] != ' ') ? ' '
                                                          : static_cast<char>('a' + (r >> 8) % 26);
    ++line;
  }
  return out;
}

Result<std::string> materialize_stdin(const StdinSpec& spec) {
  switch (spec.kind) {
    case StdinSpec::Kind::kText:
      return spec.text;
    case StdinSpec::Kind::kGenerate:
      return generate_bytes(spec.bytes, spec.seed, spec.alphabet);
    case StdinSpec::Kind::kFile: {
      std::ifstream in(spec.file, std::ios::binary);
      if (!in) {
        return Status::InvalidInput(spec.file.string() + ": cannot read the test's stdin file");
      }
      std::ostringstream s;
      s << in.rdbuf();
      return s.str();
    }
  }
  return Status::Internal("unknown stdin kind");
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789-_./=:,+@%") == std::string::npos) {
    return s;
  }
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

std::string stdin_shell_command(const StdinSpec& spec) {
  switch (spec.kind) {
    case StdinSpec::Kind::kText:
      return spec.text.empty() ? "true" : "printf '%s' " + shell_quote(spec.text);
    case StdinSpec::Kind::kFile:
      return "cat " + shell_quote(spec.file.string());
    case StdinSpec::Kind::kGenerate:
      return "ipcgrade gen --bytes " + std::to_string(spec.bytes) + " --seed " +
             std::to_string(spec.seed) +
             (spec.alphabet == StdinSpec::Alphabet::kText ? " --alphabet text" : "");
  }
  return "true";
}

}  // namespace ipcgrade
