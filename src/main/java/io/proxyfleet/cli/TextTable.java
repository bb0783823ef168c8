package io.proxyfleet.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Aligned plain-text columns; numeric cells are right-aligned so digits line up. */
final class TextTable {

  private final List<String[]> rows = new ArrayList<>();
  private final int columns;

  TextTable(String... header) {
    this.columns = header.length;
    rows.add(header);
  }

  TextTable row(Object... cells) {
    String[] text = new String[columns];
    for (int i = 0; i < columns; i++) {
      Object cell = i < cells.length ? cells[i] : "";
      text[i] =
          cell instanceof Long || cell instanceof Integer
              ? String.format("%,d", cell)
              : String.valueOf(cell);
    }
    rows.add(text);
    return this;
  }

  void print(PrintWriter out) {
    int[] width = new int[columns];
    boolean[] numeric = new boolean[columns];
    for (int c = 0; c < columns; c++) {
      numeric[c] = rows.size() > 1;
      for (int r = 0; r < rows.size(); r++) {
        width[c] = Math.max(width[c], rows.get(r)[c].length());
        if (r > 0 && !rows.get(r)[c].matches("[-0-9,.]+")) {
          numeric[c] = false;
        }
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < columns; c++) {
        String cell = row[c];
        String pad = " ".repeat(width[c] - cell.length());
        line.append(numeric[c] ? pad + cell : cell + (c == columns - 1 ? "" : pad));
        if (c < columns - 1) {
          line.append("  ");
        }
      }
      out.println(line.toString().stripTrailing());
    }
  }
}
