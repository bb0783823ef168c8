package io.proxyfleet.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.ParsedBlocklist;
import io.proxyfleet.block.format.BlocklistFormat;
import io.proxyfleet.block.format.BlocklistParser;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.LongPredicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Measures the block index and parser on the real registry files, side by side with {@link
 * NaiveBlocklist} in the same JVM and run. Reports figures and asserts nothing: timings belong
 * here, not in unit tests.
 */
@Command(
    name = "blocklist",
    mixinStandardHelpOptions = true,
    description =
        "Measure blocklist load time, retained heap, lookups per second and zapret-csv parse"
            + " throughput on the real files, next to a straightforward baseline.")
final class BlocklistBenchCommand implements Callable<Integer> {

  static final String IP_LIST_FILE = "zi_ipv4_values_2025-10-01T1234Z.txt";
  static final String ZAPRET_FILE = "zi_dump-08_2020-01-30_cp1251.csv";

  @Spec CommandSpec spec;

  @Option(
      names = "--data",
      description =
          "Directory with "
              + IP_LIST_FILE
              + " and "
              + ZAPRET_FILE
              + ". Default: src/test/resources/data/rkn in a checkout, else the nearest shared/data/rkn above the working directory.")
  Path data;

  @Option(
      names = "--runs",
      defaultValue = "7",
      description =
          "Measured runs per figure (after warm-up); the median"
              + " is reported. Default: ${DEFAULT-VALUE}.")
  int runs;

  @Option(
      names = "--probes",
      defaultValue = "4194304",
      description =
          "Pre-generated random addresses per lookup"
              + " set (more than the CPU caches hold). Default: ${DEFAULT-VALUE}.")
  int probeCount;

  @Option(
      names = "--lookup-millis",
      defaultValue = "300",
      description = "Length of one lookup round. Default:" + " ${DEFAULT-VALUE}.")
  int lookupMillis;

  @Option(
      names = "--output",
      defaultValue = "text",
      description = "text or json. Default: ${DEFAULT-VALUE}.")
  OutputFormat output;

  /** Keeps results reachable so the JIT cannot drop the work that produced them. */
  private static volatile long sink;

