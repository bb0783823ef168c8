package io.proxyfleet.cli;

import picocli.CommandLine.Command;

/** Tools for blocklist files, built on the parser and index the operator runs. */
@Command(
    name = "blocklist",
    mixinStandardHelpOptions = true,
    description = "Inspect blocklist files with the operator's own parser and index.",
    subcommands = {BlocklistStatsCommand.class, BlocklistCheckCommand.class})
final class BlocklistCommand {}
