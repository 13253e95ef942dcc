package dev.ccserve.keybroker;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import dev.ccserve.api.keybroker.ChallengeRequest;
import dev.ccserve.api.keybroker.ChallengeResponse;
import dev.ccserve.api.keybroker.GetSecretsRequest;
import dev.ccserve.api.keybroker.GetSecretsResponse;
import dev.ccserve.api.keybroker.KeyBrokerGrpc;
import dev.ccserve.api.keybroker.SignServingCertificateRequest;
import dev.ccserve.api.keybroker.SignServingCertificateResponse;
import dev.ccserve.attestation.AttestationException;
import dev.ccserve.attestation.ratls.ExpiringNonceStore;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLSession;

/**
 * The broker's gRPC API ({@code ccserve.keybroker.v1.KeyBroker}), a thin adapter over {@link
 * BrokerCore}, served through the {@link GrpcBridge} (which puts each call's TLS session and peer
 * into {@link #SESSION} and {@link #PEER}): {@code Challenge} needs no client certificate; {@code GetSecrets} and {@code
 * SignServingCertificate} admit the connection's RA-TLS client first. Every decision is audited
 * before the answer leaves. Refusals map to UNAUTHENTICATED (no client certificate),
 * PERMISSION_DENIED (attestation or policy; the description carries only "REASON at step", the
 * detail is in the audit log), INVALID_ARGUMENT (malformed CSR), RESOURCE_EXHAUSTED (too many
 * outstanding nonces), INTERNAL (audit log not writable). Thread-safe.
 */
final class KeyBrokerGrpcService extends KeyBrokerGrpc.KeyBrokerImplBase {
  static final String PROTOCOL = "grpc";
  static final Context.Key<SSLSession> SESSION = Context.key("keybroker-ssl-session");
  static final Context.Key<String> PEER = Context.key("keybroker-peer");

  private final BrokerCore core;
  private final ExpiringNonceStore nonces;
  private final Duration nonceLifetime;
  private final ServingCertificates certs;

  KeyBrokerGrpcService(BrokerCore core, ExpiringNonceStore nonces, Duration nonceLifetime,
      ServingCertificates certs) {
    this.core = Objects.requireNonNull(core, "core");
    this.nonces = Objects.requireNonNull(nonces, "nonces");
    this.nonceLifetime = Objects.requireNonNull(nonceLifetime, "nonceLifetime");
    this.certs = Objects.requireNonNull(certs, "certs");
  }

  @Override
  public void challenge(ChallengeRequest request, StreamObserver<ChallengeResponse> out) {
    byte[] nonce;
    try {
      nonce = nonces.issue();
    } catch (IllegalStateException e) {
      out.onError(Status.RESOURCE_EXHAUSTED.withDescription("too many outstanding nonces; retry later")
          .asRuntimeException());
      return;
    }
    Instant expires = core.clock().instant().plus(nonceLifetime);
    out.onNext(ChallengeResponse.newBuilder().setNonce(ByteString.copyFrom(nonce))
        .setExpiresAt(timestamp(expires)).build());
    out.onCompleted();
  }

  @Override
  public void getSecrets(GetSecretsRequest request, StreamObserver<GetSecretsResponse> out) {
    AuditEvent event = core.event(PEER.get(), PROTOCOL, "GetSecrets");
    BrokerState state = core.state();
    Admission a = admit(state, event, out);
    if (a == null) {
      return;
    }
    List<String> names = request.getNamesList().isEmpty() ? a.entry().secrets() : request.getNamesList();
    List<Secret> release = new ArrayList<>();
    for (String name : names) {
      if (!a.entry().secrets().contains(name)) {
        deny(out, event, Status.PERMISSION_DENIED, "SECRET_NOT_ALLOWED", "secrets",
            "secret \"" + name + "\" is not released to policy entry \"" + a.entry().name() + "\"", true);
        return;
      }
      Secret s = state.secrets().get(name).orElse(null);
      if (s == null) {
        deny(out, event, Status.NOT_FOUND, "SECRET_MISSING", "secrets",
            "secret \"" + name + "\" is not in the secrets directory", true);
        return;
      }
      release.add(s);
    }
    event.released(release.stream().map(Secret::name).toList());
    if (!audited(event, out)) {
      return;
    }
    GetSecretsResponse.Builder b = GetSecretsResponse.newBuilder().setPolicyEntry(a.entry().name());
    for (Secret s : release) {
      byte[] bytes = s.toCleartextBytes();
      b.putSecrets(s.name(), ByteString.copyFrom(bytes));
      Arrays.fill(bytes, (byte) 0);
    }
    out.onNext(b.build());
    out.onCompleted();
  }

  @Override
  public void signServingCertificate(
      SignServingCertificateRequest request, StreamObserver<SignServingCertificateResponse> out) {
    AuditEvent event = core.event(PEER.get(), PROTOCOL, "SignServingCertificate");
    BrokerState state = core.state();
    Admission a = admit(state, event, out);
    if (a == null) {
      return;
    }
    ServingCertificates.Issued issued;
    try {
      issued = certs.issue(a, request.getCsrDer().toByteArray(), request.getServiceName());
    } catch (ServingCertificates.Refusal r) {
      deny(out, event, r.status(), r.reason(), "csr", r.getMessage(), true);
      return;
    }
    event.issued(issued.serialHex(), issued.sans(), issued.notAfter());
    if (!audited(event, out)) {
      return;
    }
    out.onNext(SignServingCertificateResponse.newBuilder().setCertChainPem(issued.chainPem())
        .setSerialHex(issued.serialHex()).setNotAfter(timestamp(issued.notAfter())).build());
    out.onCompleted();
  }

  private <T> Admission admit(BrokerState state, AuditEvent event, StreamObserver<T> out) {
    SSLSession session = SESSION.get();
    if (!BrokerCore.hasClientCertificate(session)) {
      deny(out, event, Status.UNAUTHENTICATED, "NO_CLIENT_CERTIFICATE", "client_certificate",
          "this method needs an RA-TLS client certificate (only Challenge works without one)", true);
      return null;
    }
    try {
      return core.admit(session, state, event);
    } catch (AttestationException e) {
      core.recordDenial(event.denied(e));
      out.onError(Status.PERMISSION_DENIED
          .withDescription("attestation denied: " + e.reason() + " at " + e.step()).asRuntimeException());
      return null;
    }
  }

  private void deny(StreamObserver<?> out, AuditEvent event, Status status, String reason, String step,
      String detail, boolean tellClient) {
    core.recordDenial(event.denied(reason, step, detail));
    out.onError(status.withDescription("denied: " + reason + " at " + step + (tellClient ? " (" + detail + ")" : ""))
        .asRuntimeException());
  }

  private boolean audited(AuditEvent event, StreamObserver<?> out) {
    try {
      core.record(event);
      return true;
    } catch (IOException e) {
      out.onError(Status.INTERNAL.withDescription("audit log not writable; nothing released").asRuntimeException());
      return false;
    }
  }

  private static Timestamp timestamp(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }
}
