package io.proxyfleet.cli;

import io.proxyfleet.ranges.CloudRangeParseException;
import io.proxyfleet.ranges.CloudRangeParser;
import io.proxyfleet.ranges.CloudRanges;
import io.proxyfleet.ranges.RangePublisher;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Cloud range files named on a command line ({@code --aws FILE}, {@code --gcp FILE}). */
final class RangeFiles {

  private RangeFiles() {}

  /**
   * @throws UsageException naming the option, the file and the problem
   */
  static CloudRanges read(RangePublisher publisher, Path file, String service)
      throws UsageException {
    String option = "--" + publisher.wireName();
    try (InputStream in = Files.newInputStream(file)) {
      CloudRanges ranges = CloudRangeParser.parse(in, publisher, service);
      if (ranges.regions().isEmpty()) {
        throw new UsageException(
            option
                + " "
                + file
                + ": no region has prefixes of service '"
                + ranges.service()
                + "'; services in the file: "
                + ranges.stats().services().keySet()
                + " (choose one with --service)");
      }
      return ranges;
    } catch (NoSuchFileException e) {
      throw new UsageException(option + ": file " + file + " not found");
    } catch (IOException e) {
      throw new UsageException(option + ": cannot read " + file + ": " + e.getMessage());
    } catch (CloudRangeParseException e) {
      throw new UsageException(option + " " + file + ": " + e.getMessage());
    }
  }
}
