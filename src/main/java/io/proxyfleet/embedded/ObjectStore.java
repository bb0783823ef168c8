package io.proxyfleet.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.crud.AttributeSet;
import java.io.IOException;

/**
 * The CRUD dispatcher, with the one place every write passes through made to store what
 * kube-apiserver would: its patch and update handlers write {@code "status": null} into objects
 * that have no status and {@code "namespace": null} into cluster-scoped ones, which kubectl then
 * shows ({@code status: null} in {@code get -o yaml}) and a real server never does.
 *
 * <p>It also numbers {@code metadata.generation} on every kind, where kube-apiserver does so only
 * for kinds with a spec (custom resources, workloads), not for Secrets; that stays, because the
 * store's own handlers fail on an object without a generation.
 */
final class ObjectStore extends KubernetesCrudDispatcher {

  @Override
  public void processEvent(String path, AttributeSet pathAttributes, AttributeSet oldAttributes,
      GenericKubernetesResource resource, String newState) {
    super.processEvent(path, pathAttributes, oldAttributes, resource,
        asKubeApiServerStores(newState));
  }

  static String asKubeApiServerStores(String state) {
    if (state == null || !state.contains("null")) {
      return state;
    }
    try {
      JsonNode node = Json.MAPPER.readTree(state);
      if (node == null || !node.isObject()) {
        return state;
      }
      ObjectNode object = (ObjectNode) node;
      boolean changed = removeNull(object, "status");
      if (object.get("metadata") instanceof ObjectNode metadata) {
        changed |= removeNull(metadata, "namespace");
      }
      return changed ? Json.MAPPER.writeValueAsString(object) : state;
    } catch (IOException e) {
      return state;
    }
  }

  private static boolean removeNull(ObjectNode object, String field) {
    if (object.has(field) && object.get(field).isNull()) {
      object.remove(field);
      return true;
    }
    return false;
  }
}
