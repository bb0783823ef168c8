package io.proxyfleet.api;

import java.time.Duration;
import java.util.regex.Matcher;

/** Go-style durations ("90s", "1h30m", "72h") as Kubernetes APIs write them. */
public final class Durations {

  /** Schema pattern: one or more number+unit pairs. */
  public static final String PATTERN = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$";

  private static final java.util.regex.Pattern PART =
      java.util.regex.Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h)");

  private Durations() {}

  /**
   * Parses a Go-style duration.
   *
   * @throws IllegalArgumentException naming the accepted form when the text is not a duration
   */
  public static Duration parse(String text) {
    if (text == null || !text.matches(PATTERN)) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration; write it like 90s, 10m, 72h or 1h30m");
    }
    Matcher m = PART.matcher(text);
    double millis = 0;
    while (m.find()) {
      double value = Double.parseDouble(m.group(1));
      millis +=
          switch (m.group(2)) {
            case "ms" -> value;
            case "s" -> value * 1_000;
            case "m" -> value * 60_000;
            case "h" -> value * 3_600_000;
            default -> throw new IllegalStateException(m.group(2));
          };
    }
    return Duration.ofMillis(Math.round(millis));
  }
}
