package io.proxyfleet.blocklist;

import io.proxyfleet.block.BlockIndex;
import io.proxyfleet.block.ParsedBlocklist;
import java.util.ArrayList;
import java.util.List;

/**
 * One merged version of a list: inline cidrs plus each source's last good version. {@code parts}
 * are compared by identity: a version is rebuilt only when some part was re-read.
 */
record Version(
    List<ParsedBlocklist> parts,
    BlockIndex index,
    String hash,
    int entries,
    int parseErrors,
    List<String> errors) {

  static Version merge(List<ParsedBlocklist> parts, List<String> partNames) {
    BlockIndex.Builder builder = BlockIndex.builder();
    int entries = 0;
    int parseErrors = 0;
    List<String> errors = new ArrayList<>();
    for (int i = 0; i < parts.size(); i++) {
      ParsedBlocklist p = parts.get(i);
      builder.addAll(p.index());
      entries += p.entries();
      parseErrors += p.parseErrors();
      for (String e : p.firstErrors()) {
        if (errors.size() < ParsedBlocklist.MAX_REPORTED_ERRORS) {
          // Inline errors already name spec.cidrs[i]; source errors get the source's name.
          errors.add(partNames.get(i) == null ? e : partNames.get(i) + ": " + e);
        }
      }
    }
    BlockIndex index = builder.build();
    return new Version(
        List.copyOf(parts), index, IndexHash.of(index), entries, parseErrors, List.copyOf(errors));
  }

  boolean sameParts(List<ParsedBlocklist> other) {
    if (other.size() != parts.size()) {
      return false;
    }
    for (int i = 0; i < parts.size(); i++) {
      if (parts.get(i) != other.get(i)) {
        return false;
      }
    }
    return true;
  }
}
