package dev.trellis.controlplane.http;

import dev.trellis.controlplane.protocol.ApiRequest;
import dev.trellis.controlplane.protocol.ApiResponse;

/** Answers one API request. Runs on a worker thread, never on an event loop, so it may block on the store. */
@FunctionalInterface
public interface ApiRequestHandler {

    ApiResponse handle(ApiRequest request, String requestId);
}
