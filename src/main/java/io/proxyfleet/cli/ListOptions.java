package io.proxyfleet.cli;

import io.proxyfleet.block.format.BlocklistFormat;
import java.nio.charset.Charset;
import picocli.CommandLine.Option;

/** The options every command that reads blocklist files shares: how to read them, how to answer. */
final class ListOptions {

  @Option(names = "--format", required = true, converter = BlocklistFileSet.FormatConverter.class,
      description = "ip-list or zapret-csv.")
  BlocklistFormat format;

  @Option(names = "--encoding", converter = BlocklistFileSet.CharsetConverter.class,
      description = "Text encoding. Default: UTF-8 for ip-list, windows-1251 for zapret-csv.")
  Charset encoding;

  @Option(names = "--output", defaultValue = "text", description = "text or json. Default: ${DEFAULT-VALUE}.")
  OutputFormat output;
}
