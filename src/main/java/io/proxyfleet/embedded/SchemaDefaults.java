package io.proxyfleet.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.util.Map;

/**
 * Structural defaulting of custom resources, as kube-apiserver does it on every write: wherever an
 * object is present and lacks a property whose schema declares a {@code default}, the default is
 * set (and defaulted in turn); absent parents are not created, except by their own default.
 *
 * <p>Without it the embedded API stored fleets without {@code weight: 1}, {@code maxAddressDraws:
 * 10} and the other defaults a real cluster fills in, so the same {@code kubectl apply} said
 * "unchanged" here and "configured" there, and a merge patch setting a defaulted field to null
 * removed it here and restored the default there.
 */
final class SchemaDefaults {

  private SchemaDefaults() {}

  /** Fills in defaults in {@code node} (changed in place) as {@code schema} declares them. */
  static void apply(JsonNode node, JSONSchemaProps schema) {
    if (node == null || schema == null) {
      return;
    }
    if (node.isObject()) {
      ObjectNode object = (ObjectNode) node;
      Map<String, JSONSchemaProps> properties = schema.getProperties();
      if (properties != null) {
        for (Map.Entry<String, JSONSchemaProps> property : properties.entrySet()) {
          JSONSchemaProps propertySchema = property.getValue();
          JsonNode value = object.get(property.getKey());
          boolean unset =
              value == null || value.isNull() && !Boolean.TRUE.equals(propertySchema.getNullable());
          if (unset && propertySchema.getDefault() != null) {
            object.set(property.getKey(), propertySchema.getDefault().deepCopy());
          }
          apply(object.get(property.getKey()), propertySchema);
        }
      }
      if (schema.getAdditionalProperties() != null
          && schema.getAdditionalProperties().getSchema() != null) {
        for (Map.Entry<String, JsonNode> entry : object.properties()) {
          if (properties == null || !properties.containsKey(entry.getKey())) {
            apply(entry.getValue(), schema.getAdditionalProperties().getSchema());
          }
        }
      }
    } else if (node.isArray()
        && schema.getItems() != null
        && schema.getItems().getSchema() != null) {
      for (JsonNode item : node) {
        apply(item, schema.getItems().getSchema());
      }
    }
  }
}
