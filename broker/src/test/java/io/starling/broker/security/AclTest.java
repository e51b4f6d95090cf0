package io.starling.broker.security;

import static io.starling.broker.security.Acl.Access.READ;
import static io.starling.broker.security.Acl.Access.WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class AclTest {
  private static Acl acl(String... lines) throws IOException {
    return Acl.parse(String.join("\n", lines), "acl");
  }

  @Test
  void userRulesApplyToThatUserOnly() throws IOException {
    Acl a = acl("user alice readwrite home/alice/#");
    assertThat(a.allows("alice", "c1", "home/alice/lamp", WRITE)).isTrue();
    assertThat(a.allows("alice", "c1", "home/alice", READ)).isTrue();
    assertThat(a.allows("bob", "c1", "home/alice/lamp", WRITE)).isFalse();
    assertThat(a.allows(null, "c1", "home/alice/lamp", READ)).isFalse();
  }

  @Test
  void percentUAndPercentCAreSubstituted() throws IOException {
    Acl a = acl("all readwrite users/%u/#", "all write devices/%c/+/state");
    assertThat(a.allows("bob", "x", "users/bob/inbox", WRITE)).isTrue();
    assertThat(a.allows("bob", "x", "users/alice/inbox", WRITE)).isFalse();
    assertThat(a.allows("bob", "dev-7", "devices/dev-7/lamp/state", WRITE)).isTrue();
    assertThat(a.allows("bob", "dev-7", "devices/dev-8/lamp/state", WRITE)).isFalse();
    assertThat(a.allows("bob", "dev-7", "devices/dev-7/lamp/state", READ)).isFalse();
    // A rule with %u does not apply to anonymous clients, nor to names that would widen it.
    assertThat(a.allows(null, "x", "users/null/inbox", WRITE)).isFalse();
    assertThat(a.allows("+", "x", "users/+/inbox", WRITE)).isFalse();
    assertThat(a.allowsSubscribe("#", "x", "users/#")).isFalse();
  }

  @Test
  void aNameWithPercentCannotSmuggleInTheClientId() throws IOException {
    Acl a = acl("all readwrite users/%u/#", "all readwrite pair/%u/%c");
    // One pass: user "%c" with client id "bob" must not become users/bob/#.
    assertThat(a.allows("%c", "bob", "users/bob/x", WRITE)).isFalse();
    assertThat(a.allows("%c", "bob", "users/%c/x", WRITE)).isFalse();
    assertThat(a.allows("alice", "%u", "pair/alice/alice", WRITE)).isFalse();
    assertThat(a.allows("alice", "c1", "pair/alice/c1", WRITE)).isTrue();
  }

  @Test
  void rulesAboutUserNamesAreListedWithTheirLines() throws IOException {
    Acl a = acl("all read public/#", "user admin readwrite #", "all readwrite users/%u/#");
    assertThat(a.rulesNamingUsers()).containsExactly("acl:2", "acl:3");
  }

  @Test
  void firstMatchWinsSoAnEarlierDenyHoldsInsideAnAllowedTree() throws IOException {
    Acl a = acl("all deny public/secret/#", "all read public/#", "client admin write public/#");
    assertThat(a.allows("u", "c", "public/news", READ)).isTrue();
    assertThat(a.allows("u", "c", "public/secret/plans", READ)).isFalse();
    assertThat(a.allows("u", "c", "public/news", WRITE)).isFalse();
    assertThat(a.allows("u", "admin", "public/news", WRITE)).isTrue();
    // deny decides for writing too, before the admin rule.
    assertThat(a.allows("u", "admin", "public/secret/x", WRITE)).isFalse();
  }

  @Test
  void subscriptionsMustFitInsideAnAllowedFilter() throws IOException {
    Acl a = acl("all deny public/secret/#", "all read public/#", "all read sensors/+/temp");
    assertThat(a.allowsSubscribe("u", "c", "public/#")).isTrue();
    assertThat(a.allowsSubscribe("u", "c", "public/+/x")).isTrue();
    assertThat(a.allowsSubscribe("u", "c", "public/secret/#")).isFalse();
    assertThat(a.allowsSubscribe("u", "c", "#")).isFalse();
    assertThat(a.allowsSubscribe("u", "c", "sensors/kitchen/temp")).isTrue();
    assertThat(a.allowsSubscribe("u", "c", "sensors/+/temp")).isTrue();
    assertThat(a.allowsSubscribe("u", "c", "sensors/#")).isFalse();
  }

  @Test
  void sysIsReadableByEveryoneAndWritableByNobody() throws IOException {
    Acl a = acl("all readwrite #");
    assertThat(a.allowsSubscribe(null, "c", "$SYS/#")).isTrue();
    assertThat(a.allows(null, "c", "$SYS/broker/uptime", READ)).isTrue();
    assertThat(a.allows(null, "c", "$SYS/broker/uptime", WRITE)).isFalse();
    assertThat(Acl.ALLOW_ALL.allows(null, "c", "$SYS/x", WRITE)).isFalse();
    assertThat(Acl.ALLOW_ALL.allowsSubscribe(null, "c", "$SYS/broker/version")).isTrue();
    // '#' does not reach $ topics.
    assertThat(Acl.covers("#", "$SYS/#")).isFalse();
  }

  @Test
  void sharedSubscriptionsAreJudgedByTheirFilter() throws IOException {
    Acl a = acl("all read jobs/#");
    assertThat(a.allowsSubscribe("u", "c", "$share/workers/jobs/+")).isTrue();
    assertThat(a.allowsSubscribe("u", "c", "$share/workers/other/+")).isFalse();
  }

  @Test
  void noMatchingRuleMeansDenied() throws IOException {
    assertThat(acl("# nothing").allows("u", "c", "a", READ)).isFalse();
    assertThat(acl("").allows("u", "c", "a", WRITE)).isFalse();
  }

  @Test
  void badRulesAreNamedWithTheirLine() {
    assertThatThrownBy(() -> acl("all read a", "user bob readmore b"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("acl:2")
        .hasMessageContaining("readmore");
    assertThatThrownBy(() -> acl("everyone read a")).hasMessageContaining("acl:1");
    assertThatThrownBy(() -> acl("all read a/#/b")).hasMessageContaining("bad topic filter");
    assertThatThrownBy(() -> acl("all read")).hasMessageContaining("expected");
  }

  @Test
  void coversComparesFiltersLevelByLevel() {
    assertThat(Acl.covers("a/#", "a")).isTrue();
    assertThat(Acl.covers("a/#", "a/b/#")).isTrue();
    assertThat(Acl.covers("a/+", "a/b")).isTrue();
    assertThat(Acl.covers("a/+", "a/+")).isTrue();
    assertThat(Acl.covers("a/+", "a/#")).isFalse();
    assertThat(Acl.covers("a/b", "a/+")).isFalse();
    assertThat(Acl.covers("a/+", "a/b/c")).isFalse();
  }
}
