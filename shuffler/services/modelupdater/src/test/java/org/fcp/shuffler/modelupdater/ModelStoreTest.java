package org.fcp.shuffler.modelupdater;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ModelStoreTest {
  @Test
  void versionsCountUpAndOldOnesAreDropped() {
    ModelStore store = new ModelStore(2);
    assertEquals(1, store.save("m", new byte[] {1}));
    assertEquals(2, store.save("m", new byte[] {2}));
    assertEquals(3, store.save("m", new byte[] {3}));
    assertTrue(store.get("m", 1).isEmpty(), "beyond --max_versions");
    assertArrayEquals(new byte[] {2}, store.get("m", 2).orElseThrow());
    assertArrayEquals(new byte[] {3}, store.get("m", 3).orElseThrow());
    assertTrue(store.get("m", 4).isEmpty());
    assertTrue(store.get("other", 1).isEmpty());
  }

  @Test
  void savedBytesCannotBeChangedAfterwards() {
    ModelStore store = new ModelStore(4);
    byte[] data = {1, 2};
    store.save("m", data);
    data[0] = 9;
    store.get("m", 1).orElseThrow()[1] = 9;
    assertArrayEquals(new byte[] {1, 2}, store.get("m", 1).orElseThrow());
  }

  @Test
  void badNamesAndLimits() {
    assertThrows(IllegalArgumentException.class, () -> new ModelStore(0));
    assertThrows(IllegalArgumentException.class, () -> new ModelStore(1).save("../m", new byte[0]));
  }
}
