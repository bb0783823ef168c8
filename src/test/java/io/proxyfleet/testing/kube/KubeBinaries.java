package io.proxyfleet.testing.kube;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Finds (or builds, through {@code src/test/kube/build.sh}) the kube-apiserver and etcd binaries.
 * The script is a no-op when they are already in the per-user cache; a cold build takes minutes.
 */
final class KubeBinaries {

  /** Set to skip the build and use binaries from this directory (for example a CI cache). */
  static final String DIR_PROPERTY = "proxyfleet.kube.bin";

  private KubeBinaries() {}

  /** The directory holding both binaries, or empty with the reason in {@code why[0]}. */
  static Optional<Path> locate(String[] why) {
    String configured = System.getProperty(DIR_PROPERTY, System.getenv("PROXYFLEET_KUBE_BIN"));
    if (configured != null && !configured.isBlank()) {
      Path dir = Path.of(configured);
      if (Files.isExecutable(dir.resolve("kube-apiserver"))
          && Files.isExecutable(dir.resolve("etcd"))) {
        return Optional.of(dir);
      }
      why[0] = DIR_PROPERTY + "=" + dir + " holds no kube-apiserver and etcd";
      return Optional.empty();
    }
    Path script = Path.of("src/test/kube/build.sh").toAbsolutePath();
    if (!Files.exists(script)) {
      why[0] = "missing " + script;
      return Optional.empty();
    }
    try {
      Path log = Files.createTempFile("kube-build", ".log");
      Process p = new ProcessBuilder("bash", script.toString()).redirectError(log.toFile()).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      // A cold build on two cores takes several minutes; more than 30 means something is wrong.
      if (!p.waitFor(30, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        why[0] = "building kube-apiserver took over 30 minutes (log: " + log + ")";
        return Optional.empty();
      }
      if (p.exitValue() != 0 || out.isEmpty()) {
        String tail = Files.readString(log);
        why[0] =
            "src/test/kube/build.sh failed (exit "
                + p.exitValue()
                + "): "
                + tail.substring(Math.max(0, tail.length() - 600)).trim();
        return Optional.empty();
      }
      Files.deleteIfExists(log);
      return Optional.of(Path.of(out.lines().reduce((a, b) -> b).orElseThrow()));
    } catch (IOException e) {
      why[0] = "cannot run src/test/kube/build.sh: " + e.getMessage();
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      why[0] = "interrupted while building kube-apiserver";
      return Optional.empty();
    }
  }
}
