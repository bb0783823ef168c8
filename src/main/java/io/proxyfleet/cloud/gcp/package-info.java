/**
 * The Google Compute Engine adapter: instances, regional static addresses (or ephemeral access
 * configs) and one managed firewall rule per (network, port), through google-cloud-compute over
 * REST. The only package that imports {@code com.google.cloud.compute}.
 */
package io.proxyfleet.cloud.gcp;
