package io.starling.broker;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;

/**
 * The JVM the broker runs on, for its start-up log line: {@code JDK 25.0.1+8-LTS (Eclipse
 * Adoptium), G1 GC}. bin/starling picks the JDK (JAVA_HOME, else java on PATH) and its flags depend
 * on it, so the log says which one it was.
 */
final class JvmDescription {
  private JvmDescription() {}

  static String describe() {
    return "JDK "
        + Runtime.version()
        + " ("
        + System.getProperty("java.vendor", "unknown vendor")
        + "), "
        + gcName(
            ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(GarbageCollectorMXBean::getName)
                .toList())
        + " GC";
  }

  /** The collector's usual name, from the names of its MXBeans (one per generation or phase). */
  static String gcName(List<String> beanNames) {
    String all = String.join(" ", beanNames).toLowerCase(Locale.ROOT);
    if (all.contains("g1")) {
      return "G1";
    } else if (all.contains("zgc")) {
      return "Z";
    } else if (all.contains("shenandoah")) {
      return "Shenandoah";
    } else if (all.contains("ps scavenge") || all.contains("ps marksweep")) {
      return "Parallel";
    } else if (all.contains("copy") || all.contains("marksweepcompact")) {
      return "Serial";
    }
    return beanNames.isEmpty() ? "unknown" : String.join("/", beanNames);
  }
}
