package dev.ccserve.server.core;

/** One version a source wants served, with the loader that can load it. */
public record AspiredVersion<T extends AutoCloseable>(ServableId id, Loader<T> loader) {}
