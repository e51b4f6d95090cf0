package io.starling.it;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the Starling checkout is, for tests that run its jar. */
final class ItHome {
  private ItHome() {}

  /**
   * The repository root: the {@code starling.home} property that Failsafe sets, or else the first
   * directory up from the working directory that holds {@code bin/starling}.
   */
  static Path starlingHome() {
    String prop = System.getProperty("starling.home");
    if (prop != null && !prop.isBlank() && Files.isRegularFile(Path.of(prop, "bin/starling"))) {
      return Path.of(prop).toAbsolutePath();
    }
    for (Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        p != null;
        p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("bin/starling"))) {
        return p;
      }
    }
    throw new IllegalStateException("cannot find the Starling home (bin/starling)");
  }
}
