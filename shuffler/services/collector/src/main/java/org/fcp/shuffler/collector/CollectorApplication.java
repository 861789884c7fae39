package org.fcp.shuffler.collector;

import org.fcp.shuffler.common.ServiceMain;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** collector: accepts client reports and answers each with a receipt naming its digest. */
@SpringBootApplication
public class CollectorApplication {
  @Bean
  ReportLedger reportLedger(CollectorOptions options) {
    return new ReportLedger(options.maxReportBytes);
  }

  public static void main(String[] args) {
    ServiceMain.main(CollectorApplication.class, new CollectorOptions());
  }
}
