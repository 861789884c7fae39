package org.fcp.shuffler.modelupdater;

import org.fcp.shuffler.common.ServiceMain;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** model_updater: applies aggregated client updates to a model's weights in a TensorFlow graph. */
@SpringBootApplication
public class ModelUpdaterApplication {
  @Bean
  ModelStore modelStore(ModelUpdaterOptions options) {
    return new ModelStore(options.maxVersions);
  }

  public static void main(String[] args) {
    ServiceMain.main(ModelUpdaterApplication.class, new ModelUpdaterOptions());
  }
}
