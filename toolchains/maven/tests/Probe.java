package reproimage.maven;

import com.beust.jcommander.JCommander;
import com.beust.jcommander.Parameter;
import org.springframework.core.SpringVersion;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

/** Uses two locked artifacts; a third (spring-jcl) is only on the classpath through a lock edge. */
public final class Probe {
  @Parameter(names = "--name")
  private String name = "none";

  public static void main(String[] args) throws Exception {
    Probe probe = new Probe();
    JCommander.newBuilder().addObject(probe).build().parse(args);
    // The resolver's logger comes from spring-jcl (org.apache.commons.logging), a dependency of
    // spring-core that this binary does not name.
    int manifests = new PathMatchingResourcePatternResolver().getResources("classpath*:META-INF/MANIFEST.MF").length;
    System.out.println(probe.name + " spring-core " + SpringVersion.getVersion() + " manifests " + manifests);
  }
}
