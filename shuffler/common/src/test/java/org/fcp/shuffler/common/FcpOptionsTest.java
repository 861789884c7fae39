package org.fcp.shuffler.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.beust.jcommander.Parameter;
import java.util.List;
import org.junit.jupiter.api.Test;

class FcpOptionsTest {
  static class Options extends ServiceOptions {
    @Parameter(names = "--name")
    String name = "default";

    @Parameter(names = "--item")
    List<String> items = new java.util.ArrayList<>();
  }

  @Test
  void splitsLikeAShell() {
    assertEquals(List.of("--port", "9000", "a b", "c\"d", "it's", "x y"),
        FcpOptions.split("  --port 9000 'a b' c\\\"d \"it's\" x\\ y  "));
    assertEquals(List.of(""), FcpOptions.split("''"));
    assertEquals(List.of(), FcpOptions.split(" \t\n"));
  }

  @Test
  void rejectsUnbalancedQuotes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FcpOptions.split("'open"));
    assertTrue(e.getMessage().startsWith("FCP_OPTS: unterminated"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> FcpOptions.split("trailing\\"));
  }

  @Test
  void parsesIntoTheOptionsObject() {
    Options options = FcpOptions.parse("--port 9090 --name 'two words' --item a --item b", new Options());
    assertEquals(9090, options.port);
    assertEquals("0.0.0.0", options.address);
    assertEquals("two words", options.name);
    assertEquals(List.of("a", "b"), options.items);
  }

  @Test
  void emptyOrMissingOptionsKeepTheDefaults() {
    assertEquals(8080, FcpOptions.parse(null, new Options()).port);
    assertEquals("default", FcpOptions.parse("", new Options()).name);
  }

  @Test
  void unknownOptionsNameTheVariable() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> FcpOptions.parse("--bogus 1", new Options()));
    assertTrue(e.getMessage().startsWith("FCP_OPTS: "), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> FcpOptions.parse("--port notanumber", new Options()));
  }
}
