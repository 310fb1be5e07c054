package dev.cordon.internal.supervise;

/**
 * Sees the program's calls for {@code cordon learn}. {@link #observe} runs on the supervisor thread while the call
 * is still stopped, so what it reads of the program's memory is what the call will use; it returns what to record,
 * which the run commits only if the call was not refused.
 */
public interface CallObserver {
    Runnable observe(Notification n);
}
