package dev.ccserve.attestation.dcap;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A UTC clock whose instant a test sets ({@code clock.now = …}). Thread-safe (volatile). */
final class MutableClock extends Clock {
  volatile Instant now;

  MutableClock(Instant now) {
    this.now = now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override
  public Instant instant() {
    return now;
  }
}
