/**
 * Block intelligence: parsing blocked addresses and ranges, the immutable {@link
 * io.proxyfleet.block.BlockIndex} answering "is this IP blocked, and by what", and the {@link
 * io.proxyfleet.block.BlockIndexRegistry} through which blocklists are published to fleets.
 */
package io.proxyfleet.block;
