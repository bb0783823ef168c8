package io.proxyfleet.blocklist;

import io.proxyfleet.block.format.BlocklistFormat;
import io.proxyfleet.cli.Main;
import io.proxyfleet.testing.FeedServer;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Runs in a forked JVM with a small heap ({@link GzipBombTest}): reads a gzip bomb the way the CLI
 * or the operator would, then prints what happened and the peak heap on stdout, one key=value a
 * line.
 */
public final class GzipBombProbe {

  private GzipBombProbe() {}

  public static void main(String[] args) throws Exception {
    Path bomb = Path.of(args[1]);
    switch (args[0]) {
      case "cli" -> {
        int code =
            Main.run(new String[] {"blocklist", "stats", "--format", "ip-list", bomb.toString()});
        System.out.println("exit=" + code);
      }
      case "url" -> {
        try (FeedServer server = new FeedServer()) {
          server.content("/bomb.lst.gz", Files.readAllBytes(bomb), null, null);
          HttpSourceFetcher fetcher =
              new HttpSourceFetcher(new SourceAccess("default", List.of("127.0.0.0/8")));
          FetchResult r =
              fetcher.fetch(
                  new FetchRequest(
                      "bomb",
                      "spec.sources[0]",
                      URI.create(server.url("/bomb.lst.gz")),
                      Optional.empty(),
                      null,
                      null,
                      false,
                      Duration.ofSeconds(60),
                      256L << 20,
                      BlocklistFormat.IP_LIST,
                      null));
          System.out.println(
              "result="
                  + (r instanceof FetchResult.Failed f
                      ? f.failure().reason() + " " + f.failure().message()
                      : r));
        }
      }
      default -> throw new IllegalArgumentException(args[0]);
    }
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    System.out.println("peakHeapBytes=" + peak);
  }
}
