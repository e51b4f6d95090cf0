package io.starling.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which JDK {@code bin/starling} runs, and with which flags: {@code $JAVA_HOME/bin/java} when
 * JAVA_HOME is set, else {@code java} on PATH; JDK 17 or newer. The JDKs here are stand-ins (a
 * {@code bin/java} script that prints how it was called, and the {@code release} file a JDK has),
 * and STARLING_JAR points at a jar that is not built, so nothing but the script runs. The last test
 * starts the real broker and reads which JDK it says it runs on.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StartScriptIT {
  @TempDir Path dir;

  /** What one run of bin/starling printed, and its exit code. */
  private record Run(int exitCode, String out, String err) {}

  /** A stand-in JDK: {@code bin/java} prints "ran NAME" and its arguments. */
  private Path fakeJdk(String name, String releaseVersion, String versionOutput)
      throws IOException {
    Path home = dir.resolve(name);
    Files.createDirectories(home.resolve("bin"));
    if (releaseVersion != null) {
      Files.writeString(
          home.resolve("release"),
          "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"" + releaseVersion + "\"\n",
          StandardCharsets.UTF_8);
    }
    Path java = home.resolve("bin/java");
    Files.writeString(
        java,
        "#!/bin/sh\n"
            + "if [ \"$1\" = -version ]; then echo '"
            + versionOutput
            + "' >&2; exit 0; fi\n"
            + "echo \"ran "
            + name
            + " $*\"\n",
        StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    return home;
  }

  private Run starling(Map<String, String> env, String... args) throws Exception {
    Path script = ItHome.starlingHome().resolve("bin/starling");
    ProcessBuilder pb =
        new ProcessBuilder(
            concat(List.of(script.toString()), List.of(args)).toArray(String[]::new));
    pb.environment().remove("JAVA_HOME");
    pb.environment().remove("STARLING_JAVA_OPTS");
    pb.environment().put("STARLING_JAR", dir.resolve("starling.jar").toString());
    pb.environment().putAll(env);
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("bin/starling ended").isTrue();
    return new Run(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  private static List<String> concat(List<String> a, List<String> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
  }

  private static String pathWith(Path jdk) {
    return jdk.resolve("bin") + ":" + System.getenv("PATH");
  }

  @Test
  void javaHomeWinsOverPath() throws Exception {
    Path jdk25 = fakeJdk("jdk25", "25.0.1", "unused");
    Path jdk17 = fakeJdk("jdk17", "17.0.9", "unused");
    Run r = starling(Map.of("JAVA_HOME", jdk25.toString(), "PATH", pathWith(jdk17)), "--version");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out())
        .startsWith("ran jdk25 ")
        .endsWith(" -jar " + dir + "/starling.jar --version\n");
  }

  @Test
  void withoutJavaHomeJavaOnPathRuns() throws Exception {
    Path jdk17 = fakeJdk("jdk17", "17.0.9", "unused");
    Run r = starling(Map.of("PATH", pathWith(jdk17)), "--version");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("ran jdk17 ");
  }

  @Test
  void aJdkWithoutAReleaseFileIsAskedItsVersion() throws Exception {
    Path jdk21 = fakeJdk("jdk21", null, "openjdk version \"21.0.2\" 2024-01-16");
    assertThat(starling(Map.of("JAVA_HOME", jdk21.toString()), "--version").out())
        .startsWith("ran jdk21 ");
    Path jdk11 = fakeJdk("jdk11", null, "openjdk version \"11.0.22\" 2024-01-16");
    Run old = starling(Map.of("JAVA_HOME", jdk11.toString()), "--version");
    assertThat(old.exitCode()).isNotZero();
    assertThat(old.err()).contains("Java 11").contains("JDK 17 or newer");
  }

  @Test
  void aJdkOlderThan17IsRefusedWithAClearMessage() throws Exception {
    Path jdk11 = fakeJdk("jdk11", "11.0.22", "unused");
    Run r = starling(Map.of("JAVA_HOME", jdk11.toString()), "--version");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("Java 11").contains("needs a JDK 17 or newer");
    Path jdk8 = fakeJdk("jdk8", "1.8.0_402", "unused");
    assertThat(starling(Map.of("JAVA_HOME", jdk8.toString()), "--version").exitCode()).isEqualTo(1);
  }

  @Test
  void aJavaHomeWithoutJavaIsNamed() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("not-a-jdk"));
    Run r = starling(Map.of("JAVA_HOME", empty.toString()), "--version");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("JAVA_HOME is " + empty).contains("no " + empty + "/bin/java");
  }

  @Test
  void starlingJavaOptsReplaceTheDefaultFlags() throws Exception {
    Path jdk17 = fakeJdk("jdk17", "17.0.9", "unused");
    Run defaults = starling(Map.of("JAVA_HOME", jdk17.toString()), "--version");
    assertThat(defaults.out()).contains("-XX:+ExitOnOutOfMemoryError");
    Run mine =
        starling(
            Map.of("JAVA_HOME", jdk17.toString(), "STARLING_JAVA_OPTS", "-Xmx64m -Dmine=1"),
            "--version");
    assertThat(mine.out())
        .isEqualTo("ran jdk17 -Xmx64m -Dmine=1 -jar " + dir + "/starling.jar --version\n");
  }

  @Test
  void theDefaultFlagsFollowTheJdkRelease() throws Exception {
    Path jdk25 = fakeJdk("jdk25", "25.0.1", "unused");
    String on25 = starling(Map.of("JAVA_HOME", jdk25.toString()), "--version").out();
    assertThat(on25)
        .contains(" --enable-native-access=ALL-UNNAMED ")
        .contains(" -XX:+UseCompactObjectHeaders ")
        .contains(" -XX:G1PeriodicGCInterval=15000 ")
        .contains(" -XX:MaxHeapFreeRatio=10 ");
    Path jdk21 = fakeJdk("jdk21", "21.0.2", "unused");
    String on21 = starling(Map.of("JAVA_HOME", jdk21.toString()), "--version").out();
    assertThat(on21)
        .doesNotContain("UseCompactObjectHeaders")
        .doesNotContain("enable-native-access")
        .contains(" -XX:G1PeriodicGCInterval=15000 ");
  }

  @Test
  void theBrokerSaysWhichJdkItRunsOn() throws Exception {
    try (BrokerProcess b = BrokerProcess.start(Duration.ofSeconds(30), "--port", "0")) {
      assertThat(b.contains("Starling listening on")).as(b.toString()).isTrue();
      assertThat(b.contains("; JDK " + Runtime.version() + " (")).as(b.toString()).isTrue();
      assertThat(b.contains(" GC)")).as(b.toString()).isTrue();
    }
  }
}
