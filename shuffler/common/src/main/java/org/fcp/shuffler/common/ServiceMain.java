package org.fcp.shuffler.common;

import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;

/** Starts a service's Spring application with the options of {@code FCP_OPTS}. */
public final class ServiceMain {
  private ServiceMain() {}

  /**
   * Runs {@code application} as a web server on the options' address and port; the options
   * object is available to the application as a bean.
   */
  public static ConfigurableApplicationContext run(Class<?> application, ServiceOptions options) {
    SpringApplication app = new SpringApplication(application);
    app.setWebApplicationType(WebApplicationType.SERVLET);
    app.setDefaultProperties(Map.of(
        "server.port", Integer.toString(options.port),
        "server.address", options.address,
        // Only the health endpoint: nothing that reveals configuration or environment.
        "management.endpoints.web.exposure.include", "health",
        "spring.main.banner-mode", "off"));
    app.addInitializers(context -> context.getBeanFactory().registerSingleton("fcpOptions", options));
    return app.run();
  }

  /** The usual {@code main}: options from the environment; bad options end the process with status 2. */
  public static void main(Class<?> application, ServiceOptions options) {
    try {
      FcpOptions.fromEnvironment(options).validate();
    } catch (IllegalArgumentException e) {
      String message = e.getMessage();
      System.err.println(message.startsWith(FcpOptions.VARIABLE + ": ") ? message : FcpOptions.VARIABLE + ": " + message);
      System.exit(2);
    }
    run(application, options);
  }
}
