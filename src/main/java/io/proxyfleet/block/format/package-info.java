/**
 * Readers for the real blocklist formats: plain IP/CIDR lists (antifilter, {@code ip_all.lst}) and
 * the zapret-info registry CSV, plain or gzip. {@link io.proxyfleet.block.format.BlocklistParser}
 * documents the rules that reject damaged content as a whole; single bad lines are counted and
 * skipped. docs/blocklist-tools.md describes the quirks each format has in the wild.
 */
package io.proxyfleet.block.format;
