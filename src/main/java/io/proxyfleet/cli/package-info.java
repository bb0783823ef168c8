/**
 * The {@code proxyfleet} command line (picocli): {@code operator}, {@code local}, {@code bench} and
 * the {@code blocklist} tools.
 */
package io.proxyfleet.cli;
