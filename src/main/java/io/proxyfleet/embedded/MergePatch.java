package io.proxyfleet.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * JSON merge patch as RFC 7386 defines it and kube-apiserver applies it: objects merge key by key,
 * {@code null} removes a key, and anything else (lists included) replaces the target's value.
 *
 * <p>The CRUD dispatcher merges with Jackson's updating reader instead, which appends to lists:
 * {@code {"spec":{"cidrs":[]}}} then leaves every cidr in place, so unblocking did nothing.
 */
final class MergePatch {

  private MergePatch() {}

  /** The patched document; neither argument is modified. */
  static JsonNode apply(JsonNode target, JsonNode patch) {
    if (patch == null || !patch.isObject()) {
      return patch == null ? target : patch.deepCopy();
    }
    ObjectNode result =
        target != null && target.isObject() ? ((ObjectNode) target).deepCopy() : Json.object();
    for (Map.Entry<String, JsonNode> field : patch.properties()) {
      if (field.getValue().isNull()) {
        result.remove(field.getKey());
      } else {
        result.set(field.getKey(), apply(result.get(field.getKey()), field.getValue()));
      }
    }
    return result;
  }
}
