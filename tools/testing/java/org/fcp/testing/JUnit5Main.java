package org.fcp.testing;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import org.junit.platform.reporting.legacy.xml.LegacyXmlReportGeneratingListener;

/**
 * Runs JUnit 5 (Jupiter) tests under {@code bazel test}: Bazel's own runner knows only JUnit 4.
 *
 * <p>Arguments are fully qualified test class names. The JUnit XML report goes to Bazel's
 * {@code XML_OUTPUT_FILE}, so every test case is counted; the exit status is 1 if any failed or
 * none ran.
 */
public final class JUnit5Main {
  private JUnit5Main() {}

  public static void main(String[] args) throws IOException {
    if (args.length == 0) {
      System.err.println("JUnit5Main: give the test classes to run as arguments");
      System.exit(2);
    }
    List<org.junit.platform.engine.DiscoverySelector> selectors = new ArrayList<>();
    for (String name : args) {
      selectors.add(DiscoverySelectors.selectClass(name));
    }
    LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectors).build();
    Path reports = Files.createTempDirectory("junit5-reports");
    SummaryGeneratingListener summary = new SummaryGeneratingListener();
    StringWriter log = new StringWriter();
    LegacyXmlReportGeneratingListener xml = new LegacyXmlReportGeneratingListener(reports, new PrintWriter(log));
    Launcher launcher = LauncherFactory.create();
    launcher.execute(request, summary, xml);
    TestExecutionSummary result = summary.getSummary();
    result.printFailuresTo(new PrintWriter(System.err, true), 30);
    result.printTo(new PrintWriter(System.out, true));
    String xmlOutput = System.getenv("XML_OUTPUT_FILE");
    if (xmlOutput != null) {
      // One report per engine; Jupiter's holds every test case.
      try (DirectoryStream<Path> files = Files.newDirectoryStream(reports, "TEST-junit-jupiter.xml")) {
        for (Path file : files) {
          Files.copy(file, Path.of(xmlOutput), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    boolean failed = result.getTotalFailureCount() > 0 || result.getTestsFoundCount() == 0;
    System.exit(failed ? 1 : 0);
  }
}
