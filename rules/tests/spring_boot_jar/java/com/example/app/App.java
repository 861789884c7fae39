package com.example.app;

import com.beust.jcommander.JCommander;
import com.beust.jcommander.Parameter;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.util.Properties;

/**
 * A Start-Class that needs all three places of a boot jar: its classes, a nested jar built from
 * source (Greeting) and a nested Maven jar (JCommander), plus the jar's root (build data).
 *
 * <p>Greeting is a runtime-only dependency (as a logging backend would be), found by name: a
 * compile-time dependency on a java_library needs header compilation, which Debian's java_tools
 * cannot do until the pinned JDK toolchain turns it off.
 */
public final class App {
  @Parameter(names = "--name", description = "who to greet")
  private String name = "world";

  public static void main(String[] args) throws IOException, ReflectiveOperationException {
    App app = new App();
    JCommander.newBuilder().addObject(app).build().parse(args);
    Properties settings = load("com/example/app/app.properties");
    System.out.println(greet(settings.getProperty("greeting"), app.name));
    System.out.println("classes from " + App.class.getProtectionDomain().getCodeSource().getLocation());
    System.out.println("jcommander from " + JCommander.class.getProtectionDomain().getCodeSource().getLocation());
    System.out.println("build.target=" + load("build-data.properties").getProperty("build.target"));
  }

  private static String greet(String greeting, String name) throws ReflectiveOperationException {
    try {
      return (String)
          Class.forName("com.example.greeting.Greeting")
              .getMethod("greet", String.class, String.class)
              .invoke(null, greeting, name);
    } catch (InvocationTargetException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  private static Properties load(String resource) throws IOException {
    Properties properties = new Properties();
    try (InputStream in = App.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("no resource " + resource);
      }
      properties.load(in);
    }
    return properties;
  }
}
