package io.proxyfleet.blocklist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gzip bomb of issue 9 ("1.2.3.4\n" repeated, about 3 MB compressed, 2 GB expanded) read from
 * the CLI and as a URL source in a JVM with a 64 MB heap: both must stop at a limit with a message
 * naming it, never with an OutOfMemoryError. The figures printed are the ones the README quotes.
 */
class GzipBombTest {

  static final String HEAP = "-Xmx64m";

  /** 2 GiB of content: the size of the reported bomb. */
  static final long EXPANDED = 2L << 30;

  @TempDir static Path dir;
  static Path bomb;

  @BeforeAll
  static void writeBomb() throws IOException {
    bomb = dir.resolve("bomb.lst.gz");
    byte[] line = "1.2.3.4\n".getBytes(StandardCharsets.US_ASCII);
    byte[] chunk = new byte[line.length * 8192];
    for (int i = 0; i < chunk.length; i += line.length) {
      System.arraycopy(line, 0, chunk, i, line.length);
    }
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(bomb), 1 << 16)) {
      for (long written = 0; written < EXPANDED; written += chunk.length) {
        out.write(chunk);
      }
    }
    assertThat(Files.size(bomb)).as("compressed size").isBetween(1L << 20, 4L << 20);
  }

  static List<String> probe(String mode) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p =
        new ProcessBuilder(
                java.toString(),
                HEAP,
                "-cp",
                System.getProperty("java.class.path"),
                GzipBombProbe.class.getName(),
                mode,
                bomb.toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    System.out.println(
        "gzip bomb ("
            + Files.size(bomb)
            + " bytes compressed) via "
            + mode
            + " with "
            + HEAP
            + ":\n"
            + output);
    assertThat(output).doesNotContain("OutOfMemoryError");
    return Arrays.asList(output.split("\n"));
  }

  @Test
  void theCliStopsAtTheEntryLimit() throws Exception {
    List<String> out = probe("cli");
    assertThat(out).contains("exit=2");
    assertThat(String.join("\n", out))
        .contains("too large: more than 2000000 values; stopped reading after");
  }

  @Test
  void aUrlSourceStopsAtTheEntryLimit() throws Exception {
    List<String> out = probe("url");
    assertThat(out)
        .anyMatch(l -> l.startsWith("result=TOO_LARGE source bomb: more than 2000000 values"));
  }
}
