package io.proxyfleet.cloud.boot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A command of the Debian boot test on this machine: run to the end, output kept for the failure
 * message.
 */
record HostCommand(int exitCode, String output) {

  static HostCommand run(Duration timeout, List<String> command) {
    try {
      Path out = Files.createTempFile("pf-cmd", ".log");
      try {
        Process p =
            new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
          throw new IllegalStateException(
              "timed out after " + timeout + ": " + String.join(" ", command));
        }
        return new HostCommand(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static HostCommand run(String... command) {
    return run(Duration.ofMinutes(2), List.of(command));
  }

  /** Runs and fails with the output when the exit code is not 0. */
  static String check(Duration timeout, List<String> command) {
    HostCommand r = run(timeout, command);
    if (r.exitCode() != 0) {
      throw new IllegalStateException(
          String.join(" ", command) + " exited " + r.exitCode() + ":\n" + tail(r.output()));
    }
    return r.output();
  }

  static String check(String... command) {
    return check(Duration.ofMinutes(2), List.of(command));
  }

  static String tail(String text) {
    return text.length() <= 4000 ? text : "..." + text.substring(text.length() - 4000);
  }
}
