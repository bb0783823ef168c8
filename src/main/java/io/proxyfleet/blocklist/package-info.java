/** The Blocklist controller: parses a list's sources, publishes its index, reports what it read. */
package io.proxyfleet.blocklist;
