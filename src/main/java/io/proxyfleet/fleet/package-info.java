/**
 * The ProxyFleet controller: validates a fleet, asks the pure planner what to do, creates, deletes
 * and re-IPs Proxy objects accordingly, publishes the endpoints Secret and writes status and
 * events.
 */
package io.proxyfleet.fleet;
