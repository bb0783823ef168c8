package io.proxyfleet.cli;

import io.proxyfleet.block.format.BlocklistFormat;
import io.proxyfleet.block.format.ParseLimits;
import java.nio.charset.Charset;
import picocli.CommandLine.Option;

/** The options every command that reads blocklist files shares: how to read them, how to answer. */
final class ListOptions {

  @Option(
      names = "--format",
      required = true,
      converter = BlocklistFileSet.FormatConverter.class,
      description = "ip-list or zapret-csv.")
  BlocklistFormat format;

  @Option(
      names = "--encoding",
      converter = BlocklistFileSet.CharsetConverter.class,
      description = "Text encoding. Default: UTF-8 for ip-list, windows-1251 for zapret-csv.")
  Charset encoding;

  @Option(
      names = "--max-entries",
      defaultValue = "" + ParseLimits.DEFAULT_MAX_ENTRIES,
      description =
          "Stop with an error after this many values per file (memory stays bounded). Default: ${DEFAULT-VALUE}.")
  int maxEntries;

  @Option(
      names = "--max-content-bytes",
      defaultValue = "" + ParseLimits.DEFAULT_MAX_BYTES,
      description =
          "Stop with an error after this many bytes of content per file, after decompression. Default: ${DEFAULT-VALUE}.")
  long maxContentBytes;

  ParseLimits limits() {
    return new ParseLimits(maxContentBytes, maxEntries);
  }

  @Option(
      names = "--output",
      defaultValue = "text",
      description = "text or json. Default: ${DEFAULT-VALUE}.")
  OutputFormat output;
}
