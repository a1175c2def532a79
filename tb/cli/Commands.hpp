// Subcommands of the memtile CLI. Each lives in its own file and adds itself to the app;
// the returned runner is called when that subcommand was selected on the command line.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace memtile::cli {

using Runner = std::function<int()>;

Runner add_dot_command(CLI::App& app);   // DotCommand.cpp
Runner add_xbar_command(CLI::App& app);  // XbarCommand.cpp
Runner add_run_command(CLI::App& app);   // RunCommand.cpp

}  // namespace memtile::cli
