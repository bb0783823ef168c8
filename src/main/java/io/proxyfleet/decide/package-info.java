/**
 * The operator's decisions as pure step functions: an observation in, a decision out, no Kubernetes
 * client, no cloud call, time passed in. The fleet and proxy reconcilers observe Kubernetes and the
 * cloud, call these, and act on what they return; the blockade replay calls the very same functions
 * on its simulated world, so its figures are the operator's and cannot drift from them.
 */
package io.proxyfleet.decide;
