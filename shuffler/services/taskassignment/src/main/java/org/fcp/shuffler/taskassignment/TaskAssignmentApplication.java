package org.fcp.shuffler.taskassignment;

import org.fcp.shuffler.common.ServiceMain;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** task_assignment: hands each device the task it is eligible for that has the most room left. */
@SpringBootApplication
public class TaskAssignmentApplication {
  @Bean
  TaskAssigner taskAssigner(TaskAssignmentOptions options) {
    return new TaskAssigner(options.tasks());
  }

  public static void main(String[] args) {
    ServiceMain.main(TaskAssignmentApplication.class, new TaskAssignmentOptions());
  }
}
