package dev.trellis.controlplane;

import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.http.auth.aws.scheme.AwsV4AuthScheme;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.scheme.AuthScheme;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignRequest;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignedRequest;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.IdentityProvider;
import software.amazon.awssdk.identity.spi.IdentityProviders;

/**
 * The SDK's SigV4 auth scheme with the signing time taken from a test clock, so a client signs "in the future"
 * together with a control plane that runs on the same clock ({@code builder.putAuthScheme(new ClockedSigV4(c))}).
 */
public final class ClockedSigV4 implements AuthScheme<AwsCredentialsIdentity> {

    private final Clock clock;
    private final AwsV4HttpSigner delegate = AwsV4HttpSigner.create();

    public ClockedSigV4(Clock clock) {
        this.clock = clock;
    }

    @Override
    public String schemeId() {
        return AwsV4AuthScheme.SCHEME_ID;
    }

    @Override
    public IdentityProvider<AwsCredentialsIdentity> identityProvider(IdentityProviders providers) {
        return providers.identityProvider(AwsCredentialsIdentity.class);
    }

    @Override
    public HttpSigner<AwsCredentialsIdentity> signer() {
        return new HttpSigner<>() {
            @Override
            public SignedRequest sign(SignRequest<? extends AwsCredentialsIdentity> request) {
                return delegate.sign(withClock(request));
            }

            @Override
            public CompletableFuture<AsyncSignedRequest> signAsync(
                    AsyncSignRequest<? extends AwsCredentialsIdentity> request) {
                return delegate.signAsync(request.copy(b -> b.putProperty(HttpSigner.SIGNING_CLOCK, clock)));
            }
        };
    }

    private <T extends AwsCredentialsIdentity> SignRequest<T> withClock(SignRequest<T> request) {
        return request.copy(b -> b.putProperty(HttpSigner.SIGNING_CLOCK, clock));
    }
}
