// The bytes a test feeds on a program's stdin, and a shell command that
// produces the same bytes for a reproduce line.
//
// Generated input is a pure function of (bytes, seed, alphabet): splitmix64,
// the same on every machine and grader version, so a reproduce command
// (`ipcgrade gen --bytes N --seed S`) gives exactly what the test fed.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "harness/lab_spec.h"

namespace ipcgrade {

std::string generate_bytes(std::uint64_t bytes, std::uint64_t seed, StdinSpec::Alphabet alphabet);

// The whole input of a test; an error names the file that could not be read.
Result<std::string> materialize_stdin(const StdinSpec& spec);

// A shell command whose stdout is exactly the test's input.
std::string stdin_shell_command(const StdinSpec& spec);

// `s` quoted for a POSIX shell (single quotes; bare when it is safe).
std::string shell_quote(const std::string& s);

}  // namespace ipcgrade
