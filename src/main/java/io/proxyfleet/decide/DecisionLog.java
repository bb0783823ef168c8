package io.proxyfleet.decide;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where callers of the step functions report the decisions they acted on, so one scenario run
 * through the operator and through the replay can be compared decision by decision. Production
 * passes {@link #NONE}.
 */
public interface DecisionLog {

  /**
   * A fleet decided something at {@code at} (one call per create, delete, rotation request or
   * hold).
   */
  void fleet(Instant at, String fleet, String decision);

  /** A proxy's step returned {@code decision} at {@code at}. */
  void proxy(Instant at, String proxy, Object decision);

  DecisionLog NONE =
      new DecisionLog() {
        @Override
        public void fleet(Instant at, String fleet, String decision) {}

        @Override
        public void proxy(Instant at, String proxy, Object decision) {}
      };

  /** Reports what one fleet pass acted on, in a fixed order: holds, deletes, rotations, creates. */
  static void fleetPass(
      DecisionLog log,
      Instant at,
      String fleet,
      FleetStep.Decision d,
      List<FleetStep.Hold> added,
      List<String> createdNames) {
    for (FleetStep.Hold h : added) {
      log.fleet(at, fleet, "hold " + h.slot() + " until " + h.until());
    }
    d.plan().deletes().forEach(x -> log.fleet(at, fleet, "delete " + x.name() + " " + x.reason()));
    d.plan()
        .ipRotations()
        .forEach(x -> log.fleet(at, fleet, "rotate " + x.name() + " " + x.reason()));
    for (int i = 0; i < d.plan().creates().size(); i++) {
      var c = d.plan().creates().get(i);
      log.fleet(
          at,
          fleet,
          "create "
              + createdNames.get(i)
              + " in "
              + c.slot()
              + " "
              + c.subnet()
              + " "
              + c.reason());
    }
    if (d.plan().rotationsHeldTotal() > 0) {
      log.fleet(at, fleet, "rotations held " + d.plan().rotationsHeld());
    }
  }

  /** One recorded decision. */
  record Entry(Instant at, String subject, String decision) {
    @Override
    public String toString() {
      return at + " " + subject + " " + decision;
    }
  }

  /**
   * Keeps every fleet decision, and each proxy's decisions as they change (a VM booting for five
   * passes is one "Boot"), so the log does not depend on how often a caller happens to look.
   */
  final class Recording implements DecisionLog {
    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> lastByProxy = new HashMap<>();

    @Override
    public synchronized void fleet(Instant at, String fleet, String decision) {
      entries.add(new Entry(at, fleet, decision));
    }

    @Override
    public synchronized void proxy(Instant at, String proxy, Object decision) {
      String text = String.valueOf(decision);
      if (!Objects.equals(lastByProxy.put(proxy, text), text)) {
        entries.add(new Entry(at, proxy, text));
      }
    }

    public synchronized List<Entry> entries() {
      return List.copyOf(entries);
    }
  }
}
