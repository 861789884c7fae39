package com.example.clash;

/** One of two classes with the same name and different bytes (see clash/b). */
public final class Clash {
  public static String version() {
    return "a";
  }
}
