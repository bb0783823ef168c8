package io.proxyfleet.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the real blocklists and cloud ranges: the unchanged copies under {@code
 * src/test/resources/data} (so the tests run on any checkout), or another copy named by the system
 * property {@code proxyfleet.data}.
 */
public final class SharedData {

  private SharedData() {}

  public static Path root() {
    String property = System.getProperty("proxyfleet.data");
    if (property != null) {
      Path p = Path.of(property);
      if (Files.isDirectory(p.resolve("rkn"))) {
        return p;
      }
      throw new IllegalStateException("-Dproxyfleet.data=" + property + " has no rkn/ directory");
    }
    return TestData.path("data");
  }

  public static Path rkn(String file) {
    return root().resolve("rkn").resolve(file);
  }
}