  @Override
  public Integer call() throws Exception {
    Path dir = data != null ? data : locateData();
    if (dir == null
        || !Files.isReadable(dir.resolve(IP_LIST_FILE))
        || !Files.isReadable(dir.resolve(ZAPRET_FILE))) {
      spec.commandLine()
          .getErr()
          .println(
              "bench blocklist: "
                  + IP_LIST_FILE
                  + " and "
                  + ZAPRET_FILE
                  + " not found in "
                  + (dir == null
                      ? "any shared/data/rkn above " + Path.of("").toAbsolutePath()
                      : dir)
                  + "; pass --data DIR");
      return 2;
    }
    if (runs < 1 || probeCount < 1 || lookupMillis < 1) {
      spec.commandLine()
          .getErr()
          .println("bench blocklist: --runs, --probes and --lookup-millis must be at least 1");
      return 2;
    }
    byte[] ipList = Files.readAllBytes(dir.resolve(IP_LIST_FILE));
    byte[] zapret = Files.readAllBytes(dir.resolve(ZAPRET_FILE));
    Charset cp1251 = BlocklistFormat.ZAPRET_CSV.defaultCharset();

    Map<String, Object> report = new LinkedHashMap<>();
    report.put("java", System.getProperty("java.version"));
    report.put("cores", Runtime.getRuntime().availableProcessors());
    report.put("maxHeapMb", Runtime.getRuntime().maxMemory() >> 20);
    report.put("loadAverage", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    report.put("runs", runs);

    // Order matters for the cold figures: each implementation's first load is its first use in this
    // JVM.
    Timing ourLoad = time(() -> parseIpList(ipList));
    Timing naiveLoad =
        time(
            () ->
                NaiveBlocklist.readIpList(
                    new ByteArrayInputStream(ipList), StandardCharsets.UTF_8));
    report.put(
        "load",
        Map.of(
            "file",
            IP_LIST_FILE,
            "bytes",
            ipList.length,
            "proxyfleet",
            ourLoad.toMap("ms", 1e-6),
            "baseline",
            naiveLoad.toMap("ms", 1e-6),
            "target",
            "< 500 ms"));

    double ourHeap = medianRetainedMb(() -> parseIpList(ipList));
    double naiveHeap =
        medianRetainedMb(
            () ->
                NaiveBlocklist.readIpList(
                    new ByteArrayInputStream(ipList), StandardCharsets.UTF_8));
    report.put(
        "retainedHeapMb",
        Map.of("proxyfleet", round(ourHeap), "baseline", round(naiveHeap), "target", "< 30 MB"));

    BlockIndex index = parseIpList(ipList).index();
    NaiveBlocklist naive =
        NaiveBlocklist.readIpList(new ByteArrayInputStream(ipList), StandardCharsets.UTF_8);
    long[] probes = new long[probeCount];
    SplittableRandom random = new SplittableRandom(20251001);
    for (int i = 0; i < probes.length; i++) {
      probes[i] = random.nextLong(1L << 32);
    }
    // Uniform probes mostly land in /16s the list does not touch; probes next to listed ranges
    // exercise the search inside crowded /16s, the harder case.
    long[] nearListed = new long[probeCount];
    for (int i = 0; i < nearListed.length; i++) {
      long base = index.ipv4RangeStart(random.nextInt(index.ipv4RangeCount()));
      nearListed[i] = Math.max(0, Math.min(0xFFFFFFFFL, base + random.nextLong(-256, 257)));
    }
    for (long[] p : List.of(probes, nearListed)) {
      long ourHits = countHits(index::containsIpv4, p);
      long naiveHits = countHits(naive::containsIpv4, p);
      if (ourHits != naiveHits) {
        spec.commandLine()
            .getErr()
            .printf(
                "bench blocklist: the index and the baseline disagree: %d vs %d hits%n",
                ourHits, naiveHits);
        return 1;
      }
    }
    Rate ourRate = lookups(index::containsIpv4, probes);
    Rate naiveRate = lookups(naive::containsIpv4, probes);
    report.put(
        "lookupsPerSecond",
        Map.of(
            "probes",
            probeCount,
            "hitsPerPass",
            countHits(index::containsIpv4, probes),
            "proxyfleet",
            ourRate.toMap(),
            "baseline",
            naiveRate.toMap(),
            "target",
            ">= 10 M/s"));
    Rate ourNear = lookups(index::containsIpv4, nearListed);
    Rate naiveNear = lookups(naive::containsIpv4, nearListed);
    report.put(
        "lookupsPerSecondNearListed",
        Map.of(
            "probes",
            probeCount,
            "hitsPerPass",
            countHits(index::containsIpv4, nearListed),
            "proxyfleet",
            ourNear.toMap(),
            "baseline",
            naiveNear.toMap(),
            "target",
            ">= 10 M/s"));

    Timing ourCsv =
        time(
            () ->
                BlocklistParser.parse(
                    new ByteArrayInputStream(zapret), BlocklistFormat.ZAPRET_CSV, null));
    Timing naiveCsv =
        time(() -> NaiveBlocklist.readZapretCsv(new ByteArrayInputStream(zapret), cp1251));
    double mb = zapret.length / 1e6;
    report.put(
        "zapretCsvMbPerSecond",
        Map.of(
            "file",
            ZAPRET_FILE,
            "bytes",
            zapret.length,
            "proxyfleet",
            ourCsv.throughput(mb),
            "baseline",
            naiveCsv.throughput(mb)));

    PrintWriter out = spec.commandLine().getOut();
    if (output == OutputFormat.json) {
      out.println(
          new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
    } else {
      out.printf(
          "java %s, %d cores, max heap %d MB, load average %.2f at start; median of %d runs after warm-up%n",
          report.get("java"),
          report.get("cores"),
          report.get("maxHeapMb"),
          report.get("loadAverage"),
          runs);
      TextTable table = new TextTable("MEASUREMENT", "PROXYFLEET", "BASELINE", "TARGET");
      table.row(
          "load " + IP_LIST_FILE + " (median; first run)",
          ms(ourLoad.median()) + "; " + ms(ourLoad.first()),
          ms(naiveLoad.median()) + "; " + ms(naiveLoad.first()),
          "< 500 ms");
      table.row(
          "retained heap of the loaded list",
          String.format("%.1f MB", ourHeap),
          String.format("%.1f MB", naiveHeap),
          "< 30 MB");
      table.row(
          "lookups/s, one thread, random IPv4",
          String.format("%.1f M", ourRate.median() / 1e6),
          String.format("%.1f M", naiveRate.median() / 1e6),
          ">= 10 M");
      table.row(
          "lookups/s, one thread, IPv4 within 256 of a listed range",
          String.format("%.1f M", ourNear.median() / 1e6),
          String.format("%.1f M", naiveNear.median() / 1e6),
          ">= 10 M");
      table.row(
          "zapret-csv parse, " + ZAPRET_FILE + " (median; first run)",
          mbs(mb, ourCsv.median()) + "; " + mbs(mb, ourCsv.first()),
          mbs(mb, naiveCsv.median()) + "; " + mbs(mb, naiveCsv.first()),
          "");
      table.print(out);
    }
    out.flush();
    return 0;
  }

  private static ParsedBlocklist parseIpList(byte[] bytes) throws Exception {
    return BlocklistParser.parse(new ByteArrayInputStream(bytes), BlocklistFormat.IP_LIST, null);
  }

  @FunctionalInterface
  private interface Work {
    Object run() throws Exception;
  }

  /**
   * Nanoseconds of the first (cold) run, then of {@code runs} measured runs after three warm-ups.
   */
  private record Timing(long first, long[] measured) {
    long median() {
      return BlocklistBenchCommand.median(measured);
    }

    Map<String, Object> toMap(String unit, double scale) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("median_" + unit, round(median() * scale));
      m.put("first_" + unit, round(first * scale));
      m.put("runs_" + unit, Arrays.stream(measured).mapToDouble(n -> round(n * scale)).toArray());
      return m;
    }

    Map<String, Object> throughput(double mb) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("median", round(mb / (median() / 1e9)));
      m.put("first", round(mb / (first / 1e9)));
      m.put("runs", Arrays.stream(measured).mapToDouble(n -> round(mb / (n / 1e9))).toArray());
      return m;
    }
  }

