package jdlm.sample;

/** Receives every {@link StepEvent} as it happens (on the sampling thread). */
@FunctionalInterface
public interface StepListener {
    StepListener NONE = e -> {};

    void onStep(StepEvent event);
}
