package io.proxyfleet.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesResponseComposer;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.crud.CrudDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import java.io.IOException;
import java.lang.reflect.Field;
import java.net.HttpURLConnection;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

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

  /** Deletions remembered for {@link PollingWatch}; a watch further behind misses them. */
  private static final int TOMBSTONES = 1000;

  /** An object as it was deleted, its resourceVersion set to the deletion's. */
  record Tombstone(String path, long resourceVersion, JsonNode object) {}

  private final Deque<Tombstone> tombstones = new ConcurrentLinkedDeque<>();

  /** The resourceVersion each live object was created at, by uid. */
  private final Map<String, Long> createdAt = new ConcurrentHashMap<>();

  /** The same object as the inherited {@code map}, with its name index. */
  private final NameIndexedMap indexed = new NameIndexedMap();

  private final Map<AttributeSet, String> synchronizedIndexed =
      Collections.synchronizedMap(indexed);

  private final java.util.concurrent.atomic.AtomicLong resourceVersion;

  ObjectStore() {
    // The inherited map is final and scanned in full to find one object; swap in the indexed one
    // before anything is stored. Every mutation goes through put/remove/clear, which keep the
    // index.
    try {
      Field field = CrudDispatcher.class.getDeclaredField("map");
      field.setAccessible(true);
      field.set(this, synchronizedIndexed);
      Field version = KubernetesCrudDispatcher.class.getDeclaredField("resourceVersion");
      version.setAccessible(true);
      resourceVersion = (java.util.concurrent.atomic.AtomicLong) version.get(this);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException(
          "cannot index the embedded API's object map (mockwebserver changed?)", e);
    }
  }

  /**
   * One object by name, or the list of one resource, through the indexes; watches as the dispatcher
   * does them.
   */
  @Override
  public MockResponse handleGet(String path) {
    if (path.contains("watch=true")) {
      return super.handleGet(path);
    }
    AttributeSet query = attributeExtractor.fromPath(path);
    if (!query.containsKey("name")) {
      List<String> items;
      synchronized (synchronizedIndexed) {
        items = indexed.findAll(query);
      }
      // No resource named, or nothing stored: the dispatcher's own answer (it also serves
      // discovery documents for empty collections).
      if (items == null || items.isEmpty()) {
        return super.handleGet(path);
      }
      return new MockResponse()
          .setResponseCode(HttpURLConnection.HTTP_OK)
          .setBody(
              ((KubernetesResponseComposer) responseComposer)
                  .compose(items, String.valueOf(resourceVersion.get())));
    }
    Map.Entry<AttributeSet, String> found = findResource(query);
    return found == null
        ? new MockResponse().setResponseCode(HttpURLConnection.HTTP_NOT_FOUND)
        : new MockResponse().setResponseCode(HttpURLConnection.HTTP_OK).setBody(found.getValue());
  }

  /** How many times objects of this resource (plural) were stored or removed. */
  long writesOf(String plural) {
    synchronized (synchronizedIndexed) {
      return indexed.writesOf(plural);
    }
  }

  @Override
  public Map.Entry<AttributeSet, String> findResource(AttributeSet query) {
    if (NameIndexedMap.nameOf(query) == null) {
      return super.findResource(query);
    }
    synchronized (synchronizedIndexed) {
      return indexed.findNamed(query);
    }
  }

  @Override
  public void processEvent(
      String path,
      AttributeSet pathAttributes,
      AttributeSet oldAttributes,
      GenericKubernetesResource resource,
      String newState) {
    String state = asKubeApiServerStores(newState);
    String existing = oldAttributes == null ? null : map.get(oldAttributes);
    if (state == null && existing != null) {
      remember(path, existing);
    } else if (existing == null && state != null) {
      JsonNode created = parse(state);
      if (created != null) {
        createdAt.put(created.path("metadata").path("uid").asText(), version(created));
      }
    }
    super.processEvent(path, pathAttributes, oldAttributes, resource, state);
  }

  private void remember(String path, String existing) {
    JsonNode object = parse(existing);
    if (object == null || !object.path("metadata").isObject()) {
      return;
    }
    long version = requestResourceVersion();
    ((ObjectNode) object.get("metadata")).put("resourceVersion", Long.toString(version));
    createdAt.remove(object.path("metadata").path("uid").asText());
    tombstones.addLast(new Tombstone(path, version, object));
    while (tombstones.size() > TOMBSTONES) {
      tombstones.pollFirst();
    }
  }

  /** Deletions after {@code resourceVersion}, oldest first. */
  List<Tombstone> deletedAfter(long resourceVersion) {
    return tombstones.stream().filter(t -> t.resourceVersion() > resourceVersion).toList();
  }

  /** Whether the object with this uid was created after {@code resourceVersion}. */
  boolean createdAfter(String uid, long resourceVersion) {
    Long created = createdAt.get(uid);
    return created != null && created > resourceVersion;
  }

  static long version(JsonNode object) {
    try {
      return Long.parseLong(object.path("metadata").path("resourceVersion").asText("0"));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static JsonNode parse(String json) {
    try {
      return Json.MAPPER.readTree(json);
    } catch (IOException e) {
      return null;
    }
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
