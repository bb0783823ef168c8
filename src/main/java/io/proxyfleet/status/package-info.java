/**
 * Status conventions shared by every resource: conditions with stable transition times, change
 * detection.
 */
package io.proxyfleet.status;
