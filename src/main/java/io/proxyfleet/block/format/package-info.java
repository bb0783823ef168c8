/** Readers for the real blocklist formats: plain IP/CIDR lists and the zapret-info registry CSV. */
package io.proxyfleet.block.format;
