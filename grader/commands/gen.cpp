// `ipcgrade gen`: prints the bytes a test generates for its stdin, so a
// reproduce command can feed a program exactly what the test fed it.
#include <unistd.h>

#include <iostream>

#include "grader/cli.h"
#include "grader/commands/command.h"
#include "harness/stdin_source.h"

namespace ipcgrade {

void add_gen_command(CLI::App& app, const CliContext&, int* exit_code) {
  struct Options {
    std::uint64_t bytes = 0;
    std::uint64_t seed = 1;
    std::string alphabet = "binary";
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "gen", "Print a test's generated stdin (used by reproduce commands).");
  cmd->add_option("--bytes", opts->bytes, "How many bytes")->required()->check(
      CLI::Range(std::uint64_t{0}, std::uint64_t{1} << 30));
  cmd->add_option("--seed", opts->seed, "The test's seed (default 1)");
  cmd->add_option("--alphabet", opts->alphabet, "binary (every byte value) or text (lines of words)")
      ->check(CLI::IsMember({"binary", "text"}));
  cmd->callback([opts, exit_code] {
    std::string data = generate_bytes(opts->bytes, opts->seed,
                                      opts->alphabet == "text" ? StdinSpec::Alphabet::kText
                                                               : StdinSpec::Alphabet::kBinary);
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(1, data.data() + done, data.size() - done);
      if (n <= 0) {
        *exit_code = errno == EPIPE ? kExitOk : kExitInternal;  // a reader may stop early
        return;
      }
      done += static_cast<std::size_t>(n);
    }
    *exit_code = kExitOk;
  });
}

}  // namespace ipcgrade
