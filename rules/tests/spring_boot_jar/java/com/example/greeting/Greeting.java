package com.example.greeting;

/** A library built from source: it reaches the boot jar as BOOT-INF/lib/libgreeting.jar. */
public final class Greeting {
  private Greeting() {}

  public static String greet(String greeting, String name) {
    return greeting + ", " + name + "!";
  }
}
