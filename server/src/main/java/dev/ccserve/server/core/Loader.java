package dev.ccserve.server.core;

/**
 * Knows how to load one servable version and holds what is needed to do so, not the loaded object.
 * {@link #load()} may be slow and is called on a manager thread; it returns the servable, which the
 * manager later closes to unload it.
 */
public interface Loader<T extends AutoCloseable> {
  /** Loads the servable; throws a {@link ServingException} saying what went wrong. */
  T load() throws ServingException;

  /** A short description for logs and status messages (a path, never content). */
  String describe();
}
