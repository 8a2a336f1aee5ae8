package dev.trellis.gateway.accesslog;

import java.time.Instant;

/**
 * One request as Lattice's access logs describe it (facts §7), fields in the order Lattice writes them, plus the
 * request id the gateway gave the request ({@code x-amzn-requestid}). A null string, and a null duration, is a value
 * the gateway does not know or that does not apply; writers print it as {@code "-"}.
 *
 * @param authDeniedReason {@code Network}, {@code Service} or {@code Identity} when an auth policy refused
 * @param failureReason why the gateway answered instead of the target: {@code ClientAccessDenied},
 *     {@code AuthenticationFailed}, {@code ServiceNotFound}, {@code BadRequest}, {@code RequestTimeout},
 *     {@code PayloadTooLarge}, {@code NoTargets}, {@code TargetConnectionFailed}, {@code TargetTimeout},
 *     {@code TargetConnectionError}, {@code RemoteTargetGroupUnavailable}, {@code TargetGroupNotSupported},
 *     {@code ClientDisconnected};
 *     only {@code ClientAccessDenied} is a value Lattice is known to write
 * @param responseCode the status sent to the client; 0 when none was sent
 * @param bytesReceived request bytes from the client (head estimate plus body)
 * @param bytesSent response bytes to the client (head estimate plus body)
 * @param duration milliseconds from the request head to the end of the response
 * @param requestToTargetDuration milliseconds from the request head to the request sent to the target (null when
 *     it was not sent)
 * @param responseFromTargetDuration milliseconds from the request sent to the target to its response head
 */
public record AccessLogRecord(
        String serviceNetworkArn,
        String resolvedUser,
        String listenerType,
        String authDeniedReason,
        String targetGroupArn,
        String sourceVpcArn,
        String destinationVpcId,
        String sourceIpPort,
        String listenerId,
        String targetIpPort,
        String failureReason,
        String serviceArn,
        String sourceVpcId,
        Instant startTime,
        String requestMethod,
        String requestPath,
        String protocol,
        int responseCode,
        long bytesReceived,
        long bytesSent,
        long duration,
        String userAgent,
        String hostHeader,
        String serverNameIndication,
        Long requestToTargetDuration,
        Long responseFromTargetDuration,
        String sslCipher,
        String tlsVersion,
        String callerPrincipal,
        String callerPrincipalOrgID,
        String callerX509IssuerOU,
        String callerX509SubjectCN,
        String callerX509SANNameCN,
        String callerX509SANDNS,
        String callerX509SANURI,
        String requestId) {
}
