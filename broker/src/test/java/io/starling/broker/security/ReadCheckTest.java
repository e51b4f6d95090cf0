package io.starling.broker.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.broker.config.BrokerConfig;
import io.starling.broker.config.SecurityConfig;
import io.starling.broker.metrics.BrokerStats;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A session owner's read check answers as the owner's policy does, from any thread at once. */
@Timeout(30)
class ReadCheckTest {
  @TempDir Path dir;

  private Security security(String rules) throws Exception {
    Path acl = dir.resolve("acl");
    Files.writeString(acl, rules, StandardCharsets.UTF_8);
    return Security.start(
        BrokerConfig.defaults()
            .withSecurity(SecurityConfig.DEFAULT.with(true, List.of(), null, acl)),
        new BrokerStats());
  }

  @Test
  void withoutAnAclOrGrantsThereIsNoCheck() {
    assertThat(ReadCheck.of(Security.open(), new Identity("alice", null), "c")).isNull();
  }

  @Test
  void answersAsTheAclForTheOwnerAndItsClientId() throws Exception {
    try (Security s =
        security("user alice read a/#\nclient dev-1 read d/%c/#\nall deny x/#\nall read #\n")) {
      ReadCheck alice = ReadCheck.of(s, new Identity("alice", null), "c");
      assertThat(alice.test("a/1")).isTrue();
      assertThat(alice.test("x/1")).isFalse();
      ReadCheck anonymous = ReadCheck.of(s, Identity.ANONYMOUS, "dev-1");
      assertThat(anonymous.test("d/dev-1/t")).isTrue();
      assertThat(anonymous.test("x/1")).isFalse();
      assertThat(anonymous.test("$SYS/broker/uptime")).isTrue();
    }
  }

  @Test
  void tokenGrantsReplaceTheAcl() throws Exception {
    try (Security s = security("all read #\n")) {
      var grants = new AuthResult.TopicGrants(List.of(), List.of("in/+"));
      ReadCheck token = ReadCheck.of(s, new Identity("svc", grants), "c");
      assertThat(token.test("in/1")).isTrue();
      assertThat(token.test("other")).isFalse();
    }
  }

  @Test
  void givesTheSameAnswersFromManyThreadsAtOnce() throws Exception {
    try (Security s = security("all deny odd/#\nall read #\n")) {
      ReadCheck check = ReadCheck.of(s, Identity.ANONYMOUS, "c");
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Callable<Integer>> tasks = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          tasks.add(
              () -> {
                int wrong = 0;
                // More topics than the policy caches, so the cache is cleared under contention.
                for (int i = 0; i < 20_000; i++) {
                  boolean odd = i % 2 == 1;
                  String topic = (odd ? "odd/" : "even/") + (i % 1500);
                  if (check.test(topic) == odd) {
                    wrong++;
                  }
                }
                return wrong;
              });
        }
        for (Future<Integer> f : pool.invokeAll(tasks)) {
          assertThat(f.get()).isZero();
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
