// The terminal form of a Report: what `ipcgrade grade` prints for students
// and instructors. render_text_report() is the full report of one submission
// (header, build, tests, findings, a closing line telling the student what to
// do next); render_summary_table() is one line per submission, for grading a
// whole class.
//
// Both read at 80 columns without colour; colour only adds emphasis (green
// passed, red failed, yellow for the grader's own errors, bold headings).
// Every string that came from a student's program is made inert before it is
// printed: control bytes, invalid UTF-8, C1 controls and bidirectional
// overrides become visible escapes such as \x1b, so a hostile program cannot
// clear the screen, move the cursor or hide text. The only ESC bytes in the
// result are our own colour codes, and only when TextStyle::colour is set.
//
// Hidden tests keep their secrets: their output, and the evidence and repro
// command of their findings, are never rendered.
//
// Free functions over plain values; safe to call from any thread.
// colour_wanted() reads the environment, so it must not race with setenv().
#pragma once

#include <string>
#include <vector>

#include "grader/report.h"

namespace ipcgrade {

struct TextStyle {
  bool colour = false;  // emit ANSI colour and bold codes
};

// True when `fd` is a terminal, NO_COLOR is unset or empty
// (https://no-color.org), and TERM is not "dumb".
bool colour_wanted(int fd);

// The full report of one submission, for a student.
std::string render_text_report(const Report& report, const TextStyle& style);

// One row per submission under a header row, with aligned columns:
// submission, score ("7.5/10"), status (passed, failed, build failed,
// grader error), findings (kinds with counts, "timeout x2, fd-leak").
// A submission the grader failed on shows no score ("-/10"): it is not the
// student's.
std::string render_summary_table(const std::vector<Report>& reports, const TextStyle& style);

}  // namespace ipcgrade
