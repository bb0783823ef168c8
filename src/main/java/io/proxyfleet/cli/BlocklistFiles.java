package io.proxyfleet.cli;

import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.ParsedBlocklist;
import io.proxyfleet.block.format.BlocklistFormat;
import io.proxyfleet.block.format.BlocklistParseException;
import io.proxyfleet.block.format.BlocklistParser;
import io.proxyfleet.replay.BlockTimeline;
import io.proxyfleet.replay.TimelineFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Blocklist files named on a command line as {@code FORMAT:FILE}, read and merged into one index.
 */
final class BlocklistFiles {

  /** The compiled block timeline CSV, read with every reported range counted as blocked. */
  static final String TIMELINE_CSV = "timeline-csv";

  /** One file as read: its entries, what was skipped and why. */
  record Loaded(
      String source,
      String format,
      int entries,
      int skipped,
      List<String> firstErrors,
      long ipv4Addresses) {}

  /** Everything read, merged. */
  record Merged(BlockIndex index, List<Loaded> files) {}

  private BlocklistFiles() {}

  static String formats() {
    return Stream.concat(
            Arrays.stream(BlocklistFormat.values()).map(BlocklistFormat::wireName),
            Stream.of(TIMELINE_CSV))
        .collect(Collectors.joining(", "));
  }

  /**
   * @throws UsageException naming the argument and the fix
   */
  static Merged read(List<String> specs) throws UsageException {
    BlockIndex.Builder merged = BlockIndex.builder();
    List<Loaded> files = new ArrayList<>();
    for (String spec : specs) {
      int colon = spec.indexOf(':');
      if (colon <= 0 || colon == spec.length() - 1) {
        throw new UsageException(
            "--blocklist '"
                + spec
                + "': write FORMAT:FILE, e.g. ip-list:blocked.txt (formats: "
                + formats()
                + ")");
      }
      String format = spec.substring(0, colon);
      Path file = Path.of(spec.substring(colon + 1));
      Loaded loaded;
      BlockIndex index;
      try (InputStream in = Files.newInputStream(file)) {
        if (format.equals(TIMELINE_CSV)) {
          BlockTimeline timeline = BlockTimeline.read(in);
          index = timeline.index();
          loaded =
              new Loaded(
                  file.toString(),
                  format,
                  timeline.events().size(),
                  timeline.skippedRows(),
                  timeline.firstErrors(),
                  index.ipv4Addresses());
        } else {
          BlocklistFormat f =
              BlocklistFormat.fromWireName(format)
                  .orElseThrow(
                      () ->
                          new UsageException(
                              "--blocklist '"
                                  + spec
                                  + "': unknown format '"
                                  + format
                                  + "'; use one of "
                                  + formats()));
          ParsedBlocklist parsed = BlocklistParser.parse(in, f, null);
          index = parsed.index();
          loaded =
              new Loaded(
                  file.toString(),
                  format,
                  parsed.entries(),
                  parsed.parseErrors(),
                  parsed.firstErrors(),
                  index.ipv4Addresses());
        }
      } catch (NoSuchFileException e) {
        throw new UsageException("--blocklist '" + spec + "': file " + file + " not found");
      } catch (IOException e) {
        throw new UsageException(
            "--blocklist '" + spec + "': cannot read " + file + ": " + e.getMessage());
      } catch (BlocklistParseException | TimelineFormatException e) {
        throw new UsageException("--blocklist '" + spec + "': " + e.getMessage());
      }
      merged.addAll(index);
      files.add(loaded);
    }
    return new Merged(merged.build(), files);
  }
}
