package org.fcp.shuffler.taskmanagement;

import org.fcp.shuffler.common.ServiceMain;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** task_management: keeps task definitions and moves them through their states. */
@SpringBootApplication
public class TaskManagementApplication {
  @Bean
  TaskStore taskStore(TaskManagementOptions options) {
    return new TaskStore(options.maxTasks);
  }

  public static void main(String[] args) {
    ServiceMain.main(TaskManagementApplication.class, new TaskManagementOptions());
  }
}
