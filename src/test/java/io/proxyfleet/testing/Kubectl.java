package io.proxyfleet.testing;

import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs the real kubectl against a kubeconfig, with its own discovery cache and a timeout. */
public final class Kubectl {

  public static final String INSTALL_HINT =
      "install kubectl 1.32 (e.g. the 'kubectl' Debian package from"
          + " the Kubernetes or Google Cloud apt repository, or a release binary on PATH), or point"
          + " the KUBECTL environment variable at one";

  private static final long TIMEOUT_SECONDS = 30;

  /** Exit code and output of one call; {@link #toString()} is meant for assertion messages. */
  public record Result(List<String> command, int exitCode, String stdout, String stderr) {
    @Override
    public String toString() {
      return "$ "
          + String.join(" ", command)
          + "\nexit code: "
          + exitCode
          + "\n--- stdout ---\n"
          + stdout
          + "\n--- stderr ---\n"
          + stderr;
    }
  }

  private final String executable;
  private final Path kubeconfig;
  private final Path cacheDir;
  private final Path workDir;

  public Kubectl(String executable, Path kubeconfig, Path workDir) {
    this.executable = executable;
    this.kubeconfig = kubeconfig;
    this.workDir = workDir;
    this.cacheDir = workDir.resolve("kubectl-cache");
  }

  /**
   * The kubectl to test with; skips the calling test when there is none, except in CI ({@code
   * CI=true}) where a missing kubectl must fail the build instead of hiding these tests.
   */
  public static String locateOrSkip() {
    return require(locate(), "true".equalsIgnoreCase(System.getenv("CI")));
  }

  public static String require(Optional<String> found, boolean ci) {
    if (found.isPresent()) {
      return found.get();
    }
    String message = "kubectl not found: " + INSTALL_HINT;
    if (ci) {
      fail("CI=true but " + message);
    }
    Assumptions.abort(message);
    throw new AssertionError("unreachable");
  }

  private static Optional<String> locate() {
    String configured = System.getenv("KUBECTL");
    if (configured != null && !configured.isBlank()) {
      if (!Files.isExecutable(Path.of(configured))) {
        fail("KUBECTL=" + configured + " is not an executable file");
      }
      return Optional.of(configured);
    }
    List<Path> candidates = new ArrayList<>();
    candidates.add(Path.of("/usr/bin/kubectl"));
    String path = System.getenv("PATH");
    if (path != null) {
      Arrays.stream(path.split(File.pathSeparator))
          .filter(dir -> !dir.isBlank())
          .map(dir -> Path.of(dir, "kubectl"))
          .forEach(candidates::add);
    }
    return candidates.stream().filter(Files::isExecutable).findFirst().map(Path::toString);
  }

  public Result run(String... args) {
    return runWithInput("", args);
  }

  /** Runs kubectl with {@code stdin} as its standard input (for {@code apply -f -}). */
  public Result runWithInput(String stdin, String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                executable,
                "--kubeconfig",
                kubeconfig.toString(),
                "--cache-dir",
                cacheDir.toString(),
                "--request-timeout=20s"));
    command.addAll(List.of(args));
    try {
      Path out = Files.createTempFile(workDir, "kubectl", ".out");
      Path err = Files.createTempFile(workDir, "kubectl", ".err");
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .directory(workDir.toFile())
              .redirectOutput(out.toFile())
              .redirectError(err.toFile());
      // Only the files named on the command line may steer kubectl.
      builder.environment().remove("KUBECONFIG");
      Process process = builder.start();
      try (var in = process.getOutputStream()) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        fail(
            "kubectl did not finish within "
                + TIMEOUT_SECONDS
                + " s:\n"
                + new Result(
                    command,
                    -1,
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8)));
      }
      return new Result(
          command,
          process.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + command, e);
    }
  }
}
