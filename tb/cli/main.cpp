// memtile: command-line front end. Bad input (InputError, CLI parse errors) prints one line
// naming the file/field and exits with code 2; nothing is half-written.
#include <CLI/CLI.hpp>
#include <iostream>
#include <map>

#include "Commands.hpp"
#include "memtile/core/Errors.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "memtile: a SystemC/TLM-2.0 model of a memristor in-memory-computing accelerator.\n"
      "Subcommands simulate matrix products on memristor crossbars (dot) and solve crossbar\n"
      "circuits with wire parasitics (xbar). `memtile <subcommand> --help` lists every flag."};
  app.require_subcommand(1);
  std::map<CLI::App*, memtile::cli::Runner> runners;
  auto add = [&](memtile::cli::Runner r) { runners[app.get_subcommands({}).back()] = std::move(r); };
  add(memtile::cli::add_dot_command(app));
  add(memtile::cli::add_xbar_command(app));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "memtile: error: " << e.what() << "\n";
    return 2;
  }
  try {
    for (auto& [sub, run] : runners)
      if (sub->parsed()) return run();
  } catch (const memtile::core::InputError& e) {
    std::cerr << "memtile: error: " << e.what() << "\n";
    return 2;
  } catch (const std::bad_alloc&) {
    std::cerr << "memtile: error: out of memory (operands too large for this machine)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "memtile: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
