package io.proxyfleet.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the one jar. */
@Command(
    name = "proxyfleet",
    mixinStandardHelpOptions = true,
    version = "proxyfleet 0.1.0",
    description = "Keeps fleets of proxies alive while a censor blocks their IP ranges.",
    subcommands = {
      OperatorCommand.class,
      LocalCommand.class,
      LinksCommand.class,
      ProbeAgentCommand.class,
      BenchCommand.class,
      BlocklistCommand.class,
      RangesCommand.class,
      ReplayCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main {

  public static void main(String[] args) {
    System.exit(run(args));
  }

  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** The configured command line, for callers (and tests) that redirect its output. */
  public static CommandLine commandLine() {
    return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
  }
}
