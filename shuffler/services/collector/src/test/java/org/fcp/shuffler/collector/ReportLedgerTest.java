package org.fcp.shuffler.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportLedgerTest {
  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] sha(byte[]... parts) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    for (byte[] p : parts) {
      md.update(p);
    }
    return md.digest();
  }

  @Test
  void receiptsNameTheReportDigestAndChainThemInOrder() throws Exception {
    ReportLedger ledger = new ReportLedger(1024);
    ReportLedger.Receipt first = ledger.accept("keyboard", "t1", bytes("report one"));
    ReportLedger.Receipt second = ledger.accept("keyboard", "t1", bytes("report two"));
    byte[] d1 = sha(bytes("report one"));
    byte[] c1 = sha(new byte[32], d1);
    byte[] c2 = sha(c1, sha(bytes("report two")));
    assertEquals(HexFormat.of().formatHex(d1), first.sha256());
    assertEquals(HexFormat.of().formatHex(c1), first.chain());
    assertEquals(HexFormat.of().formatHex(c2), second.chain());
    assertEquals(2, second.sequence());
    assertEquals(Map.of("reports", 2L, "bytes", 20L, "chain", HexFormat.of().formatHex(c2)),
        ledger.summary("keyboard", "t1"));
  }

  @Test
  void tasksHaveLedgersOfTheirOwn() {
    ReportLedger ledger = new ReportLedger(1024);
    ledger.accept("keyboard", "t1", bytes("a"));
    assertEquals(1, ledger.accept("keyboard", "t2", bytes("a")).sequence());
    assertEquals(0L, ledger.summary("keyboard", "t3").get("reports"));
  }

  @Test
  void emptyAndOversizedReportsAreRejected() {
    ReportLedger ledger = new ReportLedger(4);
    ReportLedger.Rejected empty = assertThrows(ReportLedger.Rejected.class,
        () -> ledger.accept("p", "t", new byte[0]));
    assertFalse(empty.tooLarge);
    ReportLedger.Rejected big = assertThrows(ReportLedger.Rejected.class,
        () -> ledger.accept("p", "t", bytes("12345")));
    assertTrue(big.tooLarge);
    assertTrue(big.getMessage().contains("the limit is 4"), big.getMessage());
    assertEquals(0L, ledger.summary("p", "t").get("reports"), "a rejected report leaves no trace");
    assertThrows(IllegalArgumentException.class, () -> ledger.accept("Bad", "t", bytes("x")));
  }
}
