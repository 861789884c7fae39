package org.fcp.shuffler.collector;

import com.beust.jcommander.Parameter;
import org.fcp.shuffler.common.ServiceOptions;

/** FCP_OPTS of collector. */
public class CollectorOptions extends ServiceOptions {
  @Parameter(names = "--max_report_bytes", description = "Largest client report accepted")
  public int maxReportBytes = 1 << 20;

  @Override
  public void validate() {
    super.validate();
    new ReportLedger(maxReportBytes);
  }
}
