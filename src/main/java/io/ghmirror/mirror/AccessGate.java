package io.ghmirror.mirror;

/** Decides whether a request may use the mirror, and how its credential is labelled in metrics. */
public interface AccessGate {

    /** The result of an access check. */
    record Decision(boolean allowed, int status, String message) {
        public static final Decision ALLOW = new Decision(true, 200, null);
    }

    /** Checks the request; called before anything is sent upstream. */
    Decision check(ClientRequest request);

    /** Returns the value of the {@code user} metric label for the request's credential. */
    String userLabel(ClientRequest request);

    /** A gate that allows everyone and labels nobody. */
    static AccessGate open() {
        return new AccessGate() {
            @Override
            public Decision check(ClientRequest request) {
                return Decision.ALLOW;
            }

            @Override
            public String userLabel(ClientRequest request) {
                return "";
            }
        };
    }
}
