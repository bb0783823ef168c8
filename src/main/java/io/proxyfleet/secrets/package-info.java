/**
 * The Secrets a fleet owns (generated credentials, published endpoints) and how to read a proxy's
 * credentials from them. Shared by the fleet reconciler (writes) and the proxy reconciler (reads),
 * so neither controller package depends on the other.
 */
package io.proxyfleet.secrets;
