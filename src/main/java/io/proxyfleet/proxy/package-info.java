/**
 * The Proxy controller: drives one proxy VM through Pending, Launching, Running (Rotating) and
 * Terminating against its CloudProvider, with every cloud resource found again by its owner tag.
 */
package io.proxyfleet.proxy;
