package io.proxyfleet.replay;

import java.time.Duration;
import java.util.Objects;

/**
 * How the replayed operator learns that an address is blocked. {@link Mode#LISTS}: only from the
 * timeline, {@link ReplaySettings#detectionDelay()} after each report (a blocklist source's lag).
 * {@link Mode#PROBES}: the lists as before, plus one vantage inside the censored network that
 * probes every published address each {@code probeInterval} and whose results the operator
 * classifies with the real {@code ProbeClassifier}; what it finds blocked goes into the operator's
 * view exactly as the fleet's learned Blocklist would carry it ({@code LearnedBlocks}: the /32, and
 * the /24 once {@code rangeThreshold} of its addresses were found).
 *
 * @param probeInterval the vantage's {@code reportInterval}
 * @param confirmRounds failed rounds in a row that make a block; null = the fleet's {@code
 *     spec.probes.confirmRounds}
 * @param rangeThreshold addresses of one /24 found blocked after which the /24 is; null = the
 *     fleet's {@code spec.probes.rangeThreshold}
 */
public record DetectionModel(
    Mode mode, Duration probeInterval, Integer confirmRounds, Integer rangeThreshold) {

  /** The vantage's default {@code reportInterval}. */
  public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofSeconds(30);

  /** What the replay did before probes existed: lists only. */
  public static final DetectionModel LISTS =
      new DetectionModel(Mode.LISTS, DEFAULT_PROBE_INTERVAL, null, null);

  public enum Mode {
    LISTS("lists"),
    PROBES("probes");

    private final String wireName;

    Mode(String wireName) {
      this.wireName = wireName;
    }

    public String wireName() {
      return wireName;
    }
  }

  public DetectionModel {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(probeInterval, "probeInterval");
    if (probeInterval.isNegative() || probeInterval.isZero()) {
      throw new IllegalArgumentException("probeInterval must be positive, was " + probeInterval);
    }
    if (confirmRounds != null && confirmRounds < 1)
      throw new IllegalArgumentException("confirmRounds must be at least 1, was " + confirmRounds);
    if (rangeThreshold != null && rangeThreshold < 1)
      throw new IllegalArgumentException(
          "rangeThreshold must be at least 1, was " + rangeThreshold);
  }

  public static DetectionModel probes(
      Duration probeInterval, Integer confirmRounds, Integer rangeThreshold) {
    return new DetectionModel(Mode.PROBES, probeInterval, confirmRounds, rangeThreshold);
  }

  public boolean probes() {
    return mode == Mode.PROBES;
  }
}
