package io.starling.broker.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

class LogTextTest {
  @Test
  void plainTextIsKeptAsItIs() {
    String id = "sensor-17/kitchen é";
    assertThat(LogText.untrusted(id)).isSameAs(id);
    assertThat(LogText.untrusted(null)).isEqualTo("null");
  }

  @Test
  void lineBreaksAndControlCharactersCannotForgeALogLine() {
    String forged = "dev\r\n2026-12-07 INFO login accepted for admin\u001b[31m\u2028";
    String safe = LogText.untrusted(forged);
    assertThat(safe)
        .doesNotContain("\n", "\r", "\u001b", "\u2028")
        .isEqualTo("dev\\r\\n2026-12-07 INFO login accepted for admin\\u001b[31m\\u2028");
    assertThat(LogText.untrusted("a\\nb"))
        .as("a literal backslash stays tellable")
        .isEqualTo("a\\\\nb");
  }

  @Test
  void aLongValueIsCutAndItsLengthSaid() {
    String huge = "x".repeat(65_535);
    String safe = LogText.untrusted(huge);
    assertThat(safe).hasSizeLessThan(LogText.MAX_CHARS + 32).endsWith("...(65535 chars)");
    assertThat(safe).startsWith("x".repeat(LogText.MAX_CHARS));
  }

  @Test
  void aRateLimitedLogWritesItsShareThenCountsTheRest() {
    AtomicLong now = new AtomicLong();
    Captured lines = new Captured();
    RateLimitedLog log = new RateLimitedLog(lines, 3, 1_000, now::get);
    for (int i = 0; i < 10; i++) {
      log.info("refused {}", i);
    }
    assertThat(lines.written).containsExactly("refused 0", "refused 1", "refused 2");
    assertThat(log.suppressed()).isEqualTo(7);
    now.addAndGet(1_000); // the next interval
    log.info("refused {}", 10);
    assertThat(lines.written)
        .last()
        .isEqualTo("refused 10 (7 similar lines held back before this one)");
    assertThat(log.suppressed()).isZero();
  }

  /** A logger that keeps its formatted lines. */
  private static final class Captured extends LegacyAbstractLogger {
    final List<String> written = new ArrayList<>();

    @Override
    protected String getFullyQualifiedCallerName() {
      return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(
        Level level, Marker marker, String pattern, Object[] args, Throwable t) {
      written.add(MessageFormatter.basicArrayFormat(pattern, args));
    }

    @Override
    public boolean isTraceEnabled() {
      return true;
    }

    @Override
    public boolean isDebugEnabled() {
      return true;
    }

    @Override
    public boolean isInfoEnabled() {
      return true;
    }

    @Override
    public boolean isWarnEnabled() {
      return true;
    }

    @Override
    public boolean isErrorEnabled() {
      return true;
    }
  }
}
