package io.proxyfleet.embedded;

import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.crud.Value;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The CRUD dispatcher's object map with indexes by object name and by resource (plural), so finding
 * one object costs a hash lookup and listing one resource looks at that resource only, instead of
 * matching the query against every stored object (with a few thousand Proxies and their Events,
 * that scan was most of local mode's CPU). Only {@code put}, {@code remove} and {@code clear}
 * change it; the views are read-only so nothing can bypass the index. Not thread-safe by itself:
 * the store wraps it in {@link Collections#synchronizedMap}.
 */
final class NameIndexedMap extends LinkedHashMap<AttributeSet, String> {

  private static final String NAME = "name";
  private static final String PLURAL = "plural";

  private final Map<String, Set<AttributeSet>> byName = new HashMap<>();
  private final Map<String, Set<AttributeSet>> byPlural = new HashMap<>();

  /** Writes per resource (plural), so a reader can tell whether its copy of one is current. */
  private final Map<String, Long> writesByPlural = new HashMap<>();

  /**
   * How many times objects of this resource were stored or removed; {@code clear} counts as a write
   * of every resource.
   */
  long writesOf(String plural) {
    return writesByPlural.getOrDefault(plural, 0L) + cleared;
  }

  private long cleared;

  @Override
  public String put(AttributeSet key, String value) {
    String previous = super.put(key, value);
    String name = nameOf(key);
    if (name != null) {
      byName.computeIfAbsent(name, n -> new LinkedHashSet<>()).add(key);
    }
    String plural = valueOf(key, PLURAL);
    if (plural != null) {
      byPlural.computeIfAbsent(plural, n -> new LinkedHashSet<>()).add(key);
      writesByPlural.merge(plural, 1L, Long::sum);
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
      unindex(byName, nameOf(set), set);
      String plural = valueOf(set, PLURAL);
      unindex(byPlural, plural, set);
      if (plural != null) {
        writesByPlural.merge(plural, 1L, Long::sum);
      }
    }
    return previous;
  }

  private static void unindex(
      Map<String, Set<AttributeSet>> index, String value, AttributeSet key) {
    Set<AttributeSet> keys = value == null ? null : index.get(value);
    if (keys != null) {
      keys.remove(key);
      if (keys.isEmpty()) {
        index.remove(value);
      }
    }
  }

  @Override
  public void clear() {
    super.clear();
    byName.clear();
    byPlural.clear();
    cleared++;
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
   * The first stored entry matching a query that names one object, in insertion order as the scan
   * would find it; null when none does. Only for queries with a {@code name} attribute.
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

  /**
   * The stored objects of the query's resource (its {@code plural}) that match it, in insertion
   * order; null when the query names no resource, so the caller scans as before.
   */
  List<String> findAll(AttributeSet query) {
    String plural = valueOf(query, PLURAL);
    if (plural == null) {
      return null;
    }
    List<String> items = new ArrayList<>();
    for (AttributeSet key : byPlural.getOrDefault(plural, Set.of())) {
      if (key.matches(query)) {
        items.add(get(key));
      }
    }
    return items;
  }

  static String nameOf(AttributeSet set) {
    return valueOf(set, NAME);
  }

  private static String valueOf(AttributeSet set, String key) {
    Attribute attribute = set.getAttribute(key);
    if (attribute == null || attribute.getValues() == null || attribute.getValues().size() != 1) {
      return null;
    }
    Value value = attribute.getValues().get(0);
    return value == null ? null : value.toString();
  }
}
