package io.starling.it;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackages;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * DESIGN.md's module table and the absence of package cycles, checked on the main classes of every
 * module: all of them are on this module's test class path, and test classes are not imported. A
 * module is named by its packages ({@code io.starling.broker..} is the broker); a rule that fails
 * lists every dependency that breaks it, with the class and line it comes from.
 */
@Timeout(120)
class ArchitectureTest {
  private static final String OURS = "io.starling..";
  private static final String CODEC = "io.starling.codec..";
  private static final String BROKER = "io.starling.broker..";
  private static final String STORE_ROCKSDB = "io.starling.store.rocksdb..";
  private static final String CLIENT = "io.starling.client..";
  private static final String LOADGEN = "io.starling.loadgen..";
  private static final String TESTKIT = "io.starling.testkit..";
  private static final String CLI = "io.starling.cli..";
  private static final String BENCH = "io.starling.bench..";

  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(new ImportOption.DoNotIncludeTests())
          .importPackages("io.starling");

  @Test
  void packagesAreFreeOfCycles() {
    slices()
        .matching("io.starling.(**)")
        .should()
        .beFreeOfCycles()
        .because("every package is its own slice, and no two may reach each other")
        .check(MAIN);
  }

  /**
   * The broker's layers (README, "Architecture"), each using only the ones below: what a layer may
   * be used by is listed, and everything else is refused.
   */
  @Test
  void brokerLayersUseOnlyTheLayersBelow() {
    layeredArchitecture()
        .consideringOnlyDependenciesInLayers()
        .layer("root")
        .definedBy("io.starling.broker")
        .layer("sys")
        .definedBy("io.starling.broker.sys..")
        .layer("transport")
        .definedBy("io.starling.broker.transport..")
        .layer("session")
        .definedBy("io.starling.broker.session..")
        .layer("routing")
        .definedBy("io.starling.broker.routing..")
        .layer("security")
        .definedBy("io.starling.broker.security..")
        .layer("store internals")
        .definedBy("io.starling.broker.store.internal..")
        .layer("store SPI")
        .definedBy("io.starling.broker.store")
        .layer("extension")
        .definedBy("io.starling.broker.extension..")
        .layer("model")
        .definedBy("io.starling.broker.model..")
        .layer("leaves")
        .definedBy(
            "io.starling.broker.config..",
            "io.starling.broker.logging..",
            "io.starling.broker.metrics..",
            "io.starling.broker.threading..")
        .whereLayer("root")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("sys")
        .mayOnlyBeAccessedByLayers("root")
        .whereLayer("transport")
        .mayOnlyBeAccessedByLayers("root")
        .whereLayer("session")
        .mayOnlyBeAccessedByLayers("transport", "root")
        .whereLayer("routing")
        .mayOnlyBeAccessedByLayers("session", "transport", "sys", "root")
        .whereLayer("security")
        .mayOnlyBeAccessedByLayers("transport", "root")
        .whereLayer("store internals")
        .mayOnlyBeAccessedByLayers("session", "transport", "root")
        .whereLayer("store SPI")
        .mayOnlyBeAccessedByLayers("store internals", "session", "transport", "root")
        .whereLayer("extension")
        .mayOnlyBeAccessedByLayers("routing", "session", "transport", "root")
        .whereLayer("model")
        .mayOnlyBeAccessedByLayers(
            "extension", "store internals", "routing", "session", "transport", "sys", "root")
        .because("README, Architecture: each layer of the broker uses only the ones below it")
        .check(MAIN);
  }

  @Test
  void storeRocksdbUsesOnlyTheStorageSpi() {
    usesOnly(STORE_ROCKSDB, "io.starling.broker.store", "io.starling.broker.config..", CODEC)
        .because("DESIGN.md: store-rocksdb depends on the broker's storage SPI only")
        .check(MAIN);
  }

  @Test
  void codecDependsOnNothingOfOurs() {
    usesOnly(CODEC).because("DESIGN.md: codec depends on nothing of ours").check(MAIN);
  }

  @Test
  void codecUsesOnlyTheJdkAndNetty() {
    classes()
        .that()
        .resideInAPackage(CODEC)
        .should()
        .onlyDependOnClassesThat()
        .resideInAnyPackage(CODEC, "java..", "io.netty..")
        .because("DESIGN.md: the codec's third-party dependency is Netty, in any of its packages")
        .check(MAIN);
  }

  @Test
  void brokerDependsOnlyOnTheCodec() {
    usesOnly(BROKER, CODEC).because("DESIGN.md: broker depends on codec").check(MAIN);
  }

  @Test
  void brokerNeverUsesTheClient() {
    noClasses()
        .that()
        .resideInAPackage(BROKER)
        .should()
        .dependOnClassesThat()
        .resideInAPackage(CLIENT)
        .because("DESIGN.md: the broker never imports the client")
        .check(MAIN);
  }

  @Test
  void storeRocksdbDependsOnlyOnTheBrokerAndTheCodec() {
    usesOnly(STORE_ROCKSDB, BROKER, CODEC)
        .because("DESIGN.md: store-rocksdb depends on the broker's storage SPI")
        .check(MAIN);
  }

  @Test
  void clientDependsOnlyOnTheCodec() {
    usesOnly(CLIENT, CODEC).because("DESIGN.md: client depends on codec").check(MAIN);
  }

  @Test
  void loadgenDependsOnlyOnTheCodec() {
    usesOnly(LOADGEN, CODEC)
        // Passes while the module has no classes on this class path.
        .allowEmptyShould(true)
        .because("DESIGN.md: loadgen depends on codec")
        .check(MAIN);
  }

  @Test
  void testkitDependsOnlyOnTheCodecAndTheBroker() {
    usesOnly(TESTKIT, CODEC, BROKER)
        .because("DESIGN.md: testkit depends on codec and broker")
        .check(MAIN);
  }

  @Test
  void cliNeverUsesTheBenchmarks() {
    noClasses()
        .that()
        .resideInAPackage(CLI)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(BENCH, "org.openjdk.jmh..")
        .because("DESIGN.md: cli depends on everything shipped, and bench is not shipped")
        .check(MAIN);
  }

  @Test
  void nothingButTheBenchmarksUsesTheBenchmarks() {
    noClasses()
        .that()
        .resideOutsideOfPackage(BENCH)
        .should()
        .dependOnClassesThat()
        .resideInAPackage(BENCH)
        .because("DESIGN.md: bench is not shipped")
        .check(MAIN);
  }

  /** No class of {@code module} depends on a class of ours outside it and {@code allowed}. */
  private static ArchRule usesOnly(String module, String... allowed) {
    String[] permitted =
        Stream.concat(Stream.of(module), Stream.of(allowed)).toArray(String[]::new);
    return noClasses()
        .that()
        .resideInAPackage(module)
        .should()
        .dependOnClassesThat(resideInAPackage(OURS).and(resideOutsideOfPackages(permitted)));
  }
}