  private Timing time(Work work) throws Exception {
    long t0 = System.nanoTime();
    sink += System.identityHashCode(work.run());
    long first = System.nanoTime() - t0;
    for (int i = 0; i < 3; i++) {
      sink += System.identityHashCode(work.run());
    }
    long[] measured = new long[runs];
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      sink += System.identityHashCode(work.run());
      measured[i] = System.nanoTime() - start;
    }
    return new Timing(first, measured);
  }

  /** Heap held by one loaded list: used heap after full GCs with the list held, minus before. */
  private double medianRetainedMb(Work load) throws Exception {
    int samples = Math.min(runs, 5);
    long[] bytes = new long[samples];
    for (int i = 0; i < samples; i++) {
      long before = usedHeapAfterGc();
      Object held = load.run();
      long after = usedHeapAfterGc();
      Reference.reachabilityFence(held);
      bytes[i] = after - before;
    }
    return median(bytes) / (1024.0 * 1024.0);
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(20);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private record Rate(double[] perSecond) {
    double median() {
      double[] sorted = perSecond.clone();
      Arrays.sort(sorted);
      return sorted[sorted.length / 2];
    }

    Map<String, Object> toMap() {
      return Map.of(
          "median",
          Math.round(median()),
          "runs",
          Arrays.stream(perSecond).map(Math::round).toArray());
    }
  }

  /** Lookups per second over rounds of at least 0.3 s each, after warm-up rounds. */
  private Rate lookups(LongPredicate contains, long[] probes) {
    for (int i = 0; i < 3; i++) {
      round(contains, probes);
    }
    double[] rates = new double[runs];
    for (int i = 0; i < runs; i++) {
      rates[i] = round(contains, probes);
    }
    return new Rate(rates);
  }

  private double round(LongPredicate contains, long[] probes) {
    long roundNanos = lookupMillis * 1_000_000L;
    long lookups = 0;
    long hits = 0;
    long start = System.nanoTime();
    long elapsed;
    do {
      for (long ip : probes) {
        if (contains.test(ip)) {
          hits++;
        }
      }
      lookups += probes.length;
      elapsed = System.nanoTime() - start;
    } while (elapsed < roundNanos);
    sink += hits; // the hit count is used, so the lookups cannot be dropped
    return lookups / (elapsed / 1e9);
  }

  private static long countHits(LongPredicate contains, long[] probes) {
    long hits = 0;
    for (long ip : probes) {
      if (contains.test(ip)) {
        hits++;
      }
    }
    return hits;
  }

  private static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static double round(double value) {
    return Math.round(value * 100) / 100.0;
  }

  private static String ms(long nanos) {
    return String.format("%.1f ms", nanos / 1e6);
  }

  private static String mbs(double mb, long nanos) {
    return String.format("%.1f MB/s", mb / (nanos / 1e9));
  }

  private static Path locateData() {
    // A checkout carries the same files as test data.
    Path inCheckout = Path.of("src", "test", "resources", "data", "rkn");
    if (Files.isDirectory(inCheckout)) {
      return inCheckout;
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("shared").resolve("data").resolve("rkn");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    return null;
  }
}
