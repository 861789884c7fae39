package org.fcp.shuffler.taskassignment;

import com.beust.jcommander.Parameter;
import java.util.ArrayList;
import java.util.List;
import org.fcp.shuffler.common.ServiceOptions;

/** FCP_OPTS of task_assignment: the open tasks, one {@code --task} each. */
public class TaskAssignmentOptions extends ServiceOptions {
  @Parameter(
      names = "--task",
      description = "An open task: population:task_id:min_client_version:min_memory_mb:capacity")
  public List<String> taskSpecs = new ArrayList<>();

  @Override
  public void validate() {
    super.validate();
    new TaskAssigner(tasks());
  }

  /** The parsed tasks; a malformed spec is an IllegalArgumentException naming it. */
  public List<Task> tasks() {
    List<Task> tasks = new ArrayList<>();
    for (String spec : taskSpecs) {
      tasks.add(Task.parse(spec));
    }
    return tasks;
  }
}
