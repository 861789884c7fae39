package org.fcp.shuffler.common;

import com.beust.jcommander.JCommander;
import com.beust.jcommander.ParameterException;
import java.util.ArrayList;
import java.util.List;

/**
 * Run-time options of a service, read from the {@code FCP_OPTS} environment variable at start.
 *
 * <p>Confidential Space lets the operator override exactly this variable
 * ({@code tee.launch_policy.allow_env_override=FCP_OPTS}); nothing run-time is baked into an image,
 * whose digest would otherwise change with every deployment's settings.
 */
public final class FcpOptions {
  public static final String VARIABLE = "FCP_OPTS";

  private FcpOptions() {}

  /** Parses {@code text} (shell-like words) into {@code options}, a JCommander-annotated object. */
  public static <T> T parse(String text, T options) {
    List<String> words = split(text == null ? "" : text);
    try {
      JCommander.newBuilder().addObject(options).acceptUnknownOptions(false).build()
          .parse(words.toArray(new String[0]));
    } catch (ParameterException e) {
      throw new IllegalArgumentException(VARIABLE + ": " + e.getMessage(), e);
    }
    return options;
  }

  /** Parses the process's {@code FCP_OPTS}. */
  public static <T> T fromEnvironment(T options) {
    return parse(System.getenv(VARIABLE), options);
  }

  /**
   * Splits {@code text} into words as a POSIX shell would for simple input: blanks separate words,
   * single quotes keep everything literally, double quotes keep blanks, a backslash escapes the
   * next character outside single quotes.
   */
  public static List<String> split(String text) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quote == '\'') {
        if (c == '\'') {
          quote = 0;
        } else {
          word.append(c);
        }
      } else if (c == '\\') {
        if (++i == text.length()) {
          throw new IllegalArgumentException(VARIABLE + ": a trailing backslash escapes nothing");
        }
        word.append(text.charAt(i));
        inWord = true;
      } else if (quote == '"') {
        if (c == '"') {
          quote = 0;
        } else {
          word.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (quote != 0) {
      throw new IllegalArgumentException(VARIABLE + ": unterminated " + quote + " quote");
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }
}
