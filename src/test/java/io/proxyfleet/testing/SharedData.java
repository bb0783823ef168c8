package io.proxyfleet.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the real blocklists and cloud ranges in {@code shared/data}, a sibling of the repository:
 * system property {@code proxyfleet.data} first, else the nearest ancestor of the working directory
 * that has {@code shared/data}. Fails with what to do when neither exists, rather than skipping.
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
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("shared").resolve("data");
      if (Files.isDirectory(candidate.resolve("rkn"))) {
        return candidate;
      }
    }
    throw new IllegalStateException("shared/data not found above " + Path.of("").toAbsolutePath()
        + ": check out the shared data next to the repository or pass -Dproxyfleet.data=/path/to/shared/data");
  }

  public static Path rkn(String file) {
    return root().resolve("rkn").resolve(file);
  }
}
