package io.proxyfleet.probe;

import static org.assertj.core.api.Assertions.assertThat;

import io.proxyfleet.probe.ProbeClassifier.Kind;
import io.proxyfleet.probe.ProbeClassifier.Observation;
import io.proxyfleet.probe.ProbeClassifier.Settings;
import io.proxyfleet.probe.ProbeClassifier.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Tables of inside/outside sequences. In a row, each character is one round 30 s apart, oldest
 * first: {@code P} passed, {@code T} timed out, {@code R} refused, {@code A} credentials refused,
 * {@code .} no result that round.
 */
class ProbeClassifierTest {

  static final Instant T0 = Instant.parse("2026-11-27T12:00:00Z");
  static final Duration ROUND = Duration.ofSeconds(30);
  final ProbeClassifier classifier = new ProbeClassifier(Settings.DEFAULTS);

  static List<ProbeResult> rounds(String row) {
    List<ProbeResult> results = new ArrayList<>();
    for (int i = 0; i < row.length(); i++) {
      ProbeOutcome outcome =
          switch (row.charAt(i)) {
            case 'P' -> ProbeOutcome.PASSED;
            case 'T' -> ProbeOutcome.TIMEOUT;
            case 'R' -> ProbeOutcome.REFUSED;
            case 'A' -> ProbeOutcome.AUTH_REFUSED;
            case '.' -> null;
            default -> throw new IllegalArgumentException(row);
          };
      if (outcome != null) {
        results.add(
            new ProbeResult(
                outcome, Duration.ofMillis(40), T0.plus(ROUND.multipliedBy(i)), outcome.name()));
      }
    }
    return results;
  }

  /** The time of the round after the last one in a row of this length. */
  static Instant after(int rounds) {
    return T0.plus(ROUND.multipliedBy(rounds - 1)).plusSeconds(1);
  }

  Verdict classify(String outside, String... vantages) {
    Map<String, List<ProbeResult>> inside = new LinkedHashMap<>();
    for (int i = 0; i < vantages.length; i++) {
      inside.put("v" + (i + 1), rounds(vantages[i]));
    }
    return classifier.classify(
        new Observation(rounds(outside), inside, inside.keySet()), after(outside.length()));
  }

  @ParameterizedTest(name = "outside {0}, inside {1} → {2}")
  @CsvSource(
      delimiter = '|',
      nullValues = "-",
      textBlock =
          """
      # outside | vantage 1 | verdict         | published
      -         | -         | UNCHECKED       | false
      P         | -         | HEALTHY         | true
      P         | P         | HEALTHY         | true
      PP        | .P        | HEALTHY         | true
      # A fresh address nobody inside has reached yet is not given to users.
      P         | .         | AWAITING_INSIDE | false
      PP        | .T        | AWAITING_INSIDE | false
      # Blocked needs two inside failures in a row while outside passes.
      PPP       | PPT       | HEALTHY         | true
      PPP       | PTT       | BLOCKED         | false
      PPP       | PTR       | BLOCKED         | false
      # One answered probe breaks the streak: flapping is damped.
      PPPP      | PTPT      | HEALTHY         | true
      PPPP      | TTPT      | HEALTHY         | true
      # Credentials refused from inside still means the path works.
      PPP       | PAA       | HEALTHY         | true
      # Both fail: an outage, not a block. Within the 2 min grace it stays published.
      PPT       | PPT       | SUSPECT         | true
      PPTT      | PTTT      | SUSPECT         | true
      PTTTTT    | PTTTTT    | UNHEALTHY       | false
      # Never passed from outside: not published while suspect.
      TT        | -         | SUSPECT         | false
      TTTTTT    | -         | UNHEALTHY       | false
      # Recovered from outside: healthy again, and blocked again only on fresh inside evidence.
      PTTTTTP   | PPPPPPP   | HEALTHY         | true
      """)
  void oneVantage(String outside, String inside, Kind kind, boolean published) {
    Verdict verdict =
        inside == null ? classify(outside == null ? "" : outside) : classify(outside, inside);
    assertThat(verdict.kind()).as(verdict.detail()).isEqualTo(kind);
    assertThat(verdict.publishable()).isEqualTo(published);
  }

  @Test
  void blockedNamesTheVantagesAndWhenTheirStreakBegan() {
    Verdict verdict = classify("PPPP", "PPTT", "PPPP", "PTTT");
    assertThat(verdict.kind()).isEqualTo(Kind.BLOCKED);
    assertThat(verdict.vantages()).containsExactly("v1", "v3");
    assertThat(verdict.since()).isEqualTo(T0.plus(ROUND.multipliedBy(2)));
    assertThat(verdict.detail()).contains("v1, v3");
  }

  @Test
  void minVantagesAsksForAgreement() {
    ProbeClassifier two =
        new ProbeClassifier(new Settings(2, 2, Duration.ofMinutes(2), Duration.ofMinutes(3)));
    Map<String, List<ProbeResult>> oneBlocked = Map.of("v1", rounds("PTT"), "v2", rounds("PPP"));
    Map<String, List<ProbeResult>> bothBlocked = Map.of("v1", rounds("PTT"), "v2", rounds("TTT"));
    assertThat(
            two.classify(new Observation(rounds("PPP"), oneBlocked, oneBlocked.keySet()), after(3))
                .kind())
        .isEqualTo(Kind.HEALTHY);
    assertThat(
            two.classify(
                    new Observation(rounds("PPP"), bothBlocked, bothBlocked.keySet()), after(3))
                .kind())
        .isEqualTo(Kind.BLOCKED);
  }

  @Test
  void aSilentVantagesOldFailuresExpireAndMakeNothingBlocked() {
    // v1 saw two failures, then went silent; ten minutes later its evidence is stale.
    Map<String, List<ProbeResult>> inside = Map.of("v1", rounds("PTT"));
    Instant later = after(3).plus(Duration.ofMinutes(10));
    List<ProbeResult> outside = new ArrayList<>(rounds("PPP"));
    outside.add(
        new ProbeResult(ProbeOutcome.PASSED, Duration.ofMillis(5), later.minusSeconds(1), "ok"));
    // Silent: no longer among the live vantages, so it gates nothing either.
    Verdict verdict = classifier.classify(new Observation(outside, inside, Set.of()), later);
    assertThat(verdict.kind()).isEqualTo(Kind.HEALTHY);
    assertThat(verdict.publishable()).isTrue();
  }

  @Test
  void anUnhealthyVerdictSaysSinceWhenAndWhat() {
    Verdict verdict = classify("PPTTTTT");
    assertThat(verdict.kind()).isEqualTo(Kind.UNHEALTHY);
    assertThat(verdict.since()).isEqualTo(T0.plus(ROUND.multipliedBy(2)));
    assertThat(verdict.detail()).contains("TIMEOUT");
  }
}
