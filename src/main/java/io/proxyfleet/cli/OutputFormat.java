package io.proxyfleet.cli;

/**
 * How a tool answers: aligned plain text for people, JSON for scripts. An enum so picocli rejects
 * anything else with a usage error (exit 2) naming the accepted values.
 */
enum OutputFormat {
  text,
  json
}
