// Reproduce commands: how a student runs one test of their submission again.
// Every finding carries one (Finding::repro), and `ipcgrade repro` prints the
// second form below.
//
// Two forms, because they serve different moments:
//   - with the grader: `ipcgrade repro SUBMISSION --lab LAB --test NAME
//     [--seed S]` rebuilds, runs the test exactly as grading did (same input,
//     same fault plan and seed) and judges it again, so the student learns
//     whether the failure is still there and why;
//   - without the grader: the shell pipeline that feeds the test's input to
//     the program (`cd SUB && make -s && printf ... | ./relay cat`), for
//     running it by hand under gdb or strace, or where ipcgrade is not
//     installed. It shows what the test does but judges nothing; generated
//     input and faults still need `ipcgrade gen` and the fault library.
//
// Free functions over plain values; safe from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "harness/lab_spec.h"

namespace ipcgrade {

// The value of IPCGRADE_FAULTS for a test's plan and a repetition's seed
// ("short_io,eintr,seed=12").
std::string fault_plan_text(const FaultPlan& plan, std::uint64_t seed);

// `ipcgrade repro SUBMISSION --lab LAB --test NAME [--seed S]`; the seed is
// given only when the test injects faults (it chooses nothing otherwise).
std::string grader_repro_command(const std::string& lab, const std::filesystem::path& submission,
                                 const TestSpec& test, std::uint64_t seed);

// "INPUT | ENV ./prog 'arg'...": the test's input piped into its program,
// with `env` (assignments, or empty) in front of it.
std::string program_pipeline(const TestSpec& test, const std::string& env);

// The shell pipeline, from where the grader was run.
std::string shell_repro_command(const TestSpec& test, const std::filesystem::path& submission,
                                const std::filesystem::path& shim, std::uint64_t seed);

// What a finding's `repro` holds: the grader's command, then on a second
// line the shell pipeline as a comment ("# without the grader: ..."), so
// the whole field stays one runnable shell snippet. Without a lab (`lab`
// empty: the caller did not say how the user named it) only the shell form.
std::string finding_repro_command(const std::string& lab, const std::filesystem::path& submission,
                                  const TestSpec& test, const std::filesystem::path& shim,
                                  std::uint64_t seed);

}  // namespace ipcgrade
