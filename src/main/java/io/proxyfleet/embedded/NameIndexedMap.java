package io.proxyfleet.embedded;

import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.crud.Value;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The CRUD dispatcher's object map with an index by object name, so finding one object costs a
 * hash lookup instead of matching the query against every stored object (with a few thousand
 * Proxies and their Events, that scan was most of local mode's CPU). Only {@code put}, {@code
 * remove} and {@code clear} change it; the views are read-only so nothing can bypass the index.
 * Not thread-safe by itself: the store wraps it in {@link Collections#synchronizedMap}.
 */
final class NameIndexedMap extends LinkedHashMap<AttributeSet, String> {

  private static final String NAME = "name";

  private final Map<String, Set<AttributeSet>> byName = new HashMap<>();

  @Override
  public String put(AttributeSet key, String value) {
    String previous = super.put(key, value);
    String name = nameOf(key);
    if (name != null) {
      byName.computeIfAbsent(name, n -> new LinkedHashSet<>()).add(key);
    }
    return previous;
  }

  @Override
  public void putAll(Map<? extends AttributeSet, ? extends String> entries) {
    entries.forEach(this::put);
  }

  @Override
  public String remove(Object key) {
    String previous = super.remove(key);
    if (previous != null && key instanceof AttributeSet set) {
      String name = nameOf(set);
      Set<AttributeSet> keys = name == null ? null : byName.get(name);
      if (keys != null) {
        keys.remove(set);
        if (keys.isEmpty()) {
          byName.remove(name);
        }
      }
    }
    return previous;
  }

  @Override
  public void clear() {
    super.clear();
    byName.clear();
  }

  @Override
  public Set<Map.Entry<AttributeSet, String>> entrySet() {
    return Collections.unmodifiableSet(super.entrySet());
  }

  @Override
  public Set<AttributeSet> keySet() {
    return Collections.unmodifiableSet(super.keySet());
  }

  @Override
  public Collection<String> values() {
    return Collections.unmodifiableCollection(super.values());
  }

  /**
   * The first stored entry matching a query that names one object, in insertion order as the
   * scan would find it; null when none does. Only for queries with a {@code name} attribute.
   */
  Map.Entry<AttributeSet, String> findNamed(AttributeSet query) {
    String name = nameOf(query);
    Set<AttributeSet> keys = name == null ? null : byName.get(name);
    if (keys == null) {
      return null;
    }
    for (AttributeSet key : keys) {
      if (key.matches(query)) {
        return Map.entry(key, get(key));
      }
    }
    return null;
  }

  static String nameOf(AttributeSet set) {
    Attribute attribute = set.getAttribute(NAME);
    if (attribute == null || attribute.getValues() == null || attribute.getValues().size() != 1) {
      return null;
    }
    Value value = attribute.getValues().get(0);
    return value == null ? null : value.toString();
  }
}
