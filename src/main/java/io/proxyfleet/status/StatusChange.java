package io.proxyfleet.status;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * Compares statuses by their JSON form, so "write only when changed" needs no hand-written equals.
 */
public final class StatusChange {

  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private StatusChange() {}

  public static boolean changed(Object before, Object after) {
    JsonNode a = before == null ? null : JSON.convertValue(before, JsonNode.class);
    JsonNode b = after == null ? null : JSON.convertValue(after, JsonNode.class);
    return a == null ? b != null : !a.equals(b);
  }

  /**
   * A deep copy through JSON, so a reconciler can edit status without touching the cached object.
   */
  public static <T> T copy(T value, Class<T> type) {
    return value == null ? null : JSON.convertValue(value, type);
  }
}
