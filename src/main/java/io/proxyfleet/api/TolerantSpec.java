package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * A spec that remembers which of its fields could not be read ({@link TolerantReader}), and their
 * raw values, which {@link TolerantWriter} puts back when the spec is written: JOSDK clones every
 * object through JSON before a reconcile, and the marks must survive that, just as a write-back
 * must never silently replace what the user wrote.
 */
public abstract class TolerantSpec {

  /**
   * A value taken out of the tree while reading: where it was, in removal order, and what it was.
   */
  record Removed(List<Object> steps, JsonNode raw) {}

  @JsonIgnore private List<UnreadableField> unreadableFields = List.of();
  @JsonIgnore private List<Removed> removed = List.of();

  /**
   * Fields dropped while reading because their value did not fit the type; empty for a clean spec.
   */
  @JsonIgnore
  public List<UnreadableField> getUnreadableFields() {
    return unreadableFields;
  }

  void markUnreadable(List<UnreadableField> fields, List<Removed> removedValues) {
    // Sorted: the order of discovery follows the JSON, which a write-back may change, and a
    // condition
    // message must not flap between two reads of the same object.
    this.unreadableFields =
        fields.stream().sorted(java.util.Comparator.comparing(UnreadableField::path)).toList();
    this.removed = List.copyOf(removedValues);
  }

  List<Removed> removed() {
    return removed;
  }
}
