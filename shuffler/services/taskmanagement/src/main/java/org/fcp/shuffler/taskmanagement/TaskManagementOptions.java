package org.fcp.shuffler.taskmanagement;

import com.beust.jcommander.Parameter;
import org.fcp.shuffler.common.ServiceOptions;

/** FCP_OPTS of task_management. */
public class TaskManagementOptions extends ServiceOptions {
  @Parameter(names = "--max_tasks", description = "How many task definitions the service keeps")
  public int maxTasks = 1000;

  @Override
  public void validate() {
    super.validate();
    new TaskStore(maxTasks);
  }
}
