package org.fcp.shuffler.taskscheduler;

import org.fcp.shuffler.common.ServiceMain;
import org.fcp.shuffler.common.ServiceOptions;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** task_scheduler: decides, round by round, whether a task waits, goes on or has converged. */
@SpringBootApplication
public class TaskSchedulerApplication {
  public static void main(String[] args) {
    ServiceMain.main(TaskSchedulerApplication.class, new ServiceOptions());
  }
}
