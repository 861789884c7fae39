package org.fcp.shuffler.modelupdater;

import com.beust.jcommander.Parameter;
import org.fcp.shuffler.common.ServiceOptions;

/** FCP_OPTS of model_updater. */
public class ModelUpdaterOptions extends ServiceOptions {
  @Parameter(names = "--max_versions", description = "How many versions of each model the service keeps")
  public int maxVersions = 16;

  @Override
  public void validate() {
    super.validate();
    new ModelStore(maxVersions);
  }
}
