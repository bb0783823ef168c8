/** Build-time steps that run on the compiled API classes (not used by the operator at run time). */
package io.proxyfleet.build;
