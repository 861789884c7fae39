package org.fcp.shuffler.common;

import com.beust.jcommander.Parameter;

/** Options every service takes; a service's own options class extends it. */
public class ServiceOptions {
  @Parameter(names = "--port", description = "TCP port of the HTTP server")
  public int port = 8080;

  @Parameter(names = "--address", description = "Address the HTTP server binds")
  public String address = "0.0.0.0";

  /**
   * Checks the options beyond what JCommander does, before the service starts; a bad value is an
   * IllegalArgumentException with a message for the operator.
   */
  public void validate() {
    if (port <= 0 || port > 65535) {
      throw new IllegalArgumentException(FcpOptions.VARIABLE + ": --port " + port + " is not a TCP port");
    }
  }
}
