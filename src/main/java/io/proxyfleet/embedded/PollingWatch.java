package io.proxyfleet.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.mockwebserver.http.MockResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Watches over plain HTTP from client-go reflectors ({@code kubectl wait}), which the mock can only
 * serve over WebSockets (what Fabric8 uses), answered by polling: each watch request gets the
 * events since its {@code resourceVersion} (ADDED, MODIFIED, and DELETED from the store's
 * tombstones) and then ends; when there are none, the answer waits {@link #POLL} first. client-go
 * takes a watch that ends after a second as normal and watches again from the last event, so a
 * waiting kubectl sees each change within about a second, in order.
 *
 * <p>Unlike a real watch, several changes to one object between two polls arrive as one event with
 * its latest state, and a deletion more than {@code ObjectStore.TOMBSTONES} deletions back is
 * missed.
 */
final class PollingWatch {

  /** How long an answer with no events is held, so that a client does not spin. */
  static final Duration POLL = Duration.ofSeconds(1);

  private final ObjectStore store;

  PollingWatch(ObjectStore store) {
    this.store = store;
  }

  /**
   * The answer to a watch of {@code path}; empty when the path names no resource collection or the
   * client would not watch again after the answer ends.
   *
   * <p>Only clients that ask for bookmarks are answered: client-go's reflectors (kubectl wait,
   * informers) always do and watch again whenever a watch ends, while {@code kubectl get -w} does
   * not ask and would stop at the first poll, so it gets a clear error instead.
   */
  Optional<MockResponse> answer(String path, String query) {
    Optional<ApiDispatcher.ResourcePath> parsed = ApiDispatcher.ResourcePath.parse(path);
    if (parsed.isEmpty()
        || parsed.get().subresource() != null
        || !parameter(query, "allowWatchBookmarks").orElse("").equals("true")) {
      return Optional.empty();
    }
    ApiDispatcher.ResourcePath r = parsed.get();
    List<FieldSelector.Term> terms =
        new ArrayList<>(FieldSelector.fromQuery(query).map(FieldSelector::terms).orElse(List.of()));
    if (r.name() != null) {
      // The legacy form .../plural/NAME?watch=true watches one object.
      terms.add(new FieldSelector.Term("metadata.name", true, r.name()));
    }
    FieldSelector selector = new FieldSelector(terms);
    ApiDispatcher.ResourcePath collection = r.withName(null);
    long since = parameter(query, "resourceVersion").map(PollingWatch::number).orElse(0L);

    String listPath =
        collection.path()
            + parameter(query, "labelSelector").map(s -> "?labelSelector=" + s).orElse("");
    MockResponse listed = store.handleGet(listPath);
    List<ObjectNode> events = new ArrayList<>();
    if (listed.code() == 200 && listed.getBody() != null) {
      JsonNode list;
      try {
        list = Json.MAPPER.readTree(listed.getBody().getBytes());
      } catch (IOException e) {
        list = Json.object();
      }
      for (JsonNode item : list.path("items")) {
        if (ObjectStore.version(item) > since && selector.matches(item)) {
          String uid = item.path("metadata").path("uid").asText();
          events.add(event(store.createdAfter(uid, since) ? "ADDED" : "MODIFIED", item));
        }
      }
    }
    for (ObjectStore.Tombstone tombstone : store.deletedAfter(since)) {
      Optional<ApiDispatcher.ResourcePath> of = ApiDispatcher.ResourcePath.parse(tombstone.path());
      if (of.isPresent()
          && sameCollection(of.get(), collection)
          && selector.matches(tombstone.object())) {
        events.add(event("DELETED", tombstone.object()));
      }
    }
    events.sort(Comparator.comparingLong(e -> ObjectStore.version(e.get("object"))));

    StringBuilder body = new StringBuilder();
    for (ObjectNode event : events) {
      body.append(event).append('\n');
    }
    MockResponse response =
        new MockResponse()
            .setResponseCode(200)
            .setHeader("Content-Type", "application/json")
            .setBody(body.toString());
    if (events.isEmpty()) {
      // The mock server sends an empty body at once, ignoring the delay; a blank line is an
      // empty stream of events to client-go.
      response.setBody("\n").setBodyDelay(POLL);
    }
    return Optional.of(response);
  }

  private static boolean sameCollection(
      ApiDispatcher.ResourcePath object, ApiDispatcher.ResourcePath collection) {
    return object.group().equals(collection.group())
        && object.plural().equals(collection.plural())
        && (collection.namespace() == null || collection.namespace().equals(object.namespace()));
  }

  private static ObjectNode event(String type, JsonNode object) {
    ObjectNode event = Json.object();
    event.put("type", type);
    event.set("object", object);
    return event;
  }

  private static Optional<String> parameter(String query, String name) {
    return Arrays.stream(query.split("&"))
        .filter(p -> p.startsWith(name + "="))
        .map(p -> p.substring(name.length() + 1))
        .filter(v -> !v.isEmpty())
        .findFirst();
  }

  private static long number(String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
