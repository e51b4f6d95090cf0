package io.starling.broker.security.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Notices that a file changed, by its modification time and size, polled from one thread. A missing
 * file (or none configured) never counts as changed: a file being replaced keeps the old contents
 * in force until the new one is there.
 */
public final class FileWatch {
  private final Path file;
  private String seen;

  public FileWatch(Path file) {
    this.file = file;
    this.seen = stamp();
  }

  /** Whether the file changed since the last call (or since creation). */
  public boolean changed() {
    String now = stamp();
    if (now == null || now.equals(seen)) {
      return false;
    }
    seen = now;
    return true;
  }

  private String stamp() {
    if (file == null) {
      return null;
    }
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return a.lastModifiedTime() + ":" + a.size() + ":" + a.fileKey();
    } catch (IOException e) {
      return null;
    }
  }
}
