package org.fcp.shuffler.aggregator;

import org.fcp.shuffler.common.ServiceMain;
import org.fcp.shuffler.common.ServiceOptions;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** aggregator: federated averaging of client updates in native code (libaggregation-jni.so). */
@SpringBootApplication
public class AggregatorApplication {
  public static void main(String[] args) {
    ServiceMain.main(AggregatorApplication.class, new ServiceOptions());
  }
}
