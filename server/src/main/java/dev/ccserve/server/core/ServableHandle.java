package dev.ccserve.server.core;

/**
 * A reference to a loaded servable for the duration of one request. While any handle is open the
 * version is not unloaded; close it as soon as the request is done (try-with-resources).
 * Not thread-safe: one handle belongs to one request.
 */
public interface ServableHandle<T> extends AutoCloseable {
  ServableId id();

  T get();

  @Override
  void close();
}
