/** Wires the controllers into a Java Operator SDK {@code Operator}, the same way in every mode. */
package io.proxyfleet.operator;
