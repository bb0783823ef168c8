/** The {@code proxyfleet} command line (picocli): {@code operator}, {@code local} and {@code bench}. */
package io.proxyfleet.cli;
