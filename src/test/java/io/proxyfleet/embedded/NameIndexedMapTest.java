package io.proxyfleet.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The indexes answer exactly what a scan of every entry with {@code matches} would. */
class NameIndexedMapTest {

  static AttributeSet key(String plural, String namespace, String name, String label) {
    return new AttributeSet(
        new Attribute("plural", plural),
        new Attribute("namespace", namespace),
        new Attribute("name", name),
        new Attribute("labels:app", label));
  }

  static Map.Entry<AttributeSet, String> scan(NameIndexedMap map, AttributeSet query) {
    return map.entrySet().stream().filter(e -> e.getKey().matches(query)).findFirst().orElse(null);
  }

  @Test
  void lookupsByNameAndListsByResourceAgreeWithAScanThroughPutsRemovesAndReplacements() {
    NameIndexedMap map = new NameIndexedMap();
    for (int i = 0; i < 50; i++) {
      map.put(
          key("proxies", i % 2 == 0 ? "a" : "b", "p" + i, i % 3 == 0 ? "x" : "y"), "proxy " + i);
      map.put(key("events", "a", "p" + i + ".1", "x"), "event " + i);
    }
    // The same name in another kind and another namespace.
    map.put(key("secrets", "a", "p4", "x"), "secret p4");
    map.remove(key("proxies", "a", "p10", "y"));
    map.remove(key("proxies", "a", "p12", "x"));
    map.put(key("proxies", "a", "p12", "y"), "proxy 12 relabelled");

    for (String name : List.of("p4", "p10", "p12", "p13", "p49", "nope")) {
      for (String ns : List.of("a", "b")) {
        AttributeSet query =
            new AttributeSet(
                new Attribute("plural", "proxies"),
                new Attribute("namespace", ns),
                new Attribute("name", name));
        assertThat(map.findNamed(query)).as(name + " in " + ns).isEqualTo(scan(map, query));
      }
    }
    AttributeSet labelled =
        new AttributeSet(
            new Attribute("plural", "proxies"),
            new Attribute("namespace", "a"),
            new Attribute("labels:app", "x"));
    assertThat(map.findAll(labelled))
        .isEqualTo(
            map.entrySet().stream()
                .filter(e -> e.getKey().matches(labelled))
                .map(Map.Entry::getValue)
                .toList());
    assertThat(map.findAll(new AttributeSet(new Attribute("plural", "events")))).hasSize(50);
    assertThat(map.findAll(new AttributeSet(new Attribute("namespace", "a"))))
        .as("no resource named: the caller scans")
        .isNull();

    map.clear();
    assertThat(
            map.findNamed(
                new AttributeSet(new Attribute("plural", "secrets"), new Attribute("name", "p4"))))
        .isNull();
    assertThat(map.findAll(new AttributeSet(new Attribute("plural", "proxies")))).isEmpty();
  }

  @Test
  void writesAreCountedPerResourceSoACopyOfOneResourceKnowsWhenItIsStale() {
    NameIndexedMap map = new NameIndexedMap();
    long crds = map.writesOf("customresourcedefinitions");
    map.put(key("proxies", "a", "p1", "x"), "proxy 1");
    map.remove(key("proxies", "a", "p1", "x"));
    assertThat(map.writesOf("customresourcedefinitions"))
        .as("writes to other resources leave it current")
        .isEqualTo(crds);
    map.put(key("customresourcedefinitions", "-", "proxies.proxyfleet.io", "x"), "crd");
    long afterCreate = map.writesOf("customresourcedefinitions");
    assertThat(afterCreate).isGreaterThan(crds);
    map.remove(key("customresourcedefinitions", "-", "proxies.proxyfleet.io", "x"));
    long afterDelete = map.writesOf("customresourcedefinitions");
    assertThat(afterDelete).isGreaterThan(afterCreate);
    map.remove(key("customresourcedefinitions", "-", "not-stored", "x"));
    assertThat(map.writesOf("customresourcedefinitions"))
        .as("removing nothing changes nothing")
        .isEqualTo(afterDelete);
    map.clear();
    assertThat(map.writesOf("customresourcedefinitions")).isGreaterThan(afterDelete);
  }

  @Test
  void viewsAreReadOnlySoNothingBypassesTheIndex() {
    NameIndexedMap map = new NameIndexedMap();
    map.put(key("proxies", "a", "p1", "x"), "proxy 1");
    assertThatThrownBy(() -> map.entrySet().clear())
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> map.keySet().removeIf(k -> true))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(map).hasSize(1);
  }
}
