/**
 * The CloudProfile reconciler: checks credentials and settings once per change and reports them.
 */
package io.proxyfleet.cloudprofile;
