package org.fcp.shuffler.collector;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * Accepts reports per (population, task) and keeps a running digest of what it accepted: the
 * SHA-256 chain {@code d_n = sha256(d_{n-1} || sha256(report_n))}, starting from 32 zero bytes, so
 * a receipt's chain value commits to every report before it, in order.
 */
public final class ReportLedger {
  /** What the client gets back. */
  public record Receipt(String population, String task, long sequence, int size, String sha256, String chain) {}

  /** A report the ledger refuses: empty, or larger than allowed. */
  public static final class Rejected extends RuntimeException {
    public final boolean tooLarge;

    Rejected(String message, boolean tooLarge) {
      super(message);
      this.tooLarge = tooLarge;
    }
  }

  private record Tally(long count, long bytes, byte[] chain) {}

  private final int maxBytes;
  private final Map<String, Tally> tallies = new HashMap<>();

  public ReportLedger(int maxBytes) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("--max_report_bytes must be > 0");
    }
    this.maxBytes = maxBytes;
  }

  public synchronized Receipt accept(String population, String task, byte[] report) {
    if (!population.matches("[a-z0-9][a-z0-9_-]*") || !task.matches("[A-Za-z0-9_-]+")) {
      throw new IllegalArgumentException("population and task names must be [a-z0-9_-]");
    }
    if (report == null || report.length == 0) {
      throw new Rejected("an empty report", false);
    }
    if (report.length > maxBytes) {
      throw new Rejected("a report of " + report.length + " bytes; the limit is " + maxBytes, true);
    }
    String key = population + "\n" + task;
    Tally tally = tallies.getOrDefault(key, new Tally(0, 0, new byte[32]));
    byte[] digest = sha256(report);
    byte[] chain = sha256(concat(tally.chain(), digest));
    Tally next = new Tally(tally.count() + 1, tally.bytes() + report.length, chain);
    tallies.put(key, next);
    return new Receipt(population, task, next.count(), report.length, hex(digest), hex(chain));
  }

  /** Reports accepted so far for the task: count, bytes and the current chain value. */
  public synchronized Map<String, Object> summary(String population, String task) {
    Tally tally = tallies.getOrDefault(population + "\n" + task, new Tally(0, 0, new byte[32]));
    return Map.of("reports", tally.count(), "bytes", tally.bytes(), "chain", hex(tally.chain()));
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
