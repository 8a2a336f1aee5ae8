package dev.trellis.controlplane.store;

/** The store could not do what was asked (database unreachable, constraint broken, corrupt row). */
public final class StoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
