package com.example.clash;

/** The other Clash: same name as clash/a's, different bytes. */
public final class Clash {
  public static String version() {
    return "b, which differs";
  }
}
